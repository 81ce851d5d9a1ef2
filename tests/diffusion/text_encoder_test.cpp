// The CLIP text encoder against transformers' CLIPTextModel (goldens_text_encoder.py): the hidden
// states the UNet reads for two chunks run as one batch (and several prompts in one batch as each
// alone), with clip skip 1 and 2, A1111's weighted conditioning (of a text prompt too), f32 and f16
// weights, and checkpoints whose text encoder does not fit its configuration.

#include "golden.h"

#include "diffusion/checkpoint.h"
#include "diffusion/clip_tokenizer.h"
#include "diffusion/text_encoder.h"
#include "test_device.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace atelier;
using namespace atelier::diffusion;

Q_DECLARE_METATYPE(atelier::diffusion::WeightPrecision)

namespace {

// Max |a - b| over max |b|. Measured on lavapipe (f32 activations, the golden's f16-representable
// weights, so both precisions agree bit for bit): 4.5e-7 to 5.7e-7 (sd1: last_hidden_state, clip
// skip 2, conditioning, single chunks) and 7.1e-7 to 8.5e-7 (sd2).
constexpr double kTolerance = 2e-6;
// f16 weights of f32 values f16 cannot hold (rounded by up to 2^-11): 6.8e-4 measured.
constexpr double kF16Tolerance = 2e-3;

std::vector<PromptChunk> goldenChunks(const test::GoldenFile& golden)
{
    const std::vector<int32_t> ids = golden.ints("ids");
    const std::vector<float> weights = golden.has("weights") ? golden.floats("weights")
                                                             : std::vector<float>(ids.size(), 1.0f);
    std::vector<PromptChunk> chunks(ids.size() / kChunkTokens);
    for (size_t c = 0; c < chunks.size(); ++c) {
        std::copy_n(ids.begin() + ptrdiff_t(c * kChunkTokens), kChunkTokens, chunks[c].ids.begin());
        std::copy_n(weights.begin() + ptrdiff_t(c * kChunkTokens), kChunkTokens, chunks[c].weights.begin());
    }
    return chunks;
}

std::unique_ptr<TextEncoder> loadEncoder(const std::string& path, WeightPrecision precision)
{
    auto checkpoint = Checkpoint::open(path);
    if (!checkpoint)
        qFatal("%s: %s", path.c_str(), checkpoint.error().message.c_str());
    auto encoder = TextEncoder::load(*test::testDevice(), **checkpoint, precision);
    if (!encoder)
        qFatal("%s: %s", path.c_str(), encoder.error().message.c_str());
    return std::move(*encoder);
}

// The file with one header string replaced (its tensors' shapes), padded as safetensors wants.
QByteArray rewriteHeader(const QByteArray& file, const QByteArray& from, const QByteArray& to)
{
    uint64_t length = 0;
    std::memcpy(&length, file.constData(), 8);
    QByteArray header = file.mid(8, qsizetype(length));
    if (!header.contains(from))
        qFatal("header lacks '%s'", from.constData());
    header.replace(from, to);
    header = header.trimmed();
    header.append(QByteArray((8 - header.size() % 8) % 8, ' '));
    const uint64_t newLength = uint64_t(header.size());
    return QByteArray(reinterpret_cast<const char*>(&newLength), 8) + header + file.mid(8 + qsizetype(length));
}

// The file with its text encoder's F16 tensors (names starting "cond_stage_model.") widened to F32,
// as full-precision checkpoints store them: the same values, or with `jitter` each value v becomes
// v (1 + jitter u), u a fixed pseudo-random number in [-1, 1), so that f16 no longer holds it.
QByteArray widenTextEncoder(const QByteArray& file, float jitter = 0.0f)
{
    uint32_t state = 12345u;
    const auto uniform = [&state] {
        state = state * 1664525u + 1013904223u;
        return float(state >> 8) / float(1u << 23) - 1.0f;
    };
    uint64_t length = 0;
    std::memcpy(&length, file.constData(), 8);
    const QJsonObject header = QJsonDocument::fromJson(file.mid(8, qsizetype(length))).object();
    const QByteArray data = file.mid(8 + qsizetype(length));
    QJsonObject widened;
    QByteArray out;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            widened.insert(it.key(), it.value());
            continue;
        }
        QJsonObject t = it.value().toObject();
        const QJsonArray offsets = t["data_offsets"].toArray();
        const qint64 begin = offsets[0].toInteger();
        QByteArray bytes = data.mid(qsizetype(begin), qsizetype(offsets[1].toInteger() - begin));
        if (t["dtype"].toString() == "F16" && it.key().startsWith("cond_stage_model.")) {
            QByteArray wide(bytes.size() * 2, Qt::Uninitialized);
            for (qsizetype i = 0; i < bytes.size() / 2; ++i) {
                uint16_t h;
                std::memcpy(&h, bytes.constData() + 2 * i, 2);
                const float f = halfToFloat(h) * (1.0f + jitter * uniform());
                std::memcpy(wide.data() + 4 * i, &f, 4);
            }
            bytes = wide;
            t["dtype"] = "F32";
        }
        t["data_offsets"] = QJsonArray{out.size(), out.size() + bytes.size()};
        widened.insert(it.key(), t);
        out += bytes;
    }
    QByteArray json = QJsonDocument(widened).toJson(QJsonDocument::Compact);
    json.append(QByteArray((8 - json.size() % 8) % 8, ' '));
    const uint64_t newLength = uint64_t(json.size());
    return QByteArray(reinterpret_cast<const char*>(&newLength), 8) + json + out;
}

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

QByteArray readFile(const std::string& path)
{
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", path.c_str());
    return file.readAll();
}

} // namespace

class TestTextEncoder : public QObject {
    Q_OBJECT

private slots:
    void matchesTransformers_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<WeightPrecision>("precision");
        QTest::addColumn<int>("activation");
        QTest::newRow("sd1") << "sd1" << WeightPrecision::AsStored << int(TextActivation::QuickGelu);
        QTest::newRow("sd1 f16") << "sd1" << WeightPrecision::F16 << int(TextActivation::QuickGelu);
        QTest::newRow("sd2") << "sd2" << WeightPrecision::AsStored << int(TextActivation::Gelu);
        QTest::newRow("sd2 f16") << "sd2" << WeightPrecision::F16 << int(TextActivation::Gelu);
    }

    void matchesTransformers()
    {
        QFETCH(QString, family);
        QFETCH(WeightPrecision, precision);
        QFETCH(int, activation);
        const test::GoldenFile golden("text_encoder_" + family);
        auto encoder = loadEncoder(test::goldenCheckpointPath(family), precision);
        QCOMPARE(int(encoder->config().activation), activation);
        QCOMPARE(golden.shape("last_hidden"),
                 (std::vector<int64_t>{2, kChunkTokens, int64_t(encoder->config().width)}));
        const std::vector<PromptChunk> chunks = goldenChunks(golden);

        QElapsedTimer timer;
        timer.start();
        ASSIGN_OR_FAIL(const auto last, encoder->encode(chunks));
        const qint64 firstMs = timer.restart();
        ASSIGN_OR_FAIL(const auto again, encoder->encode(chunks));
        const qint64 againMs = timer.restart();
        ASSIGN_OR_FAIL(const auto skip2, encoder->encode(chunks, 2));
        const double lastError = test::normalisedError(last, golden.floats("last_hidden"));
        const double skipError = test::normalisedError(skip2, golden.floats("clip_skip_2"));
        qInfo("%s: last_hidden_state error %.3g, clip skip 2 %.3g; 2 chunks in %lld ms (first call), "
              "then %lld ms; %llu weight bytes",
              qPrintable(family), lastError, skipError, firstMs, againMs,
              static_cast<unsigned long long>(encoder->weightBytes()));
        QVERIFY2(lastError <= kTolerance, qPrintable(QString("error %1").arg(lastError)));
        QVERIFY2(skipError <= kTolerance, qPrintable(QString("error %1").arg(skipError)));
        QCOMPARE(again, last);
        QVERIFY(test::noValidationMessages());
    }

    // A full-precision file: AsStored keeps f32 matrices (twice the bytes), F16 narrows them; the
    // golden weights are f16-representable, so both give the golden's states.
    void fullPrecisionCheckpoint()
    {
        const test::GoldenFile golden("text_encoder_sd1");
        QTemporaryDir dir;
        const QString path = dir.filePath("golden_sd1_f32.safetensors");
        writeFile(path, widenTextEncoder(readFile(test::goldenCheckpointPath("sd1"))));
        auto f32 = loadEncoder(path.toStdString(), WeightPrecision::AsStored);
        auto f16 = loadEncoder(path.toStdString(), WeightPrecision::F16);
        const uint64_t vectorBytes = f32->weightBytes() - 2 * (f32->weightBytes() - f16->weightBytes());
        qInfo("weights: %llu bytes as f32, %llu as f16 (%llu of them f32 norms, biases and positions)",
              static_cast<unsigned long long>(f32->weightBytes()), static_cast<unsigned long long>(f16->weightBytes()),
              static_cast<unsigned long long>(vectorBytes));
        QVERIFY(f32->weightBytes() > f16->weightBytes() * 3 / 2);
        const std::vector<PromptChunk> chunks = goldenChunks(golden);
        for (TextEncoder* encoder : {f32.get(), f16.get()}) {
            ASSIGN_OR_FAIL(const auto last, encoder->encode(chunks));
            const double error = test::normalisedError(last, golden.floats("last_hidden"));
            qInfo("%s: error %.3g", encoder == f32.get() ? "f32" : "f16", error);
            QVERIFY2(error <= kTolerance, qPrintable(QString("error %1").arg(error)));
        }
        QVERIFY(test::noValidationMessages());
    }

    // What WeightPrecision::F16 costs on a file whose f32 weights f16 cannot hold: the hidden
    // states move by about the weights' relative rounding (2^-12 on average).
    void f16WeightsOfAFullPrecisionFile()
    {
        const test::GoldenFile golden("text_encoder_sd1");
        QTemporaryDir dir;
        const QString path = dir.filePath("jittered_sd1_f32.safetensors");
        writeFile(path, widenTextEncoder(readFile(test::goldenCheckpointPath("sd1")), 1.0f / 256));
        auto f32 = loadEncoder(path.toStdString(), WeightPrecision::AsStored);
        auto f16 = loadEncoder(path.toStdString(), WeightPrecision::F16);
        const std::vector<PromptChunk> chunks = goldenChunks(golden);
        ASSIGN_OR_FAIL(const auto exact, f32->encode(chunks));
        ASSIGN_OR_FAIL(const auto rounded, f16->encode(chunks));
        const double error = test::normalisedError(rounded, exact);
        const double jitterMoved = test::normalisedError(exact, golden.floats("last_hidden"));
        qInfo("f16 weights vs f32: error %.3g (the jitter itself moved the states by %.3g)", error, jitterMoved);
        QVERIFY2(error <= kF16Tolerance, qPrintable(QString("error %1").arg(error)));
        QVERIFY(error > kTolerance); // the weights were rounded
        QVERIFY(test::noValidationMessages());
    }

    // Each chunk is encoded on its own, whatever else runs in its batch: in a prompt longer than one
    // pass, and alone (where the activations of the larger batch are reused).
    void chunksAreIndependent()
    {
        const test::GoldenFile golden("text_encoder_sd1");
        auto encoder = loadEncoder(test::goldenCheckpointPath("sd1"), WeightPrecision::AsStored);
        const std::vector<PromptChunk> pair = goldenChunks(golden);
        const std::vector<float> expected = golden.floats("last_hidden");
        const size_t chunkValues = size_t(kChunkTokens) * size_t(encoder->config().width);
        const auto reference = [&](size_t c) {
            return std::vector<float>(expected.begin() + ptrdiff_t(c * chunkValues),
                                      expected.begin() + ptrdiff_t((c + 1) * chunkValues));
        };

        std::vector<PromptChunk> longPrompt;
        for (int i = 0; i <= TextEncoder::kMaxChunksPerPass; ++i)
            longPrompt.push_back(pair[size_t(i % 2)]);
        ASSIGN_OR_FAIL(const auto all, encoder->encode(longPrompt));
        QCOMPARE(all.size(), longPrompt.size() * chunkValues);
        double worst = 0.0;
        for (size_t i = 0; i < longPrompt.size(); ++i) {
            const std::vector<float> one(all.begin() + ptrdiff_t(i * chunkValues),
                                         all.begin() + ptrdiff_t((i + 1) * chunkValues));
            worst = std::max(worst, test::normalisedError(one, reference(i % 2)));
        }
        qInfo("%zu chunks in two passes: worst chunk error %.3g", longPrompt.size(), worst);
        QVERIFY2(worst <= kTolerance, qPrintable(QString("error %1").arg(worst)));

        for (size_t c : {1, 0}) {
            ASSIGN_OR_FAIL(const auto alone, encoder->encode(std::span(pair).subspan(c, 1)));
            const double error = test::normalisedError(alone, reference(c));
            qInfo("chunk %zu alone: error %.3g", c, error);
            QVERIFY2(error <= kTolerance, qPrintable(QString("error %1").arg(error)));
        }
        QVERIFY(test::noValidationMessages());
    }

    // A prompt, its negative and a region's prompt conditioned in one batch (as encodePrompts does)
    // give each the values it gets alone, bit for bit: a seed paints the same picture either way.
    void promptsInOneBatchAsAlone()
    {
        auto encoder = loadEncoder(test::goldenCheckpointPath("sd1"), WeightPrecision::F16);
        ASSIGN_OR_FAIL(const ClipTokenizer tokenizer, ClipTokenizer::builtIn());
        const QString longText = QString("a (red:1.2) circle on a blue background, ").repeated(14) + "detailed";
        const std::vector<ChunkedPrompt> prompts{chunkPrompt(tokenizer, longText), chunkPrompt(tokenizer, ""),
                                                 chunkPrompt(tokenizer, "a [green] square")};
        QCOMPARE(prompts[0].chunks.size(), size_t(2));
        ASSIGN_OR_FAIL(const auto together, encoder->condition(prompts));
        QCOMPARE(together.size(), prompts.size());
        for (size_t i = 0; i < prompts.size(); ++i) {
            ASSIGN_OR_FAIL(const auto alone, encoder->condition(prompts[i]));
            QCOMPARE(together[i].size(), prompts[i].chunks.size() * size_t(kChunkTokens) * size_t(encoder->config().width));
            QVERIFY2(together[i] == alone, qPrintable(QString("prompt %1 differs").arg(i)));
        }
        QVERIFY(test::noValidationMessages());
    }

    void conditionsAsA1111()
    {
        const test::GoldenFile golden("text_encoder_sd1");
        auto encoder = loadEncoder(test::goldenCheckpointPath("sd1"), WeightPrecision::AsStored);
        ChunkedPrompt prompt;
        prompt.chunks = goldenChunks(golden);
        ASSIGN_OR_FAIL(const auto conditioning, encoder->condition(prompt));
        const std::vector<float> expected = golden.floats("conditioning");
        const double error = test::normalisedError(conditioning, expected);
        // The weights change the hidden states by far more than the tolerance.
        const double unweighted = test::normalisedError(golden.floats("last_hidden"), expected);
        qInfo("conditioning error %.3g (the unweighted states differ by %.3g)", error, unweighted);
        QVERIFY2(error <= kTolerance, qPrintable(QString("error %1").arg(error)));
        QVERIFY(unweighted > 0.1);
        QVERIFY(test::noValidationMessages());
    }

    // A weighted prompt end to end, as an A1111 user with "Clip skip: 2" writes it: Atelier's tokenizer
    // and chunking give transformers' ids and A1111's weights, and the conditioning is A1111's.
    void conditionsATextPromptAsA1111()
    {
        const test::GoldenFile golden("text_encoder_sd1");
        auto encoder = loadEncoder(test::goldenCheckpointPath("sd1"), WeightPrecision::AsStored);
        ASSIGN_OR_FAIL(const ClipTokenizer tokenizer, ClipTokenizer::builtIn());
        const QString text = "a (photograph:1.3) of an ((old)) cat on a [blurry] sofa, (masterpiece:0.8)"; // PROMPT
        const ChunkedPrompt prompt = chunkPrompt(tokenizer, text);
        QCOMPARE(prompt.chunks.size(), size_t(1));
        const std::vector<int32_t> ids(prompt.chunks[0].ids.begin(), prompt.chunks[0].ids.end());
        QCOMPARE(ids, golden.ints("prompt_ids"));
        const std::vector<float> weights = golden.floats("prompt_weights");
        for (int i = 0; i < kChunkTokens; ++i)
            QVERIFY2(std::abs(prompt.chunks[0].weights[size_t(i)] - weights[size_t(i)]) <= 1e-6f,
                     qPrintable(QString("weight %1").arg(i)));
        ASSIGN_OR_FAIL(const auto conditioning, encoder->condition(prompt, 2));
        const double error = test::normalisedError(conditioning, golden.floats("prompt_conditioning_clip_skip_2"));
        qInfo("conditioning error %.3g", error);
        QVERIFY2(error <= kTolerance, qPrintable(QString("error %1").arg(error)));
        QVERIFY(test::noValidationMessages());
    }

    void rejectsBadArguments()
    {
        auto encoder = loadEncoder(test::goldenCheckpointPath("sd1"), WeightPrecision::AsStored);
        const std::vector<PromptChunk> none;
        auto empty = encoder->encode(none);
        QVERIFY(!empty.ok());
        QCOMPARE(empty.error().code, ErrorCode::InvalidArgument);
        std::vector<PromptChunk> chunks(1);
        for (int skip : {0, 4}) {
            auto skipped = encoder->encode(chunks, skip);
            QVERIFY(!skipped.ok());
            QVERIFY2(QString::fromStdString(skipped.error().message).contains("clip skip"),
                     skipped.error().message.c_str());
        }
        const int vocab = encoder->config().vocabSize;
        chunks[0].ids[5] = vocab;
        auto outside = encoder->encode(chunks);
        QVERIFY(!outside.ok());
        QVERIFY2(QString::fromStdString(outside.error().message).contains(QString("token id %1").arg(vocab)),
                 outside.error().message.c_str());
        QVERIFY(test::noValidationMessages());
    }

    // A text-encoder tensor whose shape contradicts the configuration (a later layer's fc2
    // transposed: the checkpoint derives the configuration from layer 0 and opens) fails to load,
    // naming the tensor and both shapes.
    void rejectsWrongShapes_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<QByteArray>("from");
        QTest::addColumn<QByteArray>("to");
        QTest::addColumn<QString>("message");
        const QByteArray fc2 = "\"cond_stage_model.transformer.text_model.encoder.layers.1.mlp.fc2.weight\"";
        const QByteArray cProj = "\"cond_stage_model.model.transformer.resblocks.1.mlp.c_proj.weight\"";
        QTest::newRow("sd1") << "sd1" << fc2 + ":{\"dtype\":\"F16\",\"shape\":[32,128]"
                             << fc2 + ":{\"dtype\":\"F16\",\"shape\":[128,32]"
                             << "tensor 'cond_stage_model.transformer.text_model.encoder.layers.1.mlp.fc2.weight': "
                                "expected shape [32, 128], found [128, 32]";
        QTest::newRow("sd2 (OpenCLIP)")
            << "sd2" << cProj + ":{\"dtype\":\"F16\",\"shape\":[64,256]"
            << cProj + ":{\"dtype\":\"F16\",\"shape\":[256,64]"
            << "tensor 'cond_stage_model.transformer.text_model.encoder.layers.1.mlp.fc2.weight': "
               "expected shape [64, 256], found [256, 64]";
    }

    void rejectsWrongShapes()
    {
        QFETCH(QString, family);
        QFETCH(QByteArray, from);
        QFETCH(QByteArray, to);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath("broken.safetensors");
        writeFile(path, rewriteHeader(readFile(test::goldenCheckpointPath(family)), from, to));
        auto checkpoint = Checkpoint::open(path.toStdString());
        QVERIFY2(checkpoint, checkpoint ? "" : checkpoint.error().message.c_str());
        auto encoder = TextEncoder::load(*test::testDevice(), **checkpoint, WeightPrecision::F16);
        QVERIFY(!encoder.ok());
        QCOMPARE(encoder.error().code, ErrorCode::Format);
        QVERIFY2(QString::fromStdString(encoder.error().message).contains(message), encoder.error().message.c_str());
        QVERIFY(test::noValidationMessages());
    }
};

ATELIER_DIFFUSION_TEST(TestTextEncoder)
#include "text_encoder_test.moc"
