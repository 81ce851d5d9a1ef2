// The window's side of documents (issue 21): the Documents dialog indexing off the UI thread with
// progress, skipped files and their reasons, Cancel and the folder watcher; the chat's Documents
// control, the grounded question and the answer's citation links. Screenshots go to
// ATELIER_DATA_DIR/screenshots.

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/chat_settings_form.h"
#include "chat/chat_workspace.h"
#include "chat/model_catalog.h"
#include "core/app_paths.h"
#include "engine/compute_engine.h"
#include "store/chat_store.h"
#include "docs/collection_store.h"
#include "docs/document_indexer.h"
#include "docs/documents_dialog.h"
#include "store/database.h"
#include "test_result.h"
#include "ui/docs/chat_documents.h"
#include "ui/docs/compute_embedder.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>

using namespace atelier;

namespace {

bool write(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

void screenshot(QWidget* w, const QString& name)
{
    const QString dir = qEnvironmentVariable("ATELIER_DATA_DIR", QDir::tempPath()) + QStringLiteral("/screenshots");
    QDir().mkpath(dir);
    w->grab().save(dir + u'/' + name + QStringLiteral(".png"));
}

} // namespace

class TestDocsUi : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> mDir;
    std::unique_ptr<store::Database> mDb;
    QString path(const QString& name) const { return mDir->filePath(name); }

private slots:
    void init()
    {
        mDir = std::make_unique<QTemporaryDir>();
        auto db = store::Database::open(path(QStringLiteral("atelier.sqlite3")));
        QVERIFY2(db.ok(), test::errorText(db).c_str());
        mDb = std::move(db).value();
    }
    void cleanup()
    {
        mDb.reset();
        mDir.reset();
    }

    void dialogIndexesAndShowsSkippedFiles()
    {
        const QString notes = path(QStringLiteral("notes"));
        QVERIFY(write(notes + QStringLiteral("/velmora.md"), "# Velmora\n\nThe main export of Velmora is blue wool.\n"));
        QVERIFY(write(notes + QStringLiteral("/korvath.txt"), "Korvath exports copper wire."));
        QVERIFY(write(notes + QStringLiteral("/image.txt"), QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16)));
        QVERIFY(write(notes + QStringLiteral("/scan.pdf"), "GIF89a not a pdf"));

        ui::DocumentsDialog dialog(*mDb);
        dialog.indexer().setSettleMs(200);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto* list = dialog.findChild<QListWidget*>("collections");
        auto* status = dialog.findChild<QLabel*>("indexStatus");
        auto* skipped = dialog.findChild<QTreeWidget*>("skipped");
        QVERIFY(list && status && skipped);
        QCOMPARE(list->count(), 0);
        QVERIFY(dialog.createCollection(QStringLiteral("notes")));
        QVERIFY(!dialog.createCollection(QStringLiteral("notes")));
        QVERIFY(status->text().contains(QStringLiteral("already")));
        QCOMPARE(list->count(), 1);

        dialog.addPaths({notes});
        QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith(QStringLiteral("notes: 2 added")), 10000);
        QVERIFY(!dialog.indexer().busy());
        QVERIFY2(list->item(0)->text().contains(QStringLiteral("2 files · 2 skipped · 2 chunks")), qPrintable(list->item(0)->text()));
        QCOMPARE(skipped->topLevelItemCount(), 2);
        QCOMPARE(skipped->topLevelItem(0)->text(0), QStringLiteral("image.txt"));
        QVERIFY(skipped->topLevelItem(0)->text(1).startsWith(QStringLiteral("binary: a NUL byte")));
        QCOMPARE(skipped->topLevelItem(1)->text(1), QStringLiteral("not a PDF: no %PDF- header"));
        QCOMPARE(dialog.findChild<QListWidget*>("roots")->item(0)->text(), QDir::toNativeSeparators(notes));
        screenshot(&dialog, QStringLiteral("documents_dialog"));

        // Smaller chunks with overlap: the files are cut again.
        auto* chunkChars = dialog.findChild<QSpinBox*>("chunkChars");
        QCOMPARE(chunkChars->value(), 1200);
        chunkChars->setValue(200);
        dialog.findChild<QSpinBox*>("overlapChars")->setValue(500); // at most half a chunk
        QTest::mouseClick(dialog.findChild<QPushButton*>("applyChunking"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith(QStringLiteral("notes: 0 added, 2 changed, 0 unchanged, 2 skipped")), 10000);
        QCOMPARE(dialog.findChild<QSpinBox*>("overlapChars")->value(), 100);

        // A file written while the window runs is indexed without asking (the watcher).
        QVERIFY(write(notes + QStringLiteral("/sub/later.md"), "Written later: the heron."));
        QVERIFY(write(notes + QStringLiteral("/added.txt"), "Added later: the otter."));
        QTRY_VERIFY_WITH_TIMEOUT(list->item(0)->text().contains(QStringLiteral("4 files")), 10000);

        dialog.removeSelected();
        QCOMPARE(list->count(), 0);
    }

    void cancelStopsIndexing()
    {
        const QString many = path(QStringLiteral("many"));
        for (int i = 0; i < 3000; ++i)
            QVERIFY(write(many + QStringLiteral("/n%1.md").arg(i), QByteArray("# Note\n\nnumber ") + QByteArray::number(i)));
        ui::DocumentsDialog dialog(*mDb);
        dialog.show();
        QVERIFY(dialog.createCollection(QStringLiteral("many")));
        auto* status = dialog.findChild<QLabel*>("indexStatus");
        auto* cancel = dialog.findChild<QPushButton*>("cancelIndexing");
        dialog.addPaths({many});
        // The UI thread stays free while it indexes: progress arrives and Cancel can be clicked.
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral(" of 3000")), 10000);
        QVERIFY(cancel->isVisible());
        screenshot(&dialog, QStringLiteral("documents_indexing"));
        QTest::mouseClick(cancel, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("(cancelled)")), 10000);
        QVERIFY(!cancel->isVisible());
        docs::CollectionStore store(*mDb);
        ASSIGN_OR_FAIL(const docs::Collection c, store.find(QStringLiteral("many")));
        QVERIFY2(c.indexedFiles < 3000, qPrintable(QString::number(c.indexedFiles)));
    }

    void chatAnswersFromDocuments();
    void dialogChoosesTheEmbeddingModel();

    void chatChoosesCollectionsAndCitesSources()
    {
        QVERIFY(write(path(QStringLiteral("n/velmora.md")), "# Velmora\n\nThe main export of Velmora is blue wool.\n"));
        docs::CollectionStore store(*mDb);
        ASSIGN_OR_FAIL(const docs::Collection c, store.create(QStringLiteral("towns")));
        VERIFY_OK(store.addRoots(c.id, {path(QStringLiteral("n"))}));
        VERIFY_OK(store.create(QStringLiteral("empty")));
        docs::Indexer indexer(store);
        VERIFY_OK(indexer.update(store.find(QStringLiteral("towns")).value()));

        // The per-conversation choice in the chat settings, kept in the settings' JSON.
        ui::ChatSettingsForm form;
        store::Database* db = mDb.get();
        form.setDocumentCollections([db] { return ui::collectionNames(*db); });
        auto* button = form.findChild<ui::DocumentsButton*>("documentsButton");
        QVERIFY(button);
        QCOMPARE(button->text(), QStringLiteral("Documents: none"));
        QSignalSpy edited(&form, &ui::ChatSettingsForm::edited);
        emit button->menu()->aboutToShow();
        const QList<QAction*> actions = button->menu()->actions();
        QCOMPARE(actions.size(), 2);
        QCOMPARE(actions[1]->text(), QStringLiteral("towns"));
        actions[1]->trigger();
        QCOMPARE(edited.count(), 1);
        QCOMPARE(form.settings().documents, QStringList{"towns"});
        QCOMPARE(button->text(), QStringLiteral("Documents: towns"));
        const store::ChatSettings roundTrip = store::ChatSettings::fromJson(form.settings().toJson());
        QCOMPARE(roundTrip.documents, QStringList{"towns"});
        QCOMPARE(roundTrip.documentSources, 5);
        QCOMPARE(store::ChatSettings::fromJson(QJsonObject{{"documentSources", 500}}).documentSources,
                 store::kMostDocumentSources); // a hand-edited row cannot ask for the whole collection
        form.resize(420, 560);
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        screenshot(&form, QStringLiteral("chat_settings_documents"));

        // The question finds its source; the answer's [1] becomes a link that opens it.
        const std::vector<docs::Hit> sources =
            ui::findSources(*mDb, {"towns", "gone"}, QStringLiteral("What does Velmora export?"));
        QCOMPARE(sources.size(), size_t(1));
        const QString link = QUrl::fromLocalFile(path(QStringLiteral("n/velmora.md"))).toString(QUrl::FullyEncoded);
        QCOMPARE(ui::citedAnswer(QStringLiteral("Blue wool [1], not [4]."), sources),
                 QStringLiteral("Blue wool [[1]](%1), not [4].\n\nSources:\n\n1. [velmora.md, lines 1-3](%1)").arg(link));
        docs::Hit pdf = sources[0];
        pdf.path = QStringLiteral("/docs/report.pdf");
        pdf.page = 3;
        QCOMPARE(ui::sourceLink(pdf), QStringLiteral("file:///docs/report.pdf#page=3"));
        QLabel shown;
        shown.setTextFormat(Qt::MarkdownText);
        shown.setText(ui::citedAnswer(QStringLiteral("Velmora exports blue wool [1]."), sources));
        shown.resize(520, 140);
        shown.show();
        QVERIFY(QTest::qWaitForWindowExposed(&shown));
        screenshot(&shown, QStringLiteral("cited_answer"));
        QVERIFY(ui::findSources(*mDb, {}, QStringLiteral("Velmora")).empty());
    }
};

// The whole way through the chat: the conversation's Documents choice, the question grounded in
// the note's chunk on its way to the (tiny, random-weight) model, the stored answer with its sources.
void TestDocsUi::dialogChoosesTheEmbeddingModel()
{
    // The tiny BERT installed in the models folder, next to a chat model that is not offered.
    paths::ensureDir(paths::modelsDir());
    const QString bert = paths::modelsDir() + QStringLiteral("/tiny-bert.gguf");
    if (!QFile::exists(bert))
        QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_BERT), bert));
    const QString chatModel = paths::modelsDir() + QStringLiteral("/tiny-qwen2.gguf");
    if (!QFile::exists(chatModel))
        QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_MODEL), chatModel));
    const QString notes = path(QStringLiteral("towns"));
    for (int i = 0; i < 40; ++i)
        QVERIFY(write(notes + QStringLiteral("/town%1.md").arg(i),
                      QStringLiteral("# Town %1\n\nThe mayor of town %1 keeps %2 sheep and a lazy dog.\n").arg(i).arg(i * 7).toUtf8()));

    engine::ComputeEngine engine;
    QSignalSpy ready(&engine, &engine::ComputeEngine::deviceReady);
    engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
    options.validation = true;
    engine.start(options);
    QVERIFY2(ready.wait(60000), "the Vulkan device did not open");

    ui::DocumentsDialog dialog(*mDb);
    dialog.setComputeEngine(&engine);
    dialog.resize(980, 560);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto* status = dialog.findChild<QLabel*>("indexStatus");
    auto* models = dialog.findChild<QComboBox*>("embeddingModel");
    auto* vectors = dialog.findChild<QLabel*>("vectorsStatus");
    auto* apply = dialog.findChild<QPushButton*>("applyEmbedding");
    QVERIFY(status && models && vectors && apply);
    QVERIFY(dialog.createCollection(QStringLiteral("towns")));
    dialog.addPaths({notes});
    QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith(QStringLiteral("towns: 40 added")), 20000);

    // Keyword search only at first; the embedding models installed are offered, the chat model not.
    QCOMPARE(models->count(), 2);
    QCOMPARE(models->currentData().toString(), QString());
    QCOMPARE(models->itemText(1), QStringLiteral("tiny-bert.gguf"));
    QCOMPARE(vectors->text(), QStringLiteral("Keyword search only"));
    QVERIFY(!dialog.findChild<QPushButton*>("getEmbeddingModel")->isVisible()); // one is installed

    // Chosen and applied: every chunk is embedded on the engine, with progress, and it says so.
    models->setCurrentIndex(1);
    bool sawEmbedding = false;
    auto seen = connect(&dialog.indexer(), &ui::DocumentIndexer::embedding, this, [&] { sawEmbedding = true; });
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("40 chunks embedded")), 60000);
    disconnect(seen);
    QVERIFY(sawEmbedding);
    QVERIFY2(status->text().startsWith(QStringLiteral("towns: 0 added, 0 changed, 40 unchanged")), qPrintable(status->text()));
    QCOMPARE(vectors->text(), QStringLiteral("Vectors: all 40 chunks"));
    docs::CollectionStore store(*mDb);
    ASSIGN_OR_FAIL(const docs::Collection c, store.find(QStringLiteral("towns")));
    QCOMPARE(c.settings.embeddingModel, bert);
    ASSIGN_OR_FAIL(const int stored, store.vectorCount(c.id, ui::embeddingModelId(bert)));
    QCOMPARE(stored, 40);
    screenshot(&dialog, QStringLiteral("documents_embedding"));

    // Back to keyword search: nothing to embed; the vectors stay for a later return.
    models->setCurrentIndex(0);
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith(QStringLiteral("towns: 0 added")) &&
                                 !status->text().contains(QStringLiteral("embedded")), 20000);
    QCOMPARE(vectors->text(), QStringLiteral("Keyword search only"));
    QFile::remove(bert);
}

void TestDocsUi::chatAnswersFromDocuments()
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
    QSettings().clear();
    store::ChatSettings quick;
    quick.temperature = 0;
    quick.maxTokens = 8;
    quick.seed = 1;
    quick.contextLength = 512;
    ui::saveChatDefaults(quick);
    paths::ensureDir(paths::modelsDir());
    const QString model = paths::modelsDir() + QStringLiteral("/tiny-qwen2.gguf");
    if (!QFile::exists(model))
        QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_MODEL), model));
    for (const char* suffix : {"", "-wal", "-shm"})
        QFile::remove(paths::databasePath() + QLatin1String(suffix));

    QVERIFY(write(path(QStringLiteral("n/velmora.md")), "# Velmora\n\nThe main export of Velmora is blue wool.\n"));
    ASSIGN_OR_FAIL(auto db, store::Database::open(paths::databasePath()));
    docs::CollectionStore collections(*db);
    ASSIGN_OR_FAIL(const docs::Collection c, collections.create(QStringLiteral("towns")));
    VERIFY_OK(collections.addRoots(c.id, {path(QStringLiteral("n"))}));
    docs::Indexer indexer(collections);
    VERIFY_OK(indexer.update(collections.find(QStringLiteral("towns")).value()));

    engine::ComputeEngine engine;
    QSignalSpy ready(&engine, &engine::ComputeEngine::deviceReady);
    engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
    options.validation = true;
    engine.start(options);
    QVERIFY2(ready.wait(60000), "the Vulkan device did not open");
    {
        ui::ChatWorkspace chat(engine, db.get(), QString());
        chat.resize(1100, 760);
        chat.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chat));
        QTRY_VERIFY_WITH_TIMEOUT(!chat.catalog().scanning() && !chat.catalog().models().isEmpty(), 10000);

        auto* button = chat.findChild<ui::DocumentsButton*>("documentsButton");
        QVERIFY(button);
        emit button->menu()->aboutToShow();
        QCOMPARE(button->menu()->actions().size(), 1);
        button->menu()->actions()[0]->trigger();
        QCOMPARE(button->text(), QStringLiteral("Documents: towns"));

        QSignalSpy started(&chat.chatEngine(), &ui::ChatEngine::answerStarted);
        QWidget* input = chat.findChild<QWidget*>("chatInput");
        input->setFocus();
        QTest::keyClicks(input, QStringLiteral("What does Velmora export?"));
        QTest::keyClick(input, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 60000);
        const auto request = started.at(0).at(0).value<ui::ChatRequest>();
        QVERIFY2(request.turns.last().text.contains(
                     QStringLiteral("[1] velmora.md (lines 1-3)\n# Velmora\n\nThe main export of Velmora is blue wool.")),
                 qPrintable(request.turns.last().text));
        QVERIFY(request.turns.last().text.endsWith(QStringLiteral("Question: What does Velmora export?")));
        QVERIFY(QTest::qWaitFor([&] { return !chat.chatEngine().answering(); }, 120000));
        // The answer on show ends with its sources, each a link.
        QLabel* sources = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((sources = [&]() -> QLabel* {
                                     for (QLabel* l : chat.findChildren<QLabel*>("messageProse"))
                                         if (l->isVisible() && l->text().contains(QStringLiteral("1. [velmora.md, lines 1-3](")))
                                             return l;
                                     return nullptr;
                                 }()) != nullptr, 5000);
        screenshot(&chat, QStringLiteral("chat_with_documents"));

        // How many passages go with a question is the conversation's Sources setting (top-k).
        for (int i = 0; i < 4; ++i)
            QVERIFY(write(path(QStringLiteral("n/velmora-%1.md").arg(i)),
                          QByteArray("# Velmora fact\n\nVelmora has ") + QByteArray::number(i + 2) + " bridges.\n"));
        VERIFY_OK(indexer.update(collections.find(QStringLiteral("towns")).value()));
        auto* sourcesSpin = chat.findChild<QSpinBox*>("documentSourcesSpin");
        QVERIFY(sourcesSpin);
        QVERIFY(sourcesSpin->isEnabled()); // a collection is chosen
        QCOMPARE(sourcesSpin->value(), 5);
        sourcesSpin->setValue(2);
        input->setFocus();
        QTest::keyClicks(input, QStringLiteral("Velmora bridges?"));
        QTest::keyClick(input, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 2, 60000);
        const QString grounded = started.at(1).at(0).value<ui::ChatRequest>().turns.last().text;
        QVERIFY2(grounded.contains(QStringLiteral("[2] ")) && !grounded.contains(QStringLiteral("[3] ")), qPrintable(grounded));
        QVERIFY(QTest::qWaitFor([&] { return !chat.chatEngine().answering(); }, 120000));
    }
    store::ChatStore chats(*db);
    ASSIGN_OR_FAIL(const auto conversations, chats.conversations());
    QCOMPARE(conversations.size(), 1);
    QCOMPARE(conversations[0].settings.documents, QStringList{"towns"});
    QCOMPARE(conversations[0].settings.documentSources, 2);
    ASSIGN_OR_FAIL(const auto messages, chats.messages(conversations[0].id));
    QCOMPARE(messages.size(), 4);
    QCOMPARE(messages[0].text, QStringLiteral("What does Velmora export?")); // the question as asked
    const QString link = QUrl::fromLocalFile(path(QStringLiteral("n/velmora.md"))).toString(QUrl::FullyEncoded);
    QVERIFY2(messages[1].text.endsWith(QStringLiteral("\n\nSources:\n\n1. [velmora.md, lines 1-3](%1)").arg(link)),
             qPrintable(messages[1].text));
}

QTEST_MAIN(TestDocsUi)
#include "tst_docs_ui.moc"
