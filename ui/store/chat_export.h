#pragma once
// A conversation's branch on show, written out for other tools.

#include "store/chat_store.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace atelier::store {

// "# Title", the settings that shaped it, then each message under "**User**" / "**Assistant**"
// with its text verbatim (code fences and all).
QString exportMarkdown(const Conversation& conversation, const QList<StoredMessage>& path);
// {"title", "created", "updated", "settings": {...}, "messages": [{"role", "content", "created", "stats"}]}
QByteArray exportJson(const Conversation& conversation, const QList<StoredMessage>& path);

} // namespace atelier::store
