#pragma once
// Chat pictures no message names any more (issue 22). A question's pictures are kept in
// chatPicturesDir() by content; a conversation deleted for good (ChatStore::purgeRemoved) leaves its
// files behind. This pass removes the files of that folder that no message names, in any
// conversation (hidden ones still waiting for their undo included), and that were last written
// more than `minAgeSeconds` ago, so a picture just kept for a question not yet sent survives.
// Only Atelier's own names (<32 hex digits>.<format>) are touched, never a subfolder, a link or
// anything outside the folder; when the messages cannot be read, nothing is removed.

#include "core/result.h"

#include <QString>
#include <QStringList>

namespace atelier::store {

class Database;

struct ChatPictureCleanup {
    QStringList removed; // file names
    qint64 removedBytes = 0;
    int kept = 0;        // named by a message, too young, or not Atelier's
};

// The picture file names the messages of `db` name.
Result<QStringList> namedChatPictures(Database& db);

Result<ChatPictureCleanup> removeUnusedChatPictures(Database& db, const QString& folder, qint64 minAgeSeconds = 3600);

} // namespace atelier::store
