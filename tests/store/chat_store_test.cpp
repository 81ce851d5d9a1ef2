// Conversations and messages through ChatStore: what the chat list and the message view read back.

#include "tst_store.h"

#include <QSqlQuery>

using namespace atelier;
using namespace atelier::store;
using atelier::test::RawConnection;

namespace {

ChatSettings customSettings()
{
    ChatSettings s;
    s.modelPath = QStringLiteral("/models/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf");
    s.systemPrompt = QStringLiteral("Réponds en français.\nUse ```code``` fences; 100% honest.");
    s.temperature = 0.2;
    s.topK = 0;
    s.topP = 1.0;
    s.minP = 0.0;
    s.repeatPenalty = 1.1;
    s.repeatLastN = 256;
    s.maxTokens = 77;
    s.seed = 4611686018427387905LL; // 2^62 + 1: beyond a double's 53 bits
    s.contextLength = 8192;
    return s;
}

// The error of a call expected to fail; a success reads as an error that no check accepts.
template <typename T>
Error errorOf(const Result<T>& result)
{
    return result.ok() ? Error{ErrorCode::Io, "the call succeeded"} : result.error();
}

QStringList titles(const QList<Conversation>& conversations)
{
    QStringList out;
    for (const Conversation& c : conversations)
        out << c.title;
    return out;
}

} // namespace

void TestStore::createsAndReadsConversation()
{
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    const QDateTime before = QDateTime::currentDateTime().addMSecs(-1);
    ASSIGN_OR_FAIL(const Conversation created, store.createConversation(QStringLiteral("Travel plans"), {}));
    QVERIFY(created.id > 0);
    QCOMPARE(created.title, QStringLiteral("Travel plans"));
    QVERIFY(created.created >= before);
    QCOMPARE(created.updated, created.created);
    QCOMPARE(created.currentLeafId, 0);

    ASSIGN_OR_FAIL(const Conversation read, store.conversation(created.id));
    QCOMPARE(read.id, created.id);
    QCOMPARE(read.title, created.title);
    QCOMPARE(read.created, created.created);
    QCOMPARE(read.updated, created.updated);
    QCOMPARE(read.settings, ChatSettings{});
    ASSIGN_OR_FAIL(const QList<StoredMessage> messages, store.messages(created.id));
    QVERIFY(messages.isEmpty());
    ASSIGN_OR_FAIL(const QList<Conversation> all, store.conversations());
    QCOMPARE(titles(all), QStringList{QStringLiteral("Travel plans")});
}

void TestStore::settingsRoundTrip_data()
{
    QTest::addColumn<ChatSettings>("settings");
    QTest::newRow("defaults") << ChatSettings{};
    QTest::newRow("every field changed") << customSettings();
    ChatSettings empty;
    empty.systemPrompt = QStringLiteral("");
    empty.seed = 0;
    empty.temperature = 0.0;
    QTest::newRow("zeros") << empty;
}

void TestStore::settingsRoundTrip()
{
    QFETCH(ChatSettings, settings);
    qint64 createdId = 0;
    qint64 changedId = 0;
    {
        ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
        ChatStore store(*db);
        ASSIGN_OR_FAIL(const Conversation created, store.createConversation(QStringLiteral("a"), settings));
        ASSIGN_OR_FAIL(const Conversation changed, store.createConversation(QStringLiteral("b"), {}));
        VERIFY_OK(store.setSettings(changed.id, settings));
        createdId = created.id;
        changedId = changed.id;
        ASSIGN_OR_FAIL(const Conversation read, store.conversation(createdId));
        QCOMPARE(read.settings, settings);
    }
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    ASSIGN_OR_FAIL(const Conversation created, store.conversation(createdId));
    ASSIGN_OR_FAIL(const Conversation changed, store.conversation(changedId));
    QCOMPARE(created.settings, settings);
    QCOMPARE(changed.settings, settings);
    QCOMPARE(ChatSettings::fromJson(settings.toJson()), settings);
}

void TestStore::settingsJsonKeepsDefaults()
{
    QCOMPARE(ChatSettings::fromJson({}), ChatSettings{});
    QCOMPARE(MessageStats::fromJson({}), MessageStats{});
    // A field of the wrong type, or one this build does not know, leaves the rest alone.
    const QJsonObject partial{{"temperature", 1.5}, {"topK", "many"}, {"futureField", true}, {"seed", 12}};
    ChatSettings expected;
    expected.temperature = 1.5;
    expected.seed = 12;
    QCOMPARE(ChatSettings::fromJson(partial), expected);

    MessageStats stats;
    stats.promptTokens = 1200;
    stats.generatedTokens = 345;
    stats.tokensPerSecond = 17.25;
    stats.firstTokenSeconds = 0.5;
    stats.droppedMessages = 3;
    stats.stopped = true;
    stats.model = QStringLiteral("gemma-3-270m-it-Q4_K_M.gguf");
    QCOMPARE(MessageStats::fromJson(stats.toJson()), stats);
}

void TestStore::renameAndSettingsTouchActivity()
{
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    ASSIGN_OR_FAIL(const Conversation created, store.createConversation(QStringLiteral("Old name"), {}));
    VERIFY_OK(store.rename(created.id, QStringLiteral("New name ✓")));
    ASSIGN_OR_FAIL(const Conversation renamed, store.conversation(created.id));
    QCOMPARE(renamed.title, QStringLiteral("New name ✓"));
    QCOMPARE(renamed.created, created.created);
    QVERIFY(renamed.updated > created.updated);
    VERIFY_OK(store.setSettings(created.id, customSettings()));
    ASSIGN_OR_FAIL(const Conversation changed, store.conversation(created.id));
    QVERIFY(changed.updated > renamed.updated);
    VERIFY_OK(store.rename(created.id, QString())); // a null title is stored as empty
    ASSIGN_OR_FAIL(const Conversation untitled, store.conversation(created.id));
    QCOMPARE(untitled.title, QString(""));
}

void TestStore::ordersByActivity_data()
{
    QTest::addColumn<QString>("action");
    QTest::addColumn<QStringList>("expected");
    // A, B, C are created in that order, so C is the most recent to begin with.
    QTest::newRow("newest first") << "" << QStringList{"C", "B", "A"};
    QTest::newRow("a message moves A up") << "message A" << QStringList{"A", "C", "B"};
    QTest::newRow("a rename moves B up") << "rename B" << QStringList{"B", "C", "A"};
    QTest::newRow("new settings move A up") << "settings A" << QStringList{"A", "C", "B"};
    QTest::newRow("switching branch keeps the place") << "leaf A" << QStringList{"C", "B", "A"};
    QTest::newRow("removed B is left out") << "remove B" << QStringList{"C", "A"};
    QTest::newRow("restore keeps the old place") << "remove A, restore A" << QStringList{"C", "B", "A"};
}

void TestStore::ordersByActivity()
{
    QFETCH(QString, action);
    QFETCH(QStringList, expected);
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    QHash<QString, qint64> ids;
    for (const QString title : {"A", "B", "C"}) {
        ASSIGN_OR_FAIL(const Conversation c, store.createConversation(title, {}));
        ids[title] = c.id;
    }
    // A's first message is added before the action, so switching to it changes nothing else.
    ASSIGN_OR_FAIL(const StoredMessage first, store.addMessage(ids["A"], 0, QStringLiteral("user"), QStringLiteral("hi")));
    VERIFY_OK(store.rename(ids["B"], QStringLiteral("B")));
    VERIFY_OK(store.rename(ids["C"], QStringLiteral("C")));

    for (const QString& step : action.split(QStringLiteral(", "), Qt::SkipEmptyParts)) {
        const QString verb = step.section(QLatin1Char(' '), 0, 0);
        const qint64 id = ids[step.section(QLatin1Char(' '), 1, 1)];
        if (verb == QLatin1String("message"))
            VERIFY_OK(store.addMessage(id, first.id, QStringLiteral("assistant"), QStringLiteral("hello")));
        else if (verb == QLatin1String("rename"))
            VERIFY_OK(store.rename(id, step.section(QLatin1Char(' '), 1, 1)));
        else if (verb == QLatin1String("settings"))
            VERIFY_OK(store.setSettings(id, customSettings()));
        else if (verb == QLatin1String("leaf"))
            VERIFY_OK(store.setCurrentLeaf(id, first.id));
        else if (verb == QLatin1String("remove"))
            VERIFY_OK(store.remove(id));
        else if (verb == QLatin1String("restore"))
            VERIFY_OK(store.restore(id));
        else
            QFAIL(qPrintable(step));
    }
    ASSIGN_OR_FAIL(const QList<Conversation> listed, store.conversations());
    QCOMPARE(titles(listed), expected);
}

void TestStore::removeRestorePurge()
{
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    ASSIGN_OR_FAIL(const Conversation kept, store.createConversation(QStringLiteral("kept"), {}));
    ASSIGN_OR_FAIL(const Conversation gone, store.createConversation(QStringLiteral("gone"), {}));
    ASSIGN_OR_FAIL(const StoredMessage keptMessage, store.addMessage(kept.id, 0, QStringLiteral("user"), QStringLiteral("stay")));
    ASSIGN_OR_FAIL(const StoredMessage question, store.addMessage(gone.id, 0, QStringLiteral("user"), QStringLiteral("q")));
    VERIFY_OK(store.addMessage(gone.id, question.id, QStringLiteral("assistant"), QStringLiteral("a")));
    VERIFY_OK(store.addMessage(gone.id, question.id, QStringLiteral("assistant"), QStringLiteral("a again")));

    VERIFY_OK(store.remove(gone.id));
    VERIFY_OK(store.remove(gone.id)); // twice is fine
    ASSIGN_OR_FAIL(QList<Conversation> listed, store.conversations());
    QCOMPARE(titles(listed), QStringList{"kept"});
    ASSIGN_OR_FAIL(QList<Conversation> searched, store.conversations(QStringLiteral("again")));
    QVERIFY(searched.isEmpty());
    // Hidden, not gone: undo brings it back with its messages.
    ASSIGN_OR_FAIL(const QList<StoredMessage> hiddenMessages, store.messages(gone.id));
    QCOMPARE(hiddenMessages.size(), 3);
    VERIFY_OK(store.restore(gone.id));
    ASSIGN_OR_FAIL(listed, store.conversations());
    QCOMPARE(titles(listed), (QStringList{"gone", "kept"}));

    // Restored conversations are not purged; removed ones are, with every message of theirs.
    VERIFY_OK(store.purgeRemoved());
    ASSIGN_OR_FAIL(listed, store.conversations());
    QCOMPARE(listed.size(), 2);
    VERIFY_OK(store.remove(gone.id));
    VERIFY_OK(store.purgeRemoved());
    ASSIGN_OR_FAIL(listed, store.conversations());
    QCOMPARE(titles(listed), QStringList{"kept"});
    QVERIFY(!store.conversation(gone.id).ok());
    QVERIFY(!store.messages(gone.id).ok());
    QVERIFY(!store.restore(gone.id).ok());
    QSqlQuery count(db->sql());
    QVERIFY(count.exec(QStringLiteral("SELECT count(*) FROM messages")) && count.next());
    QCOMPARE(count.value(0).toInt(), 1);
    ASSIGN_OR_FAIL(const QList<StoredMessage> keptMessages, store.messages(kept.id));
    QCOMPARE(keptMessages.size(), 1);
    QCOMPARE(keptMessages[0].id, keptMessage.id);
}

void TestStore::unknownIdsAreErrors()
{
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    const qint64 missing = 4242;
    const QList<std::pair<const char*, Error>> errors = {
        {"conversation", errorOf(store.conversation(missing))},
        {"rename", errorOf(store.rename(missing, QStringLiteral("x")))},
        {"setSettings", errorOf(store.setSettings(missing, {}))},
        {"remove", errorOf(store.remove(missing))},
        {"restore", errorOf(store.restore(missing))},
        {"setCurrentLeaf", errorOf(store.setCurrentLeaf(missing, 0))},
        {"addMessage", errorOf(store.addMessage(missing, 0, QStringLiteral("user"), QStringLiteral("x")))},
        {"messages", errorOf(store.messages(missing))},
    };
    for (const auto& [name, error] : errors) {
        QVERIFY2(QString::fromStdString(error.message).contains(QStringLiteral("no conversation 4242")),
                 (std::string(name) + ": " + error.message).c_str());
        QCOMPARE(error.code, ErrorCode::InvalidArgument);
    }
}

void TestStore::search_data()
{
    QTest::addColumn<QString>("filter");
    QTest::addColumn<QStringList>("expected"); // most recent first
    const QStringList all{"Empty", "Über Straße", "Recipe", "Rust lifetimes"};
    QTest::newRow("no filter") << "" << all;
    QTest::newRow("title, other case") << "rUST" << QStringList{"Rust lifetimes"};
    QTest::newRow("message, other case") << "BORROW" << QStringList{"Rust lifetimes"};
    QTest::newRow("answer text") << "ownership" << QStringList{"Rust lifetimes"};
    QTest::newRow("literal percent") << "100%" << QStringList{"Recipe"};
    QTest::newRow("percent alone") << "%" << QStringList{"Recipe"};
    QTest::newRow("percent is no wildcard") << "1%r" << QStringList{};
    QTest::newRow("underscore alone") << "_" << QStringList{"Recipe"};
    QTest::newRow("underscore is no wildcard") << "sugar_" << QStringList{"Recipe"};
    QTest::newRow("underscore is no wildcard 2") << "a_i" << QStringList{};
    QTest::newRow("backslash") << "C:\\temp" << QStringList{"Recipe"};
    QTest::newRow("quote") << "it's" << QStringList{"Recipe"};
    QTest::newRow("non-ASCII title, other case") << "üBER" << QStringList{"Über Straße"};
    QTest::newRow("Cyrillic message, other case") << "привет" << QStringList{"Über Straße"};
    QTest::newRow("in several") << "e" << QStringList{"Empty", "Über Straße", "Recipe", "Rust lifetimes"};
    QTest::newRow("nowhere") << "zebra" << QStringList{};
    QTest::newRow("removed ones are not found") << "hidden" << QStringList{};
}

void TestStore::search()
{
    QFETCH(QString, filter);
    QFETCH(QStringList, expected);
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    const QList<std::pair<QString, QStringList>> corpus = {
        {"Rust lifetimes", {"How do I borrow a value twice?", "Ownership rules say you cannot."}},
        {"Recipe", {"Use 100% butter and sugar_free syrup; it's in C:\\temp\\recipe.txt"}},
        {"Über Straße", {"ПРИВЕТ мир"}},
        {"Empty", {}},
        {"Removed", {"hidden text"}},
    };
    for (const auto& [title, texts] : corpus) {
        ASSIGN_OR_FAIL(const Conversation c, store.createConversation(title, {}));
        qint64 parent = 0;
        for (const QString& text : texts) {
            ASSIGN_OR_FAIL(const StoredMessage m,
                           store.addMessage(c.id, parent, parent ? QStringLiteral("assistant") : QStringLiteral("user"), text));
            parent = m.id;
        }
        if (title == QLatin1String("Removed"))
            VERIFY_OK(store.remove(c.id));
    }
    ASSIGN_OR_FAIL(const QList<Conversation> found, store.conversations(filter));
    QCOMPARE(titles(found), expected);
}

void TestStore::addMessageCommitsAndMovesLeaf()
{
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    ASSIGN_OR_FAIL(const Conversation c, store.createConversation(QStringLiteral("c"), {}));
    ASSIGN_OR_FAIL(const StoredMessage question, store.addMessage(c.id, 0, QStringLiteral("user"), QStringLiteral("Why?")));
    QCOMPARE(question.conversationId, c.id);
    QCOMPARE(question.parentId, 0);
    QVERIFY(question.created.isValid());
    ASSIGN_OR_FAIL(Conversation read, store.conversation(c.id));
    QCOMPARE(read.currentLeafId, question.id);
    QVERIFY(read.updated > c.updated);

    MessageStats stats;
    stats.generatedTokens = 12;
    stats.tokensPerSecond = 3.5;
    stats.stopped = true;
    stats.model = QStringLiteral("gemma.gguf");
    ASSIGN_OR_FAIL(const StoredMessage answer,
                   store.addMessage(c.id, question.id, QStringLiteral("assistant"), QStringLiteral("Because."), stats));
    ASSIGN_OR_FAIL(read, store.conversation(c.id));
    QCOMPARE(read.currentLeafId, answer.id);

    // Committed at once: another connection sees it while this one stays open.
    RawConnection other(dbPath());
    QCOMPARE(other.scalar(QStringLiteral("SELECT count(*) FROM messages")).toInt(), 2);
    QCOMPARE(other.scalar(QStringLiteral("SELECT current_leaf_id FROM conversations")).toLongLong(), answer.id);

    ASSIGN_OR_FAIL(const QList<StoredMessage> messages, store.messages(c.id));
    QCOMPARE(messages.size(), 2);
    QCOMPARE(messages[1].id, answer.id);
    QCOMPARE(messages[1].parentId, question.id);
    QCOMPARE(messages[1].role, QStringLiteral("assistant"));
    QCOMPARE(messages[1].text, QStringLiteral("Because."));
    QCOMPARE(messages[1].stats, stats);
    QCOMPARE(messages[1].created, answer.created);
}

void TestStore::addMessageRefusesBadInput_data()
{
    QTest::addColumn<QString>("role");
    QTest::addColumn<bool>("parentInOtherConversation");
    QTest::addColumn<qint64>("parentId");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown role") << "system" << false << qint64(0) << "role";
    QTest::newRow("empty role") << "" << false << qint64(0) << "role";
    QTest::newRow("parent of another conversation") << "user" << true << qint64(0) << "is not in conversation";
    QTest::newRow("unknown parent") << "user" << false << qint64(999) << "is not in conversation";
}

void TestStore::addMessageRefusesBadInput()
{
    QFETCH(QString, role);
    QFETCH(bool, parentInOtherConversation);
    QFETCH(qint64, parentId);
    QFETCH(QString, expected);
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    ASSIGN_OR_FAIL(const Conversation mine, store.createConversation(QStringLiteral("mine"), {}));
    ASSIGN_OR_FAIL(const Conversation other, store.createConversation(QStringLiteral("other"), {}));
    ASSIGN_OR_FAIL(const StoredMessage foreign, store.addMessage(other.id, 0, QStringLiteral("user"), QStringLiteral("x")));
    if (parentInOtherConversation)
        parentId = foreign.id;
    const auto added = store.addMessage(mine.id, parentId, role, QStringLiteral("text"));
    QVERIFY(!added.ok());
    QVERIFY2(QString::fromStdString(added.error().message).contains(expected), added.error().message.c_str());
    ASSIGN_OR_FAIL(const QList<StoredMessage> messages, store.messages(mine.id));
    QVERIFY(messages.isEmpty());
    ASSIGN_OR_FAIL(const Conversation unchanged, store.conversation(mine.id));
    QCOMPARE(unchanged.updated, mine.updated);
    QCOMPARE(unchanged.currentLeafId, 0);
}

void TestStore::setCurrentLeafStaysInConversation()
{
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    ASSIGN_OR_FAIL(const Conversation a, store.createConversation(QStringLiteral("a"), {}));
    ASSIGN_OR_FAIL(const Conversation b, store.createConversation(QStringLiteral("b"), {}));
    ASSIGN_OR_FAIL(const StoredMessage first, store.addMessage(a.id, 0, QStringLiteral("user"), QStringLiteral("1")));
    ASSIGN_OR_FAIL(const StoredMessage second, store.addMessage(a.id, 0, QStringLiteral("user"), QStringLiteral("2")));
    ASSIGN_OR_FAIL(const StoredMessage ofB, store.addMessage(b.id, 0, QStringLiteral("user"), QStringLiteral("b")));
    VERIFY_OK(store.setCurrentLeaf(a.id, first.id));
    ASSIGN_OR_FAIL(Conversation read, store.conversation(a.id));
    QCOMPARE(read.currentLeafId, first.id);
    const Status wrong = store.setCurrentLeaf(a.id, ofB.id);
    QVERIFY(!wrong.ok());
    QVERIFY2(QString::fromStdString(wrong.error().message).contains(QStringLiteral("is not in conversation")),
             wrong.error().message.c_str());
    ASSIGN_OR_FAIL(read, store.conversation(a.id));
    QCOMPARE(read.currentLeafId, first.id);
    VERIFY_OK(store.setCurrentLeaf(a.id, second.id));
    ASSIGN_OR_FAIL(read, store.conversation(a.id));
    QCOMPARE(read.currentLeafId, second.id);
}

void TestStore::reopenFindsEverything()
{
    QList<Conversation> before;
    QHash<qint64, QList<StoredMessage>> messagesBefore;
    Conversation removed;
    {
        ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
        ChatStore store(*db);
        for (int i = 0; i < 4; ++i) {
            ASSIGN_OR_FAIL(const Conversation c,
                           store.createConversation(QStringLiteral("Chat %1 — ünïcode").arg(i),
                                                    i % 2 ? customSettings() : ChatSettings{}));
            ASSIGN_OR_FAIL(const StoredMessage q, store.addMessage(c.id, 0, QStringLiteral("user"), QStringLiteral("Q%1").arg(i)));
            MessageStats stats;
            stats.generatedTokens = i * 10;
            stats.model = QStringLiteral("m%1.gguf").arg(i);
            ASSIGN_OR_FAIL(const StoredMessage a1, store.addMessage(c.id, q.id, QStringLiteral("assistant"), QStringLiteral("A%1\n```\ncode\n```").arg(i), stats));
            VERIFY_OK(store.addMessage(c.id, q.id, QStringLiteral("assistant"), QStringLiteral("A%1 again").arg(i), stats));
            if (i == 2)
                VERIFY_OK(store.setCurrentLeaf(c.id, a1.id)); // the first answer on show
        }
        ASSIGN_OR_FAIL(removed, store.createConversation(QStringLiteral("in the bin"), {}));
        VERIFY_OK(store.remove(removed.id));
        ASSIGN_OR_FAIL(before, store.conversations());
        for (const Conversation& c : before) {
            ASSIGN_OR_FAIL(const QList<StoredMessage> messages, store.messages(c.id));
            messagesBefore[c.id] = messages;
        }
    }
    QVERIFY(!QFile::exists(dbPath() + QStringLiteral("-wal"))); // closed cleanly: checkpointed

    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    ChatStore store(*db);
    ASSIGN_OR_FAIL(const QList<Conversation> after, store.conversations());
    QCOMPARE(after.size(), before.size());
    for (qsizetype i = 0; i < after.size(); ++i) {
        QCOMPARE(after[i].id, before[i].id);
        QCOMPARE(after[i].title, before[i].title);
        QCOMPARE(after[i].created, before[i].created);
        QCOMPARE(after[i].updated, before[i].updated);
        QCOMPARE(after[i].settings, before[i].settings);
        QCOMPARE(after[i].currentLeafId, before[i].currentLeafId);
        ASSIGN_OR_FAIL(const QList<StoredMessage> messages, store.messages(after[i].id));
        const QList<StoredMessage>& expected = messagesBefore[after[i].id];
        QCOMPARE(messages.size(), expected.size());
        for (qsizetype m = 0; m < messages.size(); ++m) {
            QCOMPARE(messages[m].id, expected[m].id);
            QCOMPARE(messages[m].parentId, expected[m].parentId);
            QCOMPARE(messages[m].role, expected[m].role);
            QCOMPARE(messages[m].text, expected[m].text);
            QCOMPARE(messages[m].created, expected[m].created);
            QCOMPARE(messages[m].stats, expected[m].stats);
        }
    }
    // The removed one is still there to restore after a restart.
    VERIFY_OK(store.restore(removed.id));
    ASSIGN_OR_FAIL(const QList<Conversation> restored, store.conversations());
    QCOMPARE(restored.size(), before.size() + 1);
}
