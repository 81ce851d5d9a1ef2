#pragma once
// The branches of one conversation's messages: which path is on show and how to flip between
// siblings (as llama.cpp's web UI does after an edit or a regenerate).

#include "store/chat_store.h"

#include <QHash>
#include <QList>

namespace atelier::store {

class MessageTree {
public:
    explicit MessageTree(QList<StoredMessage> messages);

    // From the first message down to `leafId`; empty when the id is unknown.
    QList<StoredMessage> path(qint64 leafId) const;
    // Ids of the messages sharing `messageId`'s parent (itself included), oldest first.
    QList<qint64> siblings(qint64 messageId) const;
    // The end of the branch through `messageId`: following, at each step, the newest child.
    qint64 latestLeaf(qint64 messageId) const;
    const StoredMessage* find(qint64 id) const;

private:
    QList<StoredMessage> mMessages;          // by id, which is the order they were added
    QHash<qint64, qsizetype> mIndex;         // id -> position in mMessages
    QHash<qint64, QList<qint64>> mChildren;  // parent id (0: none) -> child ids, oldest first
};

} // namespace atelier::store
