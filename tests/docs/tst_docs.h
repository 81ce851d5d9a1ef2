#pragma once
// atelier_docs tests. Each test function gets a fresh folder holding its documents and database.

#include "docs/collection_store.h"
#include "store/database.h"
#include "test_result.h"

#include <QObject>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

namespace atelier::test {

bool writeBytes(const QString& path, const QByteArray& bytes); // creates the folders on the way
// Runs tests/docs/make_corpus.py into `dir`; false (with a warning) when it fails.
bool makeCorpus(const QString& dir, int towns);

} // namespace atelier::test

class TestDocs : public QObject {
    Q_OBJECT

private:
    QString path(const QString& name) const { return mDir->filePath(name); }
    std::unique_ptr<QTemporaryDir> mDir;
    std::unique_ptr<atelier::store::Database> mDb;

private slots:
    void init();
    void cleanup();

    // chunker_test.cpp
    void plainTextSplitsOnParagraphs();
    void markdownKeepsHeadingsAndFences();
    void codeSplitsOnTopLevelBlocks();
    void overlapRepeatsTheEndOfTheLastChunk();
    void positionsPointIntoTheFile();
    void htmlDropsMarkupAndScripts();

    // reader_test.cpp
    void readsPdfPagesWithNumbers();
    void hostileFilesAreSkippedWithReasons();
    void symlinkLoopsEndTheWalk();

    // indexer_test.cpp
    void reindexingSkipsUnchangedAndDropsRemoved();
    void reindexingAThousandUnchangedFilesIsFast();
    void cancelKeepsWhatWasWritten();
    void collectionsAreNamedAndRemoved();

    // retrieval_test.cpp
    void bm25FindsTheSourceOfMostQuestions();
    void tinyEmbeddingModelGivesHybridSearch();
    void reciprocalRankFusion();
    void hybridSearchWithFakeVectors();
    void groundedPromptNumbersSources();
};
