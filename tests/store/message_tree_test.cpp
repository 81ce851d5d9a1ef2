// MessageTree on a fixed tree (pure), and the branches a user makes through ChatStore.

#include "tst_store.h"

#include "store/message_tree.h"

#include <algorithm>
#include <random>

using namespace atelier;
using namespace atelier::store;

namespace {

using Ids = QList<qint64>;

// 1 user ─ 2 assistant ─ 3 user ─ 4 assistant
//        └ 5 assistant (2 regenerated) ─ 8 user
// 6 user (1 edited) ─ 7 assistant
StoredMessage message(qint64 id, qint64 parentId)
{
    StoredMessage m;
    m.id = id;
    m.conversationId = 1;
    m.parentId = parentId;
    m.role = (id == 1 || id == 3 || id == 6 || id == 8) ? QStringLiteral("user") : QStringLiteral("assistant");
    m.text = QStringLiteral("message %1").arg(id);
    return m;
}

QList<StoredMessage> fixedTree()
{
    return {message(1, 0), message(2, 1), message(3, 2), message(4, 3),
            message(5, 1), message(6, 0), message(7, 6), message(8, 5)};
}

// The same tree in a shuffled order: the answers must not depend on it.
QList<StoredMessage> shuffledTree()
{
    QList<StoredMessage> messages = fixedTree();
    std::shuffle(messages.begin(), messages.end(), std::mt19937(7));
    return messages;
}

Ids idsOf(const QList<StoredMessage>& messages)
{
    Ids ids;
    for (const StoredMessage& m : messages)
        ids << m.id;
    return ids;
}

} // namespace

void TestStore::treePath_data()
{
    QTest::addColumn<qint64>("leaf");
    QTest::addColumn<Ids>("expected");
    QTest::newRow("deepest branch") << qint64(4) << Ids{1, 2, 3, 4};
    QTest::newRow("regenerated answer") << qint64(8) << Ids{1, 5, 8};
    QTest::newRow("edited question") << qint64(7) << Ids{6, 7};
    QTest::newRow("a first message") << qint64(1) << Ids{1};
    QTest::newRow("mid-branch") << qint64(3) << Ids{1, 2, 3};
    QTest::newRow("unknown") << qint64(99) << Ids{};
    QTest::newRow("zero") << qint64(0) << Ids{};
}

void TestStore::treePath()
{
    QFETCH(qint64, leaf);
    QFETCH(Ids, expected);
    QCOMPARE(idsOf(MessageTree(fixedTree()).path(leaf)), expected);
    QCOMPARE(idsOf(MessageTree(shuffledTree()).path(leaf)), expected);
    const QList<StoredMessage> path = MessageTree(fixedTree()).path(leaf);
    if (!path.isEmpty())
        QCOMPARE(path.last().text, QStringLiteral("message %1").arg(leaf));
}

void TestStore::treeSiblings_data()
{
    QTest::addColumn<qint64>("id");
    QTest::addColumn<Ids>("expected");
    QTest::newRow("first messages") << qint64(1) << Ids{1, 6};
    QTest::newRow("the edit") << qint64(6) << Ids{1, 6};
    QTest::newRow("regenerated") << qint64(5) << Ids{2, 5};
    QTest::newRow("only child") << qint64(3) << Ids{3};
    QTest::newRow("unknown") << qint64(99) << Ids{};
}

void TestStore::treeSiblings()
{
    QFETCH(qint64, id);
    QFETCH(Ids, expected);
    QCOMPARE(MessageTree(fixedTree()).siblings(id), expected);
    QCOMPARE(MessageTree(shuffledTree()).siblings(id), expected);
}

void TestStore::treeLatestLeaf_data()
{
    QTest::addColumn<qint64>("id");
    QTest::addColumn<qint64>("expected");
    QTest::newRow("newest child each step") << qint64(1) << qint64(8);
    QTest::newRow("older branch") << qint64(2) << qint64(4);
    QTest::newRow("edited question") << qint64(6) << qint64(7);
    QTest::newRow("a leaf itself") << qint64(4) << qint64(4);
    QTest::newRow("unknown") << qint64(99) << qint64(0);
}

void TestStore::treeLatestLeaf()
{
    QFETCH(qint64, id);
    QFETCH(qint64, expected);
    QCOMPARE(MessageTree(fixedTree()).latestLeaf(id), expected);
    QCOMPARE(MessageTree(shuffledTree()).latestLeaf(id), expected);
}

void TestStore::treeSurvivesParentLoop()
{
    // A damaged file could hold 1 -> 2 -> 1; the tree must answer, not hang.
    const MessageTree tree({message(1, 2), message(2, 1), message(3, 3)});
    QCOMPARE(idsOf(tree.path(1)), (Ids{2, 1}));
    QCOMPARE(idsOf(tree.path(3)), Ids{3});
    QVERIFY(tree.latestLeaf(1) != 0);
    QVERIFY(tree.latestLeaf(3) == 3);
    QCOMPARE(tree.find(2)->parentId, 1);
    QCOMPARE(tree.find(4), nullptr);
}

void TestStore::branchesAfterEditAndRegenerate()
{
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    ASSIGN_OR_FAIL(const Conversation c, store.createConversation(QStringLiteral("branches"), {}));
    const QString user = QStringLiteral("user");
    const QString assistant = QStringLiteral("assistant");
    ASSIGN_OR_FAIL(const StoredMessage q1, store.addMessage(c.id, 0, user, QStringLiteral("Capital of France?")));
    ASSIGN_OR_FAIL(const StoredMessage a1, store.addMessage(c.id, q1.id, assistant, QStringLiteral("Paris.")));
    ASSIGN_OR_FAIL(const StoredMessage q2, store.addMessage(c.id, a1.id, user, QStringLiteral("And Spain?")));
    ASSIGN_OR_FAIL(const StoredMessage a2, store.addMessage(c.id, q2.id, assistant, QStringLiteral("Madrid.")));
    // Regenerate the first answer: a sibling of a1 under q1.
    ASSIGN_OR_FAIL(const StoredMessage a1b, store.addMessage(c.id, q1.id, assistant, QStringLiteral("It is Paris.")));
    // Edit the first question: a sibling of q1 with no parent, then its answer.
    ASSIGN_OR_FAIL(const StoredMessage q1b, store.addMessage(c.id, 0, user, QStringLiteral("Capital of Italy?")));
    ASSIGN_OR_FAIL(const StoredMessage a3, store.addMessage(c.id, q1b.id, assistant, QStringLiteral("Rome.")));

    ASSIGN_OR_FAIL(Conversation read, store.conversation(c.id));
    QCOMPARE(read.currentLeafId, a3.id);
    ASSIGN_OR_FAIL(const QList<StoredMessage> all, store.messages(c.id));
    QCOMPARE(idsOf(all), (Ids{q1.id, a1.id, q2.id, a2.id, a1b.id, q1b.id, a3.id}));

    const MessageTree tree(all);
    QCOMPARE(idsOf(tree.path(read.currentLeafId)), (Ids{q1b.id, a3.id}));
    QCOMPARE(tree.siblings(q1b.id), (Ids{q1.id, q1b.id}));
    QCOMPARE(tree.siblings(a1.id), (Ids{a1.id, a1b.id}));
    QCOMPARE(tree.siblings(a2.id), Ids{a2.id});
    // The "<" arrow on the edited question goes back to q1 and down its newest branch.
    QCOMPARE(tree.latestLeaf(q1.id), a1b.id);
    QCOMPARE(tree.latestLeaf(a1.id), a2.id);
    QCOMPARE(tree.find(a2.id)->text, QStringLiteral("Madrid."));

    // Switching to the old branch is remembered across a restart.
    VERIFY_OK(store.setCurrentLeaf(c.id, tree.latestLeaf(a1.id)));
    db.reset();
    ASSIGN_OR_FAIL(db, Database::open(dbPath()));
    ChatStore reopened(*db);
    ASSIGN_OR_FAIL(read, reopened.conversation(c.id));
    QCOMPARE(read.currentLeafId, a2.id);
    ASSIGN_OR_FAIL(const QList<StoredMessage> again, reopened.messages(c.id));
    QStringList texts;
    for (const StoredMessage& m : MessageTree(again).path(read.currentLeafId))
        texts << m.text;
    QCOMPARE(texts, (QStringList{"Capital of France?", "Paris.", "And Spain?", "Madrid."}));
}
