// LoRAs for pictures: the merge kernel against a CPU reference; kohya (with LoCon convolutions) and
// diffusers/PEFT files merged into the golden SD 1.x checkpoint against diffusers' load_lora_weights
// (goldens_lora.py), alone and together, removed and merged again; <lora:NAME:WEIGHT> in a prompt,
// "Lora hashes" in the parameters; and files that do not fit the model.

#include "golden.h"
#include "test_device.h"

#include "diffusion/generation.h"
#include "diffusion/generation_parameters.h"
#include "diffusion/lora_file.h"
#include "diffusion/lora_prompt.h"
#include "diffusion/lora_weights.h"
#include "diffusion/prompt_chunks.h"
#include "diffusion/stable_diffusion.h"
#include "diffusion/text_encoder.h"
#include "diffusion/unet.h"
#include "io/safetensors.h"
#include "ops/lora_merge.h"
#include "vk/device.h"

#include "create/picture_png.h"
#include "diffusion/generation_json.h"
#include "store/picture_store.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

using namespace atelier;
using namespace atelier::diffusion;

Q_DECLARE_METATYPE(atelier::DType)

namespace {

// Max |a - b| over max |b|. The golden checkpoint holds f16 weights, bound as stored: without a
// LoRA they are exactly diffusers' (measured on lavapipe: UNet 1.1e-6, text 4.3e-7); a merged
// weight is rounded to f16 once, where diffusers adds the LoRA's product in f32 (UNet 4.2e-4, text
// 2.5e-4 with the kohya LoRA, whose effect is 0.2 of the largest output).
constexpr double kBaseTolerance = 1e-5;
constexpr double kTolerance = 1.5e-3;

double relativeError(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size())
        return INFINITY;
    double diff = 0, scale = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
        scale = std::max(scale, std::abs(double(b[i])));
    }
    return diff / std::max(scale, 1e-30);
}

QString fixture(const QString& name) { return QStringLiteral(ATELIER_DIFFUSION_TEST_DIR "/fixtures/") + name; }

// A safetensors file of f32 tensors (an F64 one when its name ends in "#f64"), written at test time.
void writeTensors(const QString& path, const std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>& tensors)
{
    std::string header = "{";
    std::string data;
    for (const auto& [name, tensor] : tensors) {
        std::string shape;
        for (int64_t d : tensor.first)
            shape += (shape.empty() ? "" : ",") + std::to_string(d);
        const size_t begin = data.size();
        data.append(reinterpret_cast<const char*>(tensor.second.data()), tensor.second.size() * 4);
        header += (header.size() > 1 ? "," : "") + ("\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + shape +
                                                    "],\"data_offsets\":[" + std::to_string(begin) + "," +
                                                    std::to_string(data.size()) + "]}");
    }
    header += "}";
    header.append((8 - header.size() % 8) % 8, ' ');
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const uint64_t size = header.size();
    file.write(reinterpret_cast<const char*>(&size), 8);
    file.write(header.data(), qint64(header.size()));
    file.write(data.data(), qint64(data.size()));
}

std::vector<float> filled(size_t n, float v) { return std::vector<float>(n, v); }

std::unique_ptr<StableDiffusion> loadGolden()
{
    StableDiffusionOptions options;
    options.precision = WeightPrecision::AsStored;
    auto model = StableDiffusion::load(*test::testDevice(), test::goldenCheckpointPath("sd1"), options);
    if (!model)
        qFatal("%s", model.error().message.c_str());
    return std::move(*model);
}

struct Outputs {
    std::vector<float> unet, text;
};

Outputs run(StableDiffusion& model, const test::GoldenFile& golden)
{
    Outputs o;
    std::vector<PromptChunk> chunks(1);
    const std::vector<int32_t> ids = golden.ints("ids");
    std::copy_n(ids.begin(), kChunkTokens, chunks[0].ids.begin());
    chunks[0].weights.fill(1.0f);
    auto text = model.textEncoder().encode(chunks, 1);
    auto unet = model.unet().predict(golden.floats("x"), 1, 8, 8, golden.floats("timestep")[0], golden.floats("context"),
                                      kChunkTokens);
    if (!text || !unet)
        qFatal("%s", (!text ? text.error() : unet.error()).message.c_str());
    o.text = std::move(*text);
    o.unet = std::move(*unet);
    return o;
}

std::string goldenMetadata(const char* key)
{
    auto file = io::SafetensorsFile::open(QStringLiteral(ATELIER_DIFFUSION_TEST_DIR "/goldens/lora_sd1.safetensors").toStdString());
    if (!file)
        qFatal("%s", file.error().message.c_str());
    return std::string((*file)->metadata(key).value_or(""));
}

} // namespace

class LoraTest : public QObject {
    Q_OBJECT

private slots:
    void mergeKernelMatchesCpu_data()
    {
        QTest::addColumn<DType>("dtype");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("rank");
        QTest::newRow("f32 37x53 rank 3") << DType::F32 << 37 << 53 << 3;
        QTest::newRow("f16 37x53 rank 3") << DType::F16 << 37 << 53 << 3;
        QTest::newRow("f32 1x1 rank 1") << DType::F32 << 1 << 1 << 1;
        QTest::newRow("f16 conv 64x(3*3*19) rank 8") << DType::F16 << 64 << 171 << 8;
        QTest::newRow("f32 129x7 rank 64") << DType::F32 << 129 << 7 << 64;
    }

    void mergeKernelMatchesCpu()
    {
        QFETCH(DType, dtype);
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, rank);
        vk::Device& device = *test::testDevice();
        std::mt19937 rng(uint32_t(rows * 1000 + cols * 10 + rank));
        std::normal_distribution<float> normal;
        const auto draw = [&](size_t n) {
            std::vector<float> v(n);
            for (float& x : v)
                x = normal(rng);
            return v;
        };
        std::vector<float> w = draw(size_t(rows) * cols), up = draw(size_t(rows) * rank), down = draw(size_t(rank) * cols);
        const float scale = -0.37f;
        ASSIGN_OR_FAIL(ops::Tensor tw, ops::Tensor::fromFloats(device, dtype, {rows, cols}, w));
        ASSIGN_OR_FAIL(ops::Tensor tu, ops::Tensor::fromFloats(device, DType::F32, {rows, rank}, up));
        ASSIGN_OR_FAIL(ops::Tensor td, ops::Tensor::fromFloats(device, DType::F32, {rank, cols}, down));
        ASSIGN_OR_FAIL(const std::vector<float> before, tw.toFloats(device));  // w as its dtype holds it
        VERIFY_OK(device.execute([&](vk::CommandBatch& b) { return ops::loraMerge(b, tw, tu, td, scale); }));
        ASSIGN_OR_FAIL(const std::vector<float> after, tw.toFloats(device));
        double worst = 0, largest = 0;
        for (int o = 0; o < rows; ++o)
            for (int c = 0; c < cols; ++c) {
                double sum = 0;
                for (int k = 0; k < rank; ++k)
                    sum += double(up[size_t(o) * rank + k]) * double(down[size_t(k) * cols + c]);
                const double expected = double(before[size_t(o) * cols + c]) + scale * sum;
                worst = std::max(worst, std::abs(after[size_t(o) * cols + c] - expected));
                largest = std::max(largest, std::abs(expected));
            }
        // f32: the sum's rounding; f16: the one rounding of the result to half precision (2^-11).
        QVERIFY2(worst / largest < (dtype == DType::F16 ? 1e-3 : 1e-6), qPrintable(QString::number(worst / largest)));
    }

    void mergeKernelRejectsBadShapes()
    {
        vk::Device& device = *test::testDevice();
        ASSIGN_OR_FAIL(ops::Tensor w, ops::Tensor::create(device, DType::F32, {4, 6}));
        ASSIGN_OR_FAIL(ops::Tensor up, ops::Tensor::create(device, DType::F32, {4, 2}));
        ASSIGN_OR_FAIL(ops::Tensor down, ops::Tensor::create(device, DType::F32, {3, 6}));
        const Status s = device.execute([&](vk::CommandBatch& b) { return ops::loraMerge(b, w, up, down, 1.0f); });
        QVERIFY(!s);
        QVERIFY(s.error().message.find("[3, 6]") != std::string::npos);
    }

    void kohyaAndPeftMatchDiffusers()
    {
        const test::GoldenFile golden(QStringLiteral("lora_sd1"));
        std::unique_ptr<StableDiffusion> model = loadGolden();
        const std::string kohya = fixture(QStringLiteral("lora_sd1_kohya.safetensors")).toStdString();
        const std::string peft = fixture(QStringLiteral("lora_sd1_peft.safetensors")).toStdString();
        const auto check = [&](const char* name) {
            const Outputs o = run(*model, golden);
            const double unet = relativeError(o.unet, golden.floats(std::string("unet_") + name));
            const double text = relativeError(o.text, golden.floats(std::string("text_") + name));
            qInfo("%s: UNet %.2g, text encoder %.2g", name, unet, text);
            const double tolerance = std::string(name) == "base" ? kBaseTolerance : kTolerance;
            return unet < tolerance && text < tolerance;
        };
        QVERIFY(check("base"));
        // the LoRA changes what the networks compute by a fifth of their largest output
        const LoraUse kohyaUse{kohya, "lora_sd1_kohya", 0.7f, 0.7f};
        VERIFY_OK(model->loras().apply(std::vector{kohyaUse}));
        QCOMPARE(model->loras().applied().size(), size_t(1));
        QCOMPARE(model->loras().applied()[0].modules, 13);  // 10 UNet (4 of them convolutions) + 3 text
        QCOMPARE(model->loras().applied()[0].skippedKeys, 0);
        QVERIFY(check("kohya"));
        VERIFY_OK(model->loras().apply(std::vector{kohyaUse, LoraUse{peft, "lora_sd1_peft", 1.0f, 1.0f}}));
        QVERIFY(check("both"));
        VERIFY_OK(model->loras().apply({}));  // removed: the base weights are back
        QVERIFY(check("base"));
        VERIFY_OK(model->loras().apply(std::vector{kohyaUse}));
        QVERIFY(check("kohya"));
    }

    void promptTagsMergeLorasAndNameThem()
    {
        std::unique_ptr<StableDiffusion> model = loadGolden();
        model->setLoraFolder(QStringLiteral(ATELIER_DIFFUSION_TEST_DIR "/fixtures"));
        // the tag merges the LoRA and is not text: the same conditioning as the prompt without it
        // under an explicit merge, and a different one from the base model's
        ASSIGN_OR_FAIL(const Conditioning base, encodePrompts(*model, QStringLiteral("a red circle"), {}, 1));
        ASSIGN_OR_FAIL(const Conditioning tagged,
                       encodePrompts(*model, QStringLiteral("a red <lora:lora_sd1_kohya:0.7> circle"), {}, 1));
        QCOMPARE(model->loras().uses().size(), size_t(1));
        QCOMPARE(model->loras().uses()[0].unetWeight, 0.7f);
        ASSIGN_OR_FAIL(const std::vector<float> merged,
                       model->textEncoder().condition(chunkPrompt(model->tokenizer(), QStringLiteral("a red  circle")), 1));
        QCOMPARE(tagged.cond, merged);
        QVERIFY(relativeError(tagged.cond, base.cond) > 1e-2);
        ASSIGN_OR_FAIL(const Conditioning again, encodePrompts(*model, QStringLiteral("a red circle"), {}, 1));
        QVERIFY(model->loras().uses().empty());  // no tag: the base weights again
        QCOMPARE(again.cond, base.cond);

        // several at once, and the A1111 parameters name them with their hashes
        GenerationRequest request;
        request.prompt = QStringLiteral("<lora:lora_sd1_kohya:0.7> <lora:lora_sd1_peft> a red circle");
        ASSIGN_OR_FAIL(const Conditioning both, encodePrompts(*model, request.prompt, {}, 1));
        QCOMPARE(model->loras().applied().size(), size_t(2));
        const GenerationParameters p = describeGeneration(*model, request);
        const QString hashes = QStringLiteral("lora_sd1_kohya: %1, lora_sd1_peft: %2")
                                   .arg(QString::fromStdString(goldenMetadata("kohya_hash")),
                                        QString::fromStdString(goldenMetadata("peft_hash")));
        QCOMPARE(loraHashes(p), hashes);
        const QString text = formatA1111(p);
        QVERIFY2(text.contains(QStringLiteral("Lora hashes: \"") + hashes + QStringLiteral("\"")), qPrintable(text));
        ASSIGN_OR_FAIL(const GenerationParameters back, parseA1111(text));
        QCOMPARE(loraHashes(back), hashes);
        QCOMPARE(back.prompt, request.prompt);  // the tags stay in the prompt, as A1111 keeps them
        QCOMPARE(back.extras.size(), 1);  // Lora hashes, kept where A1111 puts it

        // a name the folder lacks and a weight that is no number are errors that say so
        const auto missing = encodePrompts(*model, QStringLiteral("<lora:no_such_lora:1> a cat"), {}, 1);
        QVERIFY(!missing);
        QVERIFY2(missing.error().message.find("no_such_lora") != std::string::npos, missing.error().message.c_str());
        QVERIFY(model->loras().uses().empty());
        QVERIFY(!encodePrompts(*model, QStringLiteral("<lora:lora_sd1_kohya:heavy> a cat"), {}, 1));
    }

    // A whole generation with two LoRAs: a different picture from the base model's, whose PNG
    // names them with their hashes, which the Library reads back on import.
    void generatedPictureCarriesLoraHashes()
    {
        std::unique_ptr<StableDiffusion> model = loadGolden();
        model->setLoraFolder(QStringLiteral(ATELIER_DIFFUSION_TEST_DIR "/fixtures"));
        GenerationRequest request;
        request.width = request.height = 64;
        request.steps = 3;
        request.seed = 7;
        request.prompt = QStringLiteral("a red circle");
        ASSIGN_OR_FAIL(const GeneratedImage base, generate(*model, request));
        QVERIFY(loraHashes(base.parameters).isEmpty());
        request.prompt = QStringLiteral("a red circle <lora:lora_sd1_kohya:0.7> <lora:lora_sd1_peft:1>");
        ASSIGN_OR_FAIL(const GeneratedImage adapted, generate(*model, request));
        QVERIFY(adapted.rgb != base.rgb);
        const QString hashes = QStringLiteral("lora_sd1_kohya: %1, lora_sd1_peft: %2")
                                   .arg(QString::fromStdString(goldenMetadata("kohya_hash")),
                                        QString::fromStdString(goldenMetadata("peft_hash")));
        QCOMPARE(loraHashes(adapted.parameters), hashes);
        ASSIGN_OR_FAIL(const QByteArray png, ui::encodePicturePng(adapted, generationJson(request, adapted)));
        ASSIGN_OR_FAIL(const store::PictureRecord record, store::PictureStore::recordFromPng(png, QStringLiteral("lora.png")));
        QCOMPARE(loraHashes(record.parameters()), hashes);
        QCOMPARE(record.prompt, request.prompt);
        // and the same picture again once the LoRAs are gone from the prompt
        request.prompt = QStringLiteral("a red circle");
        ASSIGN_OR_FAIL(const GeneratedImage again, generate(*model, request));
        QCOMPARE(again.rgb, base.rgb);
    }

    void extractsTagsAsA1111()
    {
        const PromptLoras p = extractLoraTags(
            QStringLiteral("a <lora:ink:0.5>cat, <lora:paper> on <hypernet:x:1> a mat <lora:both:0.4:0.9>"));
        QCOMPARE(p.prompt, QStringLiteral("a cat,  on <hypernet:x:1> a mat "));
        QCOMPARE(p.loras.size(), size_t(3));
        QCOMPARE(p.loras[0].name, QStringLiteral("ink"));
        QCOMPARE(p.loras[0].weight, 0.5);
        QCOMPARE(p.loras[0].unetWeight, 0.5);
        QCOMPARE(p.loras[0].start, qsizetype(2));
        QCOMPARE(p.loras[0].length, qsizetype(14));
        QCOMPARE(p.loras[1].name, QStringLiteral("paper"));
        QCOMPARE(p.loras[1].weight, 1.0);
        QCOMPARE(p.loras[2].weight, 0.4);
        QCOMPARE(p.loras[2].unetWeight, 0.9);
        QVERIFY(!extractLoraTags(QStringLiteral("<lora:x:abc>")).loras[0].valid);
        QCOMPARE(loraTag(QStringLiteral("ink")), QStringLiteral("<lora:ink:1>"));
    }

    void filesThatDoNotFitAreRefused()
    {
        std::unique_ptr<StableDiffusion> model = loadGolden();
        const LoraTargets& targets = model->loras().targets();
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bad.safetensors"));
        const std::string q = "lora_te_text_model_encoder_layers_0_self_attn_q_proj";  // [32, 32]
        const auto read = [&](const std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>& t) {
            writeTensors(path, t);
            return readLoraFile(path.toStdString(), targets);
        };
        const auto fails = [&](const Result<LoraFile>& r, const char* words) {
            if (r)
                return false;
            qInfo("%s", r.error().message.c_str());
            return r.error().message.find(words) != std::string::npos;
        };
        // unknown keys are counted, not fatal
        auto ok = read({{q + ".lora_down.weight", {{2, 32}, filled(64, 0.1f)}},
                        {q + ".lora_up.weight", {{32, 2}, filled(64, 0.1f)}},
                        {"lora_unet_no_such_block.lora_down.weight", {{2, 4}, filled(8, 0.1f)}},
                        {"lora_te_text_model_encoder_layers_0_self_attn_q_proj.hada_w1_a", {{2, 4}, filled(8, 0.1f)}}});
        QVERIFY2(ok, ok ? "" : ok.error().message.c_str());
        QCOMPARE(ok->modules.size(), size_t(1));
        QCOMPARE(ok->skippedKeys, 2);
        QCOMPARE(ok->modules[0].alphaScale, 1.0f);  // no alpha: the rank
        // a DoRA module is skipped whole (its pair alone is not its update), the plain one is kept
        const std::string k = "lora_te_text_model_encoder_layers_0_self_attn_k_proj";
        auto dora = read({{q + ".lora_down.weight", {{2, 32}, filled(64, 0.1f)}},
                          {q + ".lora_up.weight", {{32, 2}, filled(64, 0.1f)}},
                          {k + ".lora_down.weight", {{2, 32}, filled(64, 0.1f)}},
                          {k + ".lora_up.weight", {{32, 2}, filled(64, 0.1f)}},
                          {k + ".dora_scale", {{1, 32}, filled(32, 1.0f)}}});
        QVERIFY2(dora, dora ? "" : dora.error().message.c_str());
        QCOMPARE(dora->modules.size(), size_t(1));
        QCOMPARE(dora->modules[0].target->name, std::string("cond_stage_model.transformer.text_model.encoder.layers.0.self_attn.q_proj"));
        QCOMPARE(dora->skippedKeys, 3);
        // a LoRA made for a wider model
        QVERIFY(fails(read({{q + ".lora_down.weight", {{2, 768}, filled(1536, 0.1f)}},
                            {q + ".lora_up.weight", {{32, 2}, filled(64, 0.1f)}}}),
                      "another model"));
        // an up of the wrong rank
        QVERIFY(fails(read({{q + ".lora_down.weight", {{2, 32}, filled(64, 0.1f)}},
                            {q + ".lora_up.weight", {{32, 3}, filled(96, 0.1f)}}}),
                      "expected [32, 2]"));
        // half a pair
        QVERIFY(fails(read({{q + ".lora_down.weight", {{2, 32}, filled(64, 0.1f)}}}), "without its up"));
        // an alpha that is no number
        QVERIFY(fails(read({{q + ".lora_down.weight", {{2, 32}, filled(64, 0.1f)}},
                            {q + ".lora_up.weight", {{32, 2}, filled(64, 0.1f)}},
                            {q + ".alpha", {{}, {NAN}}}}),
                      "not a finite number"));
        // a LoCon down whose kernel is not the convolution's (conv1 is 3x3)
        const std::string conv = "lora_unet_down_blocks_0_resnets_0_conv1";
        QVERIFY(fails(read({{conv + ".lora_down.weight", {{2, 32, 1, 1}, filled(64, 0.1f)}},
                            {conv + ".lora_up.weight", {{32, 2, 1, 1}, filled(64, 0.1f)}}}),
                      "[rank, 32, 3, 3]"));
        // nothing this model has
        QVERIFY(fails(read({{"lora_unet_nothing.lora_down.weight", {{2, 4}, filled(8, 0.1f)}}}), "adapts nothing"));
        // not a safetensors file at all
        QFile junk(path);
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not a LoRA");
        junk.close();
        QVERIFY(!readLoraFile(path.toStdString(), targets));
        // a failed merge leaves the base weights and nothing merged
        const test::GoldenFile golden(QStringLiteral("lora_sd1"));
        writeTensors(path, {{q + ".lora_down.weight", {{2, 768}, filled(1536, 0.1f)}},
                            {q + ".lora_up.weight", {{32, 2}, filled(64, 0.1f)}}});
        const std::string kohya = fixture(QStringLiteral("lora_sd1_kohya.safetensors")).toStdString();
        QVERIFY(!model->loras().apply(std::vector{LoraUse{kohya, "k", 0.7f, 0.7f}, LoraUse{path.toStdString(), "bad", 1, 1}}));
        QVERIFY(model->loras().uses().empty());
        const Outputs o = run(*model, golden);
        QVERIFY(relativeError(o.unet, golden.floats("unet_base")) < kBaseTolerance);
        QVERIFY(relativeError(o.text, golden.floats("text_base")) < kBaseTolerance);
    }
};

ATELIER_DIFFUSION_TEST(LoraTest)

#include "lora_test.moc"
