// Markdown and JSON exports of the branch on show.

#include "tst_store.h"

#include "store/chat_export.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace atelier;
using namespace atelier::store;

namespace {

const QString kCodeAnswer = QStringLiteral(
    "Here it is:\n\n```cpp\n#include <cstdio>\nint main() { std::printf(\"%d\\n\", 1 < 2 && 3 > 2); }\n```\n\n"
    "And *that* is **all** — ✓ <b>not html</b> & friends.");

Conversation sampleConversation()
{
    Conversation c;
    c.id = 7;
    c.title = QStringLiteral("C++ help");
    c.created = QDateTime::fromMSecsSinceEpoch(1700000000123);
    c.updated = QDateTime::fromMSecsSinceEpoch(1700000100456);
    c.settings.modelPath = QStringLiteral("/models/gemma-3-1b-it-Q4_K_M.gguf");
    c.settings.systemPrompt = QStringLiteral("You are terse.");
    c.settings.temperature = 0.3;
    c.settings.seed = 42;
    return c;
}

QList<StoredMessage> samplePath()
{
    StoredMessage question;
    question.id = 1;
    question.role = QStringLiteral("user");
    question.text = QStringLiteral("Write hello world in C++");
    question.created = QDateTime::fromMSecsSinceEpoch(1700000000500);
    StoredMessage answer;
    answer.id = 2;
    answer.parentId = 1;
    answer.role = QStringLiteral("assistant");
    answer.text = kCodeAnswer;
    answer.created = QDateTime::fromMSecsSinceEpoch(1700000001500);
    answer.stats.generatedTokens = 58;
    answer.stats.tokensPerSecond = 21.5;
    answer.stats.model = QStringLiteral("gemma-3-1b-it-Q4_K_M.gguf");
    return {question, answer};
}

} // namespace

void TestStore::markdownKeepsTextVerbatim()
{
    const QString markdown = exportMarkdown(sampleConversation(), samplePath());
    QVERIFY(markdown.startsWith(QStringLiteral("# C++ help\n")));
    QVERIFY2(markdown.contains(kCodeAnswer), qPrintable(markdown));
    QVERIFY(markdown.contains(QStringLiteral("Write hello world in C++")));
    QVERIFY(markdown.contains(QStringLiteral("gemma-3-1b-it-Q4_K_M.gguf")));
    QVERIFY(markdown.contains(QStringLiteral("temperature 0.3")));
    QVERIFY(markdown.contains(QStringLiteral("seed 42")));
    QVERIFY(markdown.contains(QStringLiteral("You are terse.")));
    QVERIFY(markdown.contains(QStringLiteral("21.5 tokens/s")));
    const qsizetype system = markdown.indexOf(QStringLiteral("**System**"));
    const qsizetype user = markdown.indexOf(QStringLiteral("**User**"));
    const qsizetype assistant = markdown.indexOf(QStringLiteral("**Assistant**"));
    QVERIFY(system > 0 && system < user && user < assistant && assistant < markdown.indexOf(kCodeAnswer));
    QCOMPARE(markdown.count(QStringLiteral("```")), 2); // the answer's own fences, nothing added
}

void TestStore::markdownClosesStoppedCodeBlock()
{
    QList<StoredMessage> path = samplePath();
    path[1].text = QStringLiteral("Sure:\n```python\nprint('half way");
    path[1].stats.stopped = true;
    StoredMessage next;
    next.role = QStringLiteral("user");
    next.text = QStringLiteral("Go on");
    path << next;
    const QString markdown = exportMarkdown(sampleConversation(), path);
    QVERIFY2(markdown.contains(path[1].text + QStringLiteral("\n```\n")), qPrintable(markdown));
    QVERIFY(markdown.indexOf(QStringLiteral("\n```\n")) < markdown.lastIndexOf(QStringLiteral("**User**")));
    QVERIFY(markdown.contains(QStringLiteral("stopped")));
}

void TestStore::jsonParsesBack()
{
    const Conversation conversation = sampleConversation();
    const QList<StoredMessage> path = samplePath();
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(exportJson(conversation, path), &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QJsonObject root = document.object();
    QCOMPARE(root.value("title").toString(), conversation.title);
    QCOMPARE(QDateTime::fromString(root.value("created").toString(), Qt::ISODateWithMs), conversation.created);
    QCOMPARE(QDateTime::fromString(root.value("updated").toString(), Qt::ISODateWithMs), conversation.updated);
    QCOMPARE(ChatSettings::fromJson(root.value("settings").toObject()), conversation.settings);
    const QJsonArray messages = root.value("messages").toArray();
    QCOMPARE(messages.size(), path.size());
    for (qsizetype i = 0; i < path.size(); ++i) {
        const QJsonObject message = messages[i].toObject();
        QCOMPARE(message.value("role").toString(), path[i].role);
        QCOMPARE(message.value("content").toString(), path[i].text);
        QCOMPARE(QDateTime::fromString(message.value("created").toString(), Qt::ISODateWithMs), path[i].created);
        QCOMPARE(MessageStats::fromJson(message.value("stats").toObject()), path[i].stats);
    }
}
