#pragma once
// The settings a new conversation starts with, kept in QSettings and edited in Preferences.

#include "store/chat_store.h"

namespace atelier::ui {

store::ChatSettings loadChatDefaults();
void saveChatDefaults(const store::ChatSettings& settings);

} // namespace atelier::ui
