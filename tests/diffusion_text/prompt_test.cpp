#include "tst_diffusion_text.h"

#include "diffusion/prompt_chunks.h"
#include "diffusion/prompt_weights.h"

#include <QJsonArray>

using namespace atelier::diffusion;

namespace {

std::vector<PromptRun> runsOf(const QJsonValue& value)
{
    std::vector<PromptRun> runs;
    for (const QJsonValue& run : value.toArray())
        runs.push_back({run[0].toString(), run[1].toDouble()});
    return runs;
}

QString describe(const std::vector<PromptRun>& runs)
{
    QStringList parts;
    for (const PromptRun& run : runs)
        parts << QString("['%1', %2]").arg(run.text).arg(run.weight, 0, 'g', 17);
    return "[" + parts.join(", ") + "]";
}

QList<int> intsOf(const QJsonValue& value)
{
    QList<int> out;
    for (const QJsonValue& v : value.toArray())
        out << v.toInt();
    return out;
}

template <typename Array>
QList<int> listOf(const Array& ids) { return QList<int>(ids.begin(), ids.end()); }

// Weights as A1111 hands them to torch: float32.
QList<float> floatsOf(const QJsonValue& value)
{
    QList<float> out;
    for (const QJsonValue& v : value.toArray())
        out << float(v.toDouble());
    return out;
}

QString describe(const std::vector<PromptSyntaxSpan>& spans)
{
    static const char* names[] = {"Group", "Weight", "Escape", "Break", "Stray"};
    QStringList parts;
    for (const PromptSyntaxSpan& s : spans)
        parts << QString("%1(%2,%3,%4)").arg(names[int(s.kind)]).arg(s.start).arg(s.length).arg(s.weight);
    return parts.join(" ");
}

} // namespace

void TestDiffusionText::runsMatchA1111_data()
{
    QTest::addColumn<QString>("prompt");
    QTest::addColumn<QJsonValue>("runs");
    for (const QJsonValue& c : mGolden.value("prompts").toArray())
        QTest::newRow(c["name"].toString().toUtf8()) << c["prompt"].toString() << c["runs"];
}

void TestDiffusionText::runsMatchA1111()
{
    QFETCH(QString, prompt);
    QFETCH(QJsonValue, runs);
    // Exact doubles: neighbouring runs merge only when their weights are equal, as in A1111.
    const std::vector<PromptRun> got = parsePromptWeights(prompt);
    const std::vector<PromptRun> expected = runsOf(runs);
    QVERIFY2(got == expected, qPrintable(describe(got) + " != " + describe(expected)));
}

void TestDiffusionText::randomPromptsMatchA1111()
{
    const QJsonArray cases = mGolden.value("random_prompts").toArray();
    QVERIFY(cases.size() >= 400);
    for (const QJsonValue& c : cases) {
        const QString prompt = c["prompt"].toString();
        const std::vector<PromptRun> got = parsePromptWeights(prompt);
        const std::vector<PromptRun> expected = runsOf(c["runs"]);
        QVERIFY2(got == expected, qPrintable(prompt + ": " + describe(got) + " != " + describe(expected)));
    }
}

void TestDiffusionText::chunksMatchA1111_data()
{
    QTest::addColumn<QJsonObject>("golden");
    for (const QJsonValue& c : mGolden.value("prompts").toArray())
        QTest::newRow(c["name"].toString().toUtf8()) << c.toObject();
}

void TestDiffusionText::chunksMatchA1111()
{
    QFETCH(QJsonObject, golden);
    const QString prompt = golden["prompt"].toString();
    const ChunkedPrompt sd1 = chunkPrompt(tokenizer(), prompt);
    const QJsonArray chunks = golden["chunks"].toArray();
    QCOMPARE(qsizetype(sd1.chunks.size()), chunks.size());
    QCOMPARE(sd1.tokenCount, golden["token_count"].toInt());
    for (qsizetype i = 0; i < chunks.size(); ++i) {
        QCOMPARE(listOf(sd1.chunks[size_t(i)].ids), intsOf(chunks[i]["ids"]));
        const auto& weights = sd1.chunks[size_t(i)].weights;
        QCOMPARE(QList<float>(weights.begin(), weights.end()), floatsOf(chunks[i]["weights"]));
    }

    const ChunkedPrompt sd2 = chunkPrompt(tokenizer(), prompt, ChunkOptions{.padId = kOpenClipPad});
    const QJsonArray sd2Ids = golden["sd2_ids"].toArray();
    QCOMPARE(qsizetype(sd2.chunks.size()), sd2Ids.size());
    for (qsizetype i = 0; i < sd2Ids.size(); ++i)
        QCOMPARE(listOf(sd2.chunks[size_t(i)].ids), intsOf(sd2Ids[i]));

    if (golden.contains("no_backtrack")) {
        const ChunkedPrompt plain = chunkPrompt(tokenizer(), prompt, ChunkOptions{.commaBacktrack = 0});
        const QJsonArray ids = golden["no_backtrack"].toArray();
        QCOMPARE(qsizetype(plain.chunks.size()), ids.size());
        for (qsizetype i = 0; i < ids.size(); ++i)
            QCOMPARE(listOf(plain.chunks[size_t(i)].ids), intsOf(ids[i]));
    }
}

void TestDiffusionText::emptyChunkPads()
{
    const PromptChunk sd1 = emptyPromptChunk();
    QCOMPARE(sd1.ids[0], ClipTokenizer::kStartOfText);
    for (int i = 1; i < kChunkTokens; ++i)
        QCOMPARE(sd1.ids[size_t(i)], ClipTokenizer::kEndOfText);
    const PromptChunk sd2 = emptyPromptChunk({.padId = kOpenClipPad});
    QCOMPARE(sd2.ids[1], ClipTokenizer::kEndOfText);
    for (int i = 2; i < kChunkTokens; ++i)
        QCOMPARE(sd2.ids[size_t(i)], kOpenClipPad);
    for (float w : sd2.weights)
        QCOMPARE(w, 1.0f);
}

void TestDiffusionText::syntaxSpans()
{
    using K = PromptSyntax;
    const std::vector<std::pair<QString, std::vector<PromptSyntaxSpan>>> cases = {
        {"a (b:1.5) [c] \\( BREAK d",
         {{K::Group, 2, 7, 1.5}, {K::Weight, 5, 3, 1.5}, {K::Group, 10, 3, 1 / 1.1}, {K::Escape, 14, 2, 1.0},
          {K::Break, 17, 5, 1.0}}},
        {"((a)) [[b]", {{K::Group, 0, 5, 1.1}, {K::Group, 1, 3, 1.1}, {K::Group, 6, 4, 1 / 1.1},
                        {K::Stray, 6, 1, 1 / 1.1}, {K::Group, 7, 3, 1 / 1.1}}},
        {"(a ] b", {{K::Group, 0, 6, 1.1}, {K::Stray, 0, 1, 1.1}, {K::Stray, 3, 1, 1.0}}},
        {"(x BREAK y)", {{K::Group, 0, 11, 1.1}}}, // not a break inside brackets, as in A1111
        {"(BREAK:1)", {{K::Group, 0, 9, 1.0}, {K::Break, 1, 5, 1.0}, {K::Weight, 7, 1, 1.0}}},
        {"(a:1.2.3)", {{K::Group, 0, 9, 1.0}, {K::Stray, 3, 5, 1.0}}},
        {"cat:1.5) a\\b", {{K::Stray, 3, 5, 1.0}, {K::Escape, 10, 1, 1.0}}},
        {"\U0001F431 (cat: 2 )", {{K::Group, 3, 9, 2.0}, {K::Weight, 9, 1, 2.0}}}, // UTF-16 positions
        {"", {}},
    };
    for (const auto& [prompt, expected] : cases) {
        const std::vector<PromptSyntaxSpan> got = promptSyntax(prompt);
        QVERIFY2(got == expected, qPrintable(prompt + ": " + describe(got) + " != " + describe(expected)));
    }
}
