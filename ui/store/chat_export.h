#pragma once
// A conversation's branch on show, written out for other tools.

#include "store/chat_store.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace atelier::store {

// "# Title", the settings that shaped it, then each message under "**User**" / "**Assistant**"
// with its text verbatim (code fences and all); a question's pictures come before its text as image
// links to their stored files.
QString exportMarkdown(const Conversation& conversation, const QList<StoredMessage>& path);
// {"title", "created", "updated", "settings": {...}, "messages": [{"role", "content", "created", "stats", "pictures"}]}
// ("pictures": the stored files' paths, only on messages that have pictures)
QByteArray exportJson(const Conversation& conversation, const QList<StoredMessage>& path);

} // namespace atelier::store
