#include "store/message_tree.h"

#include <QSet>

#include <algorithm>

namespace atelier::store {

MessageTree::MessageTree(QList<StoredMessage> messages) : mMessages(std::move(messages))
{
    std::stable_sort(mMessages.begin(), mMessages.end(),
                     [](const StoredMessage& a, const StoredMessage& b) { return a.id < b.id; });
    for (qsizetype i = 0; i < mMessages.size(); ++i) {
        mIndex.insert(mMessages[i].id, i);
        mChildren[mMessages[i].parentId].append(mMessages[i].id);
    }
}

const StoredMessage* MessageTree::find(qint64 id) const
{
    const auto it = mIndex.constFind(id);
    return it == mIndex.cend() ? nullptr : &mMessages[*it];
}

QList<StoredMessage> MessageTree::path(qint64 leafId) const
{
    QList<StoredMessage> path;
    QSet<qint64> seen; // a damaged file whose parents form a loop must not hang us
    for (const StoredMessage* message = find(leafId); message && !seen.contains(message->id);
         message = find(message->parentId)) {
        seen.insert(message->id);
        path.append(*message);
    }
    std::reverse(path.begin(), path.end());
    return path;
}

QList<qint64> MessageTree::siblings(qint64 messageId) const
{
    const StoredMessage* message = find(messageId);
    return message ? mChildren.value(message->parentId) : QList<qint64>{};
}

qint64 MessageTree::latestLeaf(qint64 messageId) const
{
    if (!find(messageId))
        return 0;
    qint64 leaf = messageId;
    for (qsizetype steps = 0; steps < mMessages.size(); ++steps) {
        const auto children = mChildren.constFind(leaf);
        if (children == mChildren.cend())
            break;
        leaf = children->last();
    }
    return leaf;
}

} // namespace atelier::store
