// The writer is killed (SIGKILL) while it adds messages as fast as it can: every message it said
// was committed must be in the file, whole, and the file must pass integrity_check.

#include "tst_store.h"

#include "store/message_tree.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QProcess>
#include <QSqlQuery>

#include <cstdio>

using namespace atelier;
using namespace atelier::store;

namespace atelier::test {

QString writerMessageText(int i)
{
    return QStringLiteral("Message %1 — ünïcødé ✓ 日本語\n```cpp\nint value = %1; // 100% _done_\n```\n").arg(i) +
           QStringLiteral("Line %1 of a long answer. ").arg(i).repeated(40 + i % 50);
}

int runWriter(const QString& path)
{
    auto db = Database::open(path, 10000);
    if (!db.ok()) {
        std::fprintf(stderr, "writer: %s\n", db.error().message.c_str());
        return 2;
    }
    ChatStore store(**db);
    auto conversation = store.createConversation(QStringLiteral("written until killed"), {});
    if (!conversation.ok()) {
        std::fprintf(stderr, "writer: %s\n", conversation.error().message.c_str());
        return 3;
    }
    MessageStats stats;
    stats.model = QStringLiteral("writer.gguf");
    qint64 parent = 0;
    for (int i = 0; i < 1000000; ++i) {
        stats.generatedTokens = i;
        auto added = store.addMessage(conversation->id, parent, i % 2 ? QStringLiteral("assistant") : QStringLiteral("user"),
                                      writerMessageText(i), stats);
        if (!added.ok()) {
            std::fprintf(stderr, "writer: %s\n", added.error().message.c_str());
            return 4;
        }
        // Printed only once addMessage has returned, that is once it is committed.
        std::printf("%lld %d\n", static_cast<long long>(added->id), i);
        std::fflush(stdout);
        parent = added->id;
    }
    return 0;
}

} // namespace atelier::test

void TestStore::killedWriterLosesNothing_data()
{
    QTest::addColumn<int>("killAfter");
    QTest::newRow("early") << 3;
    QTest::newRow("after 200 messages") << 200;
    QTest::newRow("after 2000 messages (WAL checkpoints on the way)") << 2000;
}

void TestStore::killedWriterLosesNothing()
{
    QFETCH(int, killAfter);
    QHash<qint64, int> committed; // message id -> the writer's message number
    // Two rounds: the second writer starts on the file the first one left behind, log and all.
    for (int round = 0; round < 2; ++round) {
        QProcess writer;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QLatin1String(test::kWriterVariable), dbPath());
        writer.setProcessEnvironment(environment);
        writer.start(QCoreApplication::applicationFilePath(), {});
        QVERIFY(writer.waitForStarted());

        QByteArray output;
        const QDeadlineTimer deadline(120000);
        while (output.count('\n') < killAfter && !deadline.hasExpired()) {
            if (!writer.waitForReadyRead(int(deadline.remainingTime())) && writer.state() != QProcess::Running)
                break;
            output += writer.readAllStandardOutput();
        }
        QVERIFY2(output.count('\n') >= killAfter, writer.readAllStandardError().constData());
        writer.kill(); // SIGKILL: no destructor, no close, no checkpoint
        QVERIFY(writer.waitForFinished(10000));
        QCOMPARE(writer.exitStatus(), QProcess::CrashExit);
        output += writer.readAllStandardOutput();

        // The last line may be cut short by the kill; only whole lines count.
        output.truncate(output.lastIndexOf('\n') + 1);
        for (const QByteArray& line : output.split('\n')) {
            const QList<QByteArray> fields = line.split(' ');
            if (fields.size() == 2)
                committed.insert(fields[0].toLongLong(), fields[1].toInt());
        }
    }
    QVERIFY(committed.size() >= 2 * killAfter);

    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    QSqlQuery integrity(db->sql());
    QVERIFY(integrity.exec(QStringLiteral("PRAGMA integrity_check")) && integrity.next());
    QCOMPARE(integrity.value(0).toString(), QStringLiteral("ok"));

    ChatStore store(*db);
    ASSIGN_OR_FAIL(const QList<Conversation> conversations, store.conversations());
    QCOMPARE(conversations.size(), 2);
    qsizetype found = 0;
    for (const Conversation& conversation : conversations) {
        ASSIGN_OR_FAIL(const QList<StoredMessage> messages, store.messages(conversation.id));
        QVERIFY(!messages.isEmpty());
        // The message and the conversation's leaf were committed together.
        QCOMPARE(conversation.currentLeafId, messages.last().id);
        QCOMPARE(MessageTree(messages).path(conversation.currentLeafId).size(), messages.size());
        for (const StoredMessage& message : messages) {
            const auto it = committed.constFind(message.id);
            if (it == committed.cend())
                continue; // committed, then killed before it was printed
            ++found;
            QCOMPARE(message.text, test::writerMessageText(*it));
            QCOMPARE(message.role, *it % 2 ? QStringLiteral("assistant") : QStringLiteral("user"));
            QCOMPARE(message.stats.generatedTokens, *it);
        }
    }
    QCOMPARE(found, committed.size());
}
