// The window's chat retrieves as `atelier docs search` does (issue 21): with the embedding model
// chosen in the Documents dialog, a question sent through the real chat widgets is embedded on the
// compute thread (the UI keeps running while the engine is held) and its sources are the CLI's
// hybrid hits, same chunks in the same order, which differ from BM25's; with the model file gone,
// the chat falls back to BM25 (the CLI's keyword hits) and says so. Uses the tiny random BERT and
// Qwen2 from tests/llm/fixtures; screenshots go to ATELIER_DATA_DIR/screenshots.

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/chat_workspace.h"
#include "chat/model_catalog.h"
#include "core/app_paths.h"
#include "docs/collection_store.h"
#include "docs/indexer.h"
#include "engine/compute_engine.h"
#include "store/chat_store.h"
#include "store/database.h"
#include "test_result.h"
#include "ui/docs/chat_documents.h"
#include "ui/docs/documents_dialog.h"
#include "ui/docs/source_finder.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QMenu>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QtTest>

#include <atomic>
#include <optional>

using namespace atelier;

namespace {

constexpr int kTimeoutMs = 60000;

bool write(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

void screenshot(QWidget* w, const QString& name)
{
    const QString dir = paths::dataDir() + QStringLiteral("/screenshots");
    QDir().mkpath(dir);
    w->grab().save(dir + u'/' + name + QStringLiteral(".png"));
}

// One source: the file and "lines 1-3" (or "page 2").
using Source = std::pair<QString, QString>;

// `atelier docs search` as a user runs it; its lines "path[:line]\tposition\tscore" as sources.
QList<Source> cliSearch(const QStringList& arguments, QString* error)
{
    QProcess cli;
    cli.start(QStringLiteral(ATELIER_EXECUTABLE), QStringList{"docs", "search"} + arguments);
    if (!cli.waitForFinished(kTimeoutMs) || cli.exitCode() != 0) {
        *error = QString::fromUtf8(cli.readAllStandardError());
        return {};
    }
    const QString err = QString::fromUtf8(cli.readAllStandardError());
    if (err.contains(QStringLiteral("validation]")))
        *error = err;
    QList<Source> sources;
    for (const QString& line : QString::fromUtf8(cli.readAllStandardOutput()).split(u'\n', Qt::SkipEmptyParts)) {
        const QStringList fields = line.split(u'\t');
        if (fields.size() == 3)
            sources.append({fields[0].section(u':', 0, 0), fields[1]});
    }
    return sources;
}

// The source list under a stored answer: "1. [town3.md, lines 1-3](file:///…/town3.md)".
QList<Source> answerSources(const QString& answer)
{
    static const QRegularExpression item(QStringLiteral("^\\d+\\. \\[[^\\]]+, ([^\\]]+)\\]\\(([^)]+)\\)$"),
                                         QRegularExpression::MultilineOption);
    QList<Source> sources;
    for (auto it = item.globalMatch(answer.section(QStringLiteral("\n\nSources:\n"), -1)); it.hasNext();) {
        const auto m = it.next();
        sources.append({QUrl(m.captured(2)).toLocalFile(), m.captured(1)});
    }
    return sources;
}

// Whether an answer on show has `text` in it.
bool showsSources(QWidget& chat, const QString& text)
{
    for (QLabel* l : chat.findChildren<QLabel*>("messageProse"))
        if (l->isVisible() && l->text().contains(text))
            return true;
    return false;
}

// A job that keeps the compute thread busy until released (at the latest when it goes out of
// scope, so a failed check never leaves the engine blocked).
class Hold {
public:
    explicit Hold(engine::ComputeEngine& engine)
    {
        engine.submit(std::make_unique<engine::FunctionJob>("hold", [flag = mFlag](engine::JobContext&) {
            while (!flag->load())
                QThread::msleep(5);
            return Result<QVariant>(QVariant());
        }));
    }
    ~Hold() { release(); }
    void release() { mFlag->store(true); }

private:
    std::shared_ptr<std::atomic<bool>> mFlag = std::make_shared<std::atomic<bool>>(false);
};

QString describe(const QList<Source>& sources)
{
    QStringList lines;
    for (const Source& s : sources)
        lines << QFileInfo(s.first).fileName() + u' ' + s.second;
    return lines.join(QStringLiteral("; "));
}

} // namespace

class TestDocsHybrid : public QObject {
    Q_OBJECT

    std::unique_ptr<store::Database> mDb;
    engine::ComputeEngine mEngine;
    QString mBert;
    QString mNotes;

    // Sends `question` through the chat's input and returns the stored answer's sources.
    QString ask(ui::ChatWorkspace& chat, const QString& question)
    {
        QSignalSpy finished(&chat.chatEngine(), &ui::ChatEngine::answerFinished);
        QWidget* input = chat.findChild<QWidget*>("chatInput");
        input->setFocus();
        QTest::keyClicks(input, question);
        QTest::keyClick(input, Qt::Key_Return);
        if (!finished.wait(kTimeoutMs) && finished.isEmpty())
            return {};
        store::ChatStore chats(*mDb);
        auto messages = chats.messages(chat.currentConversation());
        return messages.ok() && !messages->isEmpty() ? messages->last().text : QString();
    }

private slots:
    void initTestCase()
    {
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
        QSettings().clear();
        store::ChatSettings quick;
        quick.temperature = 0;
        quick.maxTokens = 4;
        quick.seed = 1;
        quick.contextLength = 1024;
        ui::saveChatDefaults(quick);
        // A data folder of its own, emptied first: the CLI reads the same database.
        QDir(paths::modelsDir()).removeRecursively();
        paths::ensureDir(paths::modelsDir());
        QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_MODEL), paths::modelsDir() + QStringLiteral("/tiny-qwen2.gguf")));
        mBert = paths::modelsDir() + QStringLiteral("/tiny-bert.gguf");
        QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_BERT), mBert));
        for (const char* suffix : {"", "-wal", "-shm"})
            QFile::remove(paths::databasePath() + QLatin1String(suffix));
        ASSIGN_OR_FAIL(mDb, store::Database::open(paths::databasePath()));

        // Forty short notes that all share the question's words, so BM25 alone barely tells them
        // apart and the vectors decide much of the order; and ten that share none.
        mNotes = paths::dataDir() + QStringLiteral("/notes");
        QDir(mNotes).removeRecursively();
        const QStringList animals{"sheep", "goats", "geese", "horses", "bees"};
        for (int i = 0; i < 40; ++i)
            QVERIFY(write(mNotes + QStringLiteral("/town%1.md").arg(i, 2, 10, QLatin1Char('0')),
                          QStringLiteral("# Town %1\n\nThe mayor of town %1 keeps %2 %3 near the river.\n")
                              .arg(i).arg(i * 7).arg(animals[i % animals.size()]).toUtf8()));
        for (int i = 0; i < 10; ++i)
            QVERIFY(write(mNotes + QStringLiteral("/recipe%1.txt").arg(i),
                          QStringLiteral("Bake the bread for %1 minutes with a pinch of salt.").arg(20 + i).toUtf8()));

        QSignalSpy ready(&mEngine, &engine::ComputeEngine::deviceReady);
        engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
        options.validation = true;
        mEngine.start(options);
        QVERIFY2(ready.wait(kTimeoutMs), "the Vulkan device did not open");
    }

    void cleanupTestCase() { mDb.reset(); }

    void chatRetrievesAsDocsSearchDoes()
    {
        // The collection and its embedding model, chosen as a user does in Edit > Documents….
        {
            ui::DocumentsDialog dialog(*mDb);
            dialog.setComputeEngine(&mEngine);
            dialog.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            auto* status = dialog.findChild<QLabel*>("indexStatus");
            QVERIFY(dialog.createCollection(QStringLiteral("towns")));
            dialog.addPaths({mNotes});
            QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith(QStringLiteral("towns: 50 added")), kTimeoutMs);
            auto* models = dialog.findChild<QComboBox*>("embeddingModel");
            QCOMPARE(models->itemText(1), QStringLiteral("tiny-bert.gguf"));
            models->setCurrentIndex(1);
            QTest::mouseClick(dialog.findChild<QPushButton*>("applyEmbedding"), Qt::LeftButton);
            QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("50 chunks embedded")), kTimeoutMs);
        }
        QCOMPARE(ui::embeddingModelOf(*mDb, {"gone", "towns"}), mBert);

        const QString question = QStringLiteral("How many sheep does the mayor keep?");
        QString error;
        const QList<Source> hybrid = cliSearch({"towns", question, "--k", "5", "--embed-model", mBert}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QList<Source> keywords = cliSearch({"towns", question, "--k", "5", "--keywords"}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        // Without --embed-model the CLI, too, searches with the collection's model.
        QCOMPARE(cliSearch({"towns", question, "--k", "5"}, &error), hybrid);
        QCOMPARE(hybrid.size(), 5);
        QCOMPARE(keywords.size(), 5);
        // The constructed case: fusing in the (random) vectors changes what comes first.
        QVERIFY2(hybrid != keywords, qPrintable(describe(hybrid)));

        ui::ChatWorkspace chat(mEngine, mDb.get(), QString());
        chat.resize(1100, 760);
        chat.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chat));
        QTRY_VERIFY_WITH_TIMEOUT(!chat.catalog().scanning() && !chat.catalog().models().isEmpty(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!chat.chatEngine().loadedPath().isEmpty(), kTimeoutMs);
        auto* documents = chat.findChild<ui::DocumentsButton*>("documentsButton");
        emit documents->menu()->aboutToShow();
        for (QAction* action : documents->menu()->actions())
            if (action->text() == QStringLiteral("towns"))
                action->trigger();
        QCOMPARE(documents->text(), QStringLiteral("Documents: towns"));

        // The compute thread is held by a job of the test's: the question waits for its vector
        // while the window goes on (Send has become Stop, no answer has started).
        Hold hold(mEngine);
        QSignalSpy started(&chat.chatEngine(), &ui::ChatEngine::answerStarted);
        QSignalSpy finished(&chat.chatEngine(), &ui::ChatEngine::answerFinished);
        QWidget* input = chat.findChild<QWidget*>("chatInput");
        input->setFocus();
        QTest::keyClicks(input, question);
        QTest::keyClick(input, Qt::Key_Return);
        auto* finder = chat.findChild<ui::SourceFinder*>();
        QVERIFY(finder && finder->busy());
        QTest::qWait(300); // the event loop runs: the UI thread is not waiting for the vector
        QVERIFY(finder->busy());
        QCOMPARE(started.count(), 0);
        QCOMPARE(chat.findChild<QPushButton*>("sendButton")->text(), QStringLiteral("Stop"));
        hold.release();
        QVERIFY(finished.wait(kTimeoutMs) || !finished.isEmpty());
        QCOMPARE(started.count(), 1);

        // The sources handed to the model and listed under the answer are the CLI's hybrid hits.
        const QString grounded = started.at(0).at(0).value<ui::ChatRequest>().turns.last().text;
        for (int i = 0; i < hybrid.size(); ++i)
            QVERIFY2(grounded.contains(QStringLiteral("[%1] %2 (%3)").arg(i + 1).arg(QFileInfo(hybrid[i].first).fileName(),
                                                                                     hybrid[i].second)),
                     qPrintable(grounded));
        store::ChatStore chats(*mDb);
        ASSIGN_OR_FAIL(const auto messages, chats.messages(chat.currentConversation()));
        QCOMPARE(messages.size(), 2);
        const QList<Source> shown = answerSources(messages[1].text);
        QVERIFY2(shown == hybrid, qPrintable(describe(shown) + "\nvs\n" + describe(hybrid)));
        QVERIFY(!messages[1].text.contains(QStringLiteral("Found by keywords only")));
        QVERIFY2(documents->toolTip().endsWith(QStringLiteral("Last question: Found by keywords and meaning (tiny-bert.gguf)")),
                 qPrintable(documents->toolTip()));
        QTRY_VERIFY_WITH_TIMEOUT(showsSources(chat, QStringLiteral("1. [%1, %2](").arg(QFileInfo(hybrid[0].first).fileName(),
                                                                                  hybrid[0].second)), 5000);
        screenshot(&chat, QStringLiteral("chat_hybrid_sources"));

        // The model file gone: keyword search alone, the CLI's BM25 hits, and the answer says why.
        const QString away = mBert + QStringLiteral(".away");
        QVERIFY(QFile::rename(mBert, away));
        const QString fallback = ask(chat, question);
        QVERIFY(QFile::rename(away, mBert));
        const QList<Source> shownFallback = answerSources(fallback);
        QVERIFY2(shownFallback == keywords, qPrintable(describe(shownFallback) + "\nvs\n" + describe(keywords)));
        QVERIFY2(fallback.endsWith(QStringLiteral("\n\n*Found by keywords only: the embedding model tiny-bert.gguf is missing.*")),
                 qPrintable(fallback));
        QVERIFY2(documents->toolTip().endsWith(QStringLiteral("Last question: Found by keywords only: the embedding model "
                                                              "tiny-bert.gguf is missing")),
                 qPrintable(documents->toolTip()));
        QTRY_VERIFY_WITH_TIMEOUT(showsSources(chat, QStringLiteral("Found by keywords only")), 5000);
        screenshot(&chat, QStringLiteral("chat_keyword_fallback"));
    }

    void finderSaysWhyKeywordsAlone()
    {
        // A collection without vectors for its model yet, and one without a model: BM25 at once
        // (no job), each with its reason; the same hits as `atelier docs search` without a model.
        const QString dir = paths::dataDir() + QStringLiteral("/plain");
        QDir(dir).removeRecursively();
        QVERIFY(write(dir + QStringLiteral("/otters.md"), "# Otters\n\nOtters hold hands while they sleep.\n"));
        docs::CollectionStore store(*mDb);
        docs::CollectionSettings withModel;
        withModel.embeddingModel = mBert;
        for (const auto& [name, settings] : {std::pair{QStringLiteral("unembedded"), withModel},
                                             std::pair{QStringLiteral("plain"), docs::CollectionSettings{}}}) {
            (void)store.remove(name);
            ASSIGN_OR_FAIL(const docs::Collection c, store.create(name, settings));
            VERIFY_OK(store.addRoots(c.id, {dir}));
            docs::Indexer indexer(store); // no embedder: chunks without vectors
            VERIFY_OK(indexer.update(store.find(name).value()));
        }
        ui::SourceFinder finder(*mDb, &mEngine);
        QSignalSpy submitted(&mEngine, &engine::ComputeEngine::jobStarted);
        std::optional<ui::FoundSources> found;
        finder.find({"unembedded"}, QStringLiteral("Do otters sleep?"), 5, [&](const ui::FoundSources& f) { found = f; });
        QVERIFY(found && !finder.busy()); // answered at once
        QCOMPARE(found->hits.size(), size_t(1));
        QVERIFY(!found->hybrid);
        QCOMPARE(found->fallback, QStringLiteral("no chunk has a vector from tiny-bert.gguf yet"));
        found.reset();
        finder.find({"plain"}, QStringLiteral("Do otters sleep?"), 5, [&](const ui::FoundSources& f) { found = f; });
        QVERIFY(found && found->fallback.isEmpty() && !found->hybrid);
        QCOMPARE(found->how, QStringLiteral("Found by keywords (no embedding model is chosen for these collections)"));
        QCOMPARE(found->hits.front().path, dir + QStringLiteral("/otters.md"));
        ui::SourceFinder deviceless(*mDb, nullptr);
        found.reset();
        deviceless.find({"towns"}, QStringLiteral("sheep"), 5, [&](const ui::FoundSources& f) { found = f; });
        QVERIFY(found && !found->hybrid);
        QCOMPARE(found->fallback, QStringLiteral("no device to run tiny-bert.gguf on"));
        found.reset();
        deviceless.find({"gone"}, QStringLiteral("sheep"), 5, [&](const ui::FoundSources& f) { found = f; });
        QVERIFY(found && found->hits.empty());
        QTest::qWait(100);
        QCOMPARE(submitted.count(), 0); // keyword search never waits for the engine
    }

    void stopWhileFindingKeepsTheQuestion()
    {
        ui::ChatWorkspace chat(mEngine, mDb.get(), QString());
        chat.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chat));
        QTRY_VERIFY_WITH_TIMEOUT(!chat.catalog().scanning() && !chat.catalog().models().isEmpty(), 10000);
        auto* documents = chat.findChild<ui::DocumentsButton*>("documentsButton");
        emit documents->menu()->aboutToShow();
        for (QAction* action : documents->menu()->actions())
            if (action->text() == QStringLiteral("towns"))
                action->trigger();

        Hold hold(mEngine);
        QSignalSpy started(&chat.chatEngine(), &ui::ChatEngine::answerStarted);
        QWidget* input = chat.findChild<QWidget*>("chatInput");
        input->setFocus();
        QTest::keyClicks(input, QStringLiteral("Which town keeps bees?"));
        QTest::keyClick(input, Qt::Key_Return);
        auto* send = chat.findChild<QPushButton*>("sendButton");
        QCOMPARE(send->text(), QStringLiteral("Stop"));
        QTest::mouseClick(send, Qt::LeftButton);
        QCOMPARE(send->text(), QStringLiteral("Send"));
        QVERIFY(!chat.findChild<ui::SourceFinder*>()->busy());
        // The vector job was cancelled in the queue: once the engine is free, nothing answers.
        QSignalSpy idle(&mEngine, &engine::ComputeEngine::jobFinished);
        hold.release();
        QVERIFY(idle.wait(kTimeoutMs));
        QTest::qWait(300);
        QCOMPARE(started.count(), 0);
        store::ChatStore chats(*mDb);
        ASSIGN_OR_FAIL(const auto messages, chats.messages(chat.currentConversation()));
        QCOMPARE(messages.size(), 1);
        QCOMPARE(messages[0].text, QStringLiteral("Which town keeps bees?"));
    }
};

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName("AtelierTest");
    QCoreApplication::setApplicationName("tst_docs_hybrid");
    TestDocsHybrid test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_docs_hybrid.moc"
