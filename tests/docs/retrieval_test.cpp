// Retrieval: BM25 accuracy on the generated corpus, reciprocal-rank fusion, hybrid search with a
// stand-in embedder (hashed character trigrams), and the prompt that carries the sources.

#include "tst_docs.h"

#include "docs/grounding.h"
#include "docs/indexer.h"
#include "docs/retrieval.h"
#include "llm/embedding_model.h"
#include "test_device.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

using namespace atelier::docs;
using namespace atelier::test;

namespace {

// A stand-in for an embedding model: counts of hashed character trigrams of the lower-cased
// words, 256 dimensions. Similar spellings get similar vectors, which is all these tests need.
Embedder trigramEmbedder()
{
    Embedder e;
    e.model = QStringLiteral("test-trigrams-256");
    e.embed = [](const QStringList& texts) -> atelier::Result<std::vector<std::vector<float>>> {
        std::vector<std::vector<float>> out;
        for (const QString& text : texts) {
            std::vector<float> v(256, 0.0f);
            for (const QString& word : text.toLower().split(QRegularExpression(QStringLiteral("\\W+")), Qt::SkipEmptyParts)) {
                const QString padded = u' ' + word + u' ';
                for (qsizetype i = 0; i + 3 <= padded.size(); ++i)
                    v[qHash(padded.mid(i, 3)) % 256] += 1.0f;
            }
            out.push_back(std::move(v));
        }
        return out;
    };
    return e;
}

Hit hit(qint64 id) { Hit h; h.chunkId = id; return h; }

} // namespace

// ATELIER_DOCS_TEST_VERBOSE=1 prints each question BM25 does not answer with its source first.
void TestDocs::bm25FindsTheSourceOfMostQuestions()
{
    const QString corpus = path(QStringLiteral("corpus"));
    QVERIFY(makeCorpus(corpus, 300));
    QFile file(corpus + QStringLiteral("/queries.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonArray queries = QJsonDocument::fromJson(file.readAll()).array();
    QVERIFY(queries.size() > 80);

    CollectionStore store(*mDb);
    ASSIGN_OR_FAIL(const Collection created, store.create(QStringLiteral("towns")));
    VERIFY_OK(store.addRoots(created.id, {corpus + QStringLiteral("/docs")}));
    ASSIGN_OR_FAIL(const Collection c, store.find(QStringLiteral("towns")));
    // ATELIER_DOCS_EVAL_MODEL=GGUF: a real embedding model in the trigrams' place (convert_bert.py).
    Embedder embedder = trigramEmbedder();
    std::unique_ptr<atelier::llm::EmbeddingModel> trained;
    if (const QString evaluated = qEnvironmentVariable("ATELIER_DOCS_EVAL_MODEL"); !evaluated.isEmpty()) {
        QVERIFY(testDevice());
        ASSIGN_OR_FAIL(trained, atelier::llm::EmbeddingModel::load(*testDevice(), evaluated.toStdString()));
        embedder.model = QFileInfo(evaluated).fileName();
        embedder.embed = [&trained](const QStringList& texts) {
            std::vector<std::string> utf8;
            for (const QString& t : texts)
                utf8.push_back(t.toStdString());
            return trained->embed(utf8);
        };
    }
    Indexer indexer(store, embedder);
    ASSIGN_OR_FAIL(const IndexReport report, indexer.update(c));
    QCOMPARE(report.skipped, 0);
    QVERIFY(report.added > 300);
    QVERIFY(report.embedError.isEmpty());
    qInfo("indexed %d files, %d chunks in %.2f s", report.added, report.chunks, report.seconds);

    struct Score { int top1 = 0, top5 = 0; };
    Score bm25, vectors, hybrid;
    auto count = [&](Score& s, const std::vector<Hit>& hits, const QJsonObject& q) {
        const QString source = QDir::cleanPath(corpus + QStringLiteral("/docs/") + q.value("source").toString());
        const int page = q.value("page").toInt();
        for (size_t i = 0; i < hits.size() && i < 5; ++i) {
            if (hits[i].path == source && hits[i].page == page) {
                s.top1 += i == 0;
                ++s.top5;
                return;
            }
        }
    };
    ASSIGN_OR_FAIL(const auto stored, store.vectors({c.id}, embedder.model));
    QCOMPARE(int(stored.size()), report.chunks);
    for (const QJsonValue& v : queries) {
        const QJsonObject q = v.toObject();
        const QString question = q.value("query").toString();
        ASSIGN_OR_FAIL(const std::vector<Hit> keyword, search(store, {c.id}, question, {5, 50}));
        count(bm25, keyword, q);
        if (qEnvironmentVariableIsSet("ATELIER_DOCS_TEST_VERBOSE") && (keyword.empty() || !keyword[0].path.endsWith(q.value("source").toString())))
            qInfo("miss: %s (%s) got %s", qPrintable(question), qPrintable(q.value("source").toString()), keyword.empty() ? "nothing" : qPrintable(keyword[0].path + " " + keyword[0].text.left(80)));
        const auto nearest = nearestVectors(stored, embedder.embed({question}).value().front(), 5);
        std::vector<qint64> ids;
        for (const auto& [id, score] : nearest)
            ids.push_back(id);
        ASSIGN_OR_FAIL(const std::vector<Hit> semantic, store.hits(ids));
        count(vectors, semantic, q);
        ASSIGN_OR_FAIL(const std::vector<Hit> fused, search(store, {c.id}, question, {5, 50}, embedder));
        count(hybrid, fused, q);
    }
    const double n = queries.size();
    qInfo("%d queries: BM25 top-1 %.3f top-5 %.3f; %s vectors top-1 %.3f top-5 %.3f; hybrid top-1 %.3f top-5 %.3f",
          int(n), bm25.top1 / n, bm25.top5 / n, qPrintable(embedder.model), vectors.top1 / n, vectors.top5 / n, hybrid.top1 / n, hybrid.top5 / n);
    // Measured (seed 21): BM25 0.905 / 0.940, trigrams 0.724 / 0.802, hybrid 0.836 / 0.905. BM25's
    // misses are "Which town has <mayor> as its mayor?" whose first name alone matches the short
    // "Town hall" sections of other towns' Markdown pages better.
    QVERIFY2(bm25.top1 / n >= 0.85, "BM25 top-1");
    QVERIFY2(bm25.top5 / n >= 0.9, "BM25 top-5");
    QVERIFY2(hybrid.top5 / n >= 0.85, "hybrid top-5");
}

// The engine's embedding model (compute/llm, a tiny random-weight BERT) behind the Embedder seam:
// every chunk gets a unit vector, and search fuses its ranking with BM25's. Random weights rank
// poorly on their own, so only the plumbing and the fused result's floor are asserted.
void TestDocs::tinyEmbeddingModelGivesHybridSearch()
{
    atelier::vk::Device* device = testDevice();
    QVERIFY(device);
    ASSIGN_OR_FAIL(auto model, atelier::llm::EmbeddingModel::load(*device, ATELIER_TINY_BERT));
    Embedder embedder;
    embedder.model = QStringLiteral("tiny_bert.gguf");
    embedder.embed = [&model](const QStringList& texts) {
        std::vector<std::string> utf8;
        for (const QString& t : texts)
            utf8.push_back(t.toStdString());
        return model->embed(utf8);
    };
    const QString corpus = path(QStringLiteral("corpus"));
    QVERIFY(makeCorpus(corpus, 60));
    QFile file(corpus + QStringLiteral("/queries.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonArray queries = QJsonDocument::fromJson(file.readAll()).array();
    CollectionStore store(*mDb);
    ASSIGN_OR_FAIL(const Collection created, store.create(QStringLiteral("towns")));
    VERIFY_OK(store.addRoots(created.id, {corpus + QStringLiteral("/docs")}));
    Indexer indexer(store, embedder);
    ASSIGN_OR_FAIL(const IndexReport report, indexer.update(store.find(QStringLiteral("towns")).value()));
    QVERIFY2(report.embedError.isEmpty(), qPrintable(report.embedError));
    ASSIGN_OR_FAIL(const auto stored, store.vectors({created.id}, embedder.model));
    QCOMPARE(int(stored.size()), report.chunks);
    for (const auto& [id, v] : stored) {
        QCOMPARE(int(v.size()), model->dimension());
        double norm = 0;
        for (float x : v)
            norm += double(x) * x;
        QVERIFY(std::abs(norm - 1.0) < 1e-3);
    }
    int vectorTop5 = 0, hybridTop5 = 0;
    for (const QJsonValue& value : queries) {
        const QJsonObject q = value.toObject();
        const QString source = QDir::cleanPath(corpus + QStringLiteral("/docs/") + q.value("source").toString());
        const QString question = q.value("query").toString();
        std::vector<qint64> ids;
        for (const auto& [id, score] : nearestVectors(stored, embedder.embed({question}).value().front(), 5))
            ids.push_back(id);
        ASSIGN_OR_FAIL(const auto semantic, store.hits(ids));
        vectorTop5 += std::any_of(semantic.begin(), semantic.end(), [&](const Hit& h) { return h.path == source; });
        ASSIGN_OR_FAIL(const auto fused, search(store, {created.id}, question, {5, 50}, embedder));
        QCOMPARE(fused.size(), size_t(5));
        hybridTop5 += std::any_of(fused.begin(), fused.end(), [&](const Hit& h) { return h.path == source; });
    }
    const double n = queries.size();
    qInfo("tiny random-weight BERT, %d chunks in %.1f s; %d queries: vectors top-5 %.3f, hybrid top-5 %.3f",
          report.chunks, report.seconds, int(n), vectorTop5 / n, hybridTop5 / n);
    QVERIFY2(hybridTop5 / n >= 0.6, "hybrid top-5");

    // Another model for the collection: nothing changed on disk, yet every chunk gets its vector,
    // in batches with progress; a run cancelled on the way keeps what it wrote and the next one
    // embeds only the rest.
    Embedder other = embedder;
    other.model = QStringLiteral("tiny_bert.gguf, another id");
    std::atomic<bool> cancel{false};
    int lastEmbedded = -1, toEmbed = 0;
    Indexer switched(store, other);
    ASSIGN_OR_FAIL(const IndexReport part, switched.update(store.find(QStringLiteral("towns")).value(), [&](const IndexProgress& p) {
        if (p.toEmbed > 0 && p.embedded > 0)
            cancel = true; // after the first batch
        lastEmbedded = p.embedded;
        toEmbed = p.toEmbed;
    }, &cancel));
    QVERIFY(part.cancelled);
    QCOMPARE(part.unchanged, report.added);
    QCOMPARE(toEmbed, report.chunks);
    QVERIFY(part.vectors > 0 && part.vectors < report.chunks);
    ASSIGN_OR_FAIL(const int partly, store.vectorCount(created.id, other.model));
    QCOMPARE(partly, part.vectors);
    ASSIGN_OR_FAIL(const IndexReport rest, switched.update(store.find(QStringLiteral("towns")).value()));
    QVERIFY(!rest.cancelled);
    QCOMPARE(rest.vectors, report.chunks - part.vectors);
    ASSIGN_OR_FAIL(const int all, store.vectorCount(created.id, other.model));
    QCOMPARE(all, report.chunks);
    ASSIGN_OR_FAIL(const IndexReport again, switched.update(store.find(QStringLiteral("towns")).value()));
    QCOMPARE(again.vectors, 0);
    QVERIFY(lastEmbedded >= 0);
    QVERIFY(noValidationMessages());
}

void TestDocs::reciprocalRankFusion()
{
    // Chunk 1 is first and second; chunk 3 third and first: 1/61 + 1/62 > 1/63 + 1/61.
    const std::vector<Hit> fused = fuseReciprocalRank({{hit(1), hit(2), hit(3)}, {hit(3), hit(1), hit(4)}}, 10);
    QCOMPARE(fused.size(), size_t(4));
    QCOMPARE(fused[0].chunkId, 1);
    QCOMPARE(fused[1].chunkId, 3);
    QCOMPARE(fused[2].chunkId, 2);
    QCOMPARE(fused[3].chunkId, 4);
    QVERIFY(std::abs(fused[0].score - (1.0 / 61 + 1.0 / 62)) < 1e-12);
    QVERIFY(std::abs(fused[3].score - 1.0 / 63) < 1e-12);
    QCOMPARE(fuseReciprocalRank({{hit(1), hit(2)}}, 1).size(), size_t(1));
    QVERIFY(fuseReciprocalRank({}, 5).empty());
    // Cosine: the nearest first; vectors of another length are not compared.
    const auto nearest = nearestVectors({{7, {1, 0}}, {8, {0.6f, 0.8f}}, {9, {1, 1, 1}}, {10, {-1, 0}}}, {0, 2}, 2);
    QCOMPARE(nearest.size(), size_t(2));
    QCOMPARE(nearest[0].first, 8);
    QVERIFY(std::abs(nearest[0].second - 0.8) < 1e-6);
    QCOMPARE(nearest[1].first, 7);
}

void TestDocs::hybridSearchWithFakeVectors()
{
    const QString root = path(QStringLiteral("animals"));
    QVERIFY(writeBytes(root + QStringLiteral("/walrus.txt"), "The walrus lives on the ice and eats clams."));
    QVERIFY(writeBytes(root + QStringLiteral("/heron.txt"), "The heron stands in the shallow water."));
    QVERIFY(writeBytes(root + QStringLiteral("/otter.txt"), "The otter floats on its back."));
    CollectionStore store(*mDb);
    ASSIGN_OR_FAIL(const Collection created, store.create(QStringLiteral("animals")));
    VERIFY_OK(store.addRoots(created.id, {root}));
    ASSIGN_OR_FAIL(const Collection c, store.find(QStringLiteral("animals")));

    // Keyword search alone does not know a misspelling; without vectors it finds nothing.
    Indexer keywordOnly(store);
    VERIFY_OK(keywordOnly.update(c));
    ASSIGN_OR_FAIL(const auto none, search(store, {c.id}, QStringLiteral("walrusses"), {3, 10}, trigramEmbedder()));
    QVERIFY(none.empty()); // the embedder has no vectors stored yet: BM25 alone

    // With vectors (a fresh collection indexed with the embedder), the trigrams find it.
    VERIFY_OK(store.remove(QStringLiteral("animals")));
    ASSIGN_OR_FAIL(const Collection again, store.create(QStringLiteral("animals")));
    VERIFY_OK(store.addRoots(again.id, {root}));
    Indexer withVectors(store, trigramEmbedder());
    VERIFY_OK(withVectors.update(store.find(QStringLiteral("animals")).value()));
    ASSIGN_OR_FAIL(const auto found, search(store, {again.id}, QStringLiteral("walrusses"), {3, 10}, trigramEmbedder()));
    QVERIFY(!found.empty());
    QVERIFY2(found[0].path.endsWith(QStringLiteral("walrus.txt")), qPrintable(found[0].path));
    // A word both rankings agree on: first, with both rankings' share of the fused score.
    ASSIGN_OR_FAIL(const auto both, search(store, {again.id}, QStringLiteral("heron water"), {3, 10}, trigramEmbedder()));
    QVERIFY(both[0].path.endsWith(QStringLiteral("heron.txt")));
    QVERIFY(std::abs(both[0].score - 2.0 / 61) < 1e-12);
}

void TestDocs::groundedPromptNumbersSources()
{
    Hit a = hit(1);
    a.path = QStringLiteral("/docs/towns/velmora.md");
    a.lineStart = 3;
    a.lineEnd = 9;
    a.heading = QStringLiteral("Trade");
    a.text = QStringLiteral("The main export of Velmora is blue wool.");
    Hit b = hit(2);
    b.path = QStringLiteral("/docs/report.pdf");
    b.page = 2;
    b.text = QStringLiteral("Velmora has 12 bridges.");
    const QString prompt = groundedQuestion(QStringLiteral("What does Velmora export?"), {a, b});
    QVERIFY(prompt.contains(QStringLiteral("[1] velmora.md (lines 3-9)\nThe main export of Velmora is blue wool.")));
    QVERIFY(prompt.contains(QStringLiteral("[2] report.pdf (page 2)\nVelmora has 12 bridges.")));
    QVERIFY(prompt.endsWith(QStringLiteral("Question: What does Velmora export?")));
    QCOMPARE(groundedQuestion(QStringLiteral("hi"), {}), QStringLiteral("hi"));
    QCOMPARE(sourceList({a, b}), QStringLiteral("[1] /docs/towns/velmora.md, lines 3-9 (Trade)\n[2] /docs/report.pdf, page 2"));
    QCOMPARE(citedSources(QStringLiteral("Blue wool [2][1], see also [1, 3] and [7] or [x]."), 3), (QList<int>{2, 1, 3}));
}
