// Tiny Stable Diffusion checkpoints (make_fixtures.py): family and configuration of each, the same
// canonical tensors from both layouts, a separate VAE, the prediction and turbo rules.

#include "tst_safetensors.h"

#include "diffusion/checkpoint.h"
#include "diffusion/model_resolution.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>

using namespace atelier;
using namespace atelier::diffusion;
using io::SafetensorsDType;

namespace {

// What make_fixtures.py builds: 2 levels of (8, 16) channels, 1 res block, attention on level 0,
// 8 GroupNorm groups, a 32-wide 2-layer CLIP with 256 tokens.
CheckpointConfig expectedConfig(const QString& family)
{
    const bool sd2 = family == "sd2";
    CheckpointConfig c;
    c.generation = sd2 ? Generation::Sd2 : Generation::Sd1;
    c.family = sd2 ? ModelFamily::Sd2 : family == "sd1_inpaint" ? ModelFamily::Sd1Inpaint : ModelFamily::Sd1;
    c.prediction = sd2 ? Prediction::V : Prediction::Epsilon;
    c.defaultResolution = sd2 ? 768 : 512;
    c.unet = UNetConfig{.inChannels = family == "sd1_inpaint" ? 9 : 4, .outChannels = 4, .modelChannels = 8,
                        .channelMult = {1, 2}, .resBlocks = 1, .attention = {true, false},
                        .heads = {sd2 ? 1 : 8, 0}, .midHeads = sd2 ? 1 : 8, .transformerDepth = 1,
                        .contextDim = 32, .linearProjection = sd2, .timeEmbedDim = 32, .normGroups = 8};
    c.vae = VaeConfig{.imageChannels = 3, .latentChannels = 4, .baseChannels = 8, .channelMult = {1, 2},
                      .resBlocks = 1, .normGroups = 8, .scalingFactor = 0.18215f};
    c.text = TextEncoderConfig{.vocabSize = 256, .maxPositions = 77, .width = 32, .layers = 2, .heads = 1,
                               .intermediate = 64,
                               .activation = sd2 ? TextActivation::Gelu : TextActivation::QuickGelu,
                               .layerNormEps = 1e-5f};
    return c;
}

std::string describe(const UNetConfig& u)
{
    QString s = QString("in %1 out %2 ch %3 res %4 depth %5 ctx %6 linear %7 temb %8 groups %9 mid %10 mult")
                    .arg(u.inChannels).arg(u.outChannels).arg(u.modelChannels).arg(u.resBlocks)
                    .arg(u.transformerDepth).arg(u.contextDim).arg(u.linearProjection).arg(u.timeEmbedDim)
                    .arg(u.normGroups).arg(u.midHeads);
    for (size_t i = 0; i < u.channelMult.size(); ++i)
        s += QString(" %1/%2/%3").arg(u.channelMult[i]).arg(u.attention[i]).arg(u.heads[i]);
    return s.toStdString();
}

// Copies a fixture to `dir` under `name` (for the file-name rules).
std::string copiedAs(const QTemporaryDir& dir, const QString& fixture, const QString& name)
{
    const QString to = dir.filePath(name);
    QFile::remove(to);
    if (!QFile::copy(QString::fromStdString(test::fixturePath(fixture)), to))
        qFatal("cannot copy %s", qPrintable(fixture));
    return to.toStdString();
}

std::string written(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes)
{
    QFile file(dir.filePath(name));
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(file.fileName()));
    return file.fileName().toStdString();
}

} // namespace

void TestSafetensors::detectsFamilyAndConfig_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("family");
    QTest::addColumn<QString>("reason");
    for (const char* family : {"sd1", "sd1_inpaint", "sd2"}) {
        const QString f = family;
        const QString reason = f == "sd2" ? "SD 2.x single-file default (768-v)"
                               : f == "sd1" ? "SD 1.x default" : "SD 1.x inpainting default";
        QTest::newRow(qPrintable(f + " single file")) << "tiny_" + f + ".safetensors" << f << reason;
        QTest::newRow(qPrintable(f + " diffusers")) << "tiny_" + f << f << "scheduler_config.json";
    }
}

void TestSafetensors::detectsFamilyAndConfig()
{
    QFETCH(QString, path);
    QFETCH(QString, family);
    QFETCH(QString, reason);
    ASSIGN_OR_FAIL(auto ck, Checkpoint::open(test::fixturePath(path)));
    const CheckpointConfig want = expectedConfig(family);
    const CheckpointConfig& got = ck->config();
    QCOMPARE(ck->layout(), path.endsWith(".safetensors") ? CheckpointLayout::SingleFile : CheckpointLayout::Diffusers);
    QCOMPARE(modelFamilyName(got.family), modelFamilyName(want.family));
    QCOMPARE(got.generation, want.generation);
    QCOMPARE(predictionName(got.prediction), predictionName(want.prediction));
    QCOMPARE(QString::fromStdString(got.predictionReason), reason);
    QCOMPARE(got.defaultResolution, want.defaultResolution);
    QVERIFY2(got.unet == want.unet, (describe(got.unet) + " != " + describe(want.unet)).c_str());
    QVERIFY(got.vae == want.vae);
    QCOMPARE(got.vae.downscale(), 2);
    QVERIFY(got.text == want.text);
    QVERIFY(ck->vaePath().empty());
}

void TestSafetensors::bothLayoutsGiveTheSameTensors_data()
{
    QTest::addColumn<QString>("family");
    QTest::addColumn<int>("count");  // UNet 208 + VAE 124 + CLIP 36 tensors
    QTest::newRow("sd1") << "sd1" << 368;
    QTest::newRow("sd1_inpaint") << "sd1_inpaint" << 368;
    QTest::newRow("sd2") << "sd2" << 368;
}

// The same weights under the same canonical names, dtypes, shapes and bytes, whichever layout.
void TestSafetensors::bothLayoutsGiveTheSameTensors()
{
    QFETCH(QString, family);
    QFETCH(int, count);
    ASSIGN_OR_FAIL(auto single, Checkpoint::open(test::fixturePath("tiny_" + family + ".safetensors")));
    ASSIGN_OR_FAIL(auto folder, Checkpoint::open(test::fixturePath("tiny_" + family)));
    QCOMPARE(int(single->tensors().size()), count);
    QCOMPARE(int(folder->tensors().size()), count);
    for (const CheckpointTensor& a : single->tensors()) {
        const CheckpointTensor* b = folder->find(a.name);
        QVERIFY2(b, a.name.c_str());
        QCOMPARE(b->dtype, a.dtype);
        QCOMPARE(b->shape, a.shape);
        QVERIFY2(std::equal(a.data.begin(), a.data.end(), b->data.begin(), b->data.end()), a.name.c_str());
        QVERIFY2(a.data.data() != b->data.data(), "two layouts, two files");
    }
    for (std::string_view prefix : {kUNetPrefix, kVaePrefix, kTextPrefix}) {
        const auto inNetwork = [&](const Checkpoint& c) {
            return std::count_if(c.tensors().begin(), c.tensors().end(),
                                 [&](const CheckpointTensor& t) { return std::string_view(t.name).starts_with(prefix); });
        };
        QCOMPARE(inNetwork(*single), inNetwork(*folder));
        QVERIFY(inNetwork(*single) > 0);
    }
    // Dropped: CLIP's position ids, schedule tables and EMA counters of the SD 1.x file.
    QVERIFY(!single->find(std::string(kTextPrefix) + "embeddings.position_ids"));
    QVERIFY(!single->find("alphas_cumprod"));
    QVERIFY(!single->find("model_ema.num_updates"));
}

// OpenCLIP's in_proj rows become q, k and v; the last resblock, text_projection and logit_scale
// are dropped; VAE attention weights are seen as 1x1 convolutions in both layouts.
void TestSafetensors::splitsOpenClipAttention()
{
    ASSIGN_OR_FAIL(auto ck, Checkpoint::open(test::fixturePath("tiny_sd2.safetensors")));
    ASSIGN_OR_FAIL(auto file, io::SafetensorsFile::open(test::fixturePath("tiny_sd2.safetensors")));
    const io::SafetensorsTensor* fused = file->find("cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight");
    QVERIFY(fused);
    QCOMPARE(fused->shape, (std::vector<int64_t>{96, 32}));
    const size_t third = fused->data.size() / 3;
    const char* parts[] = {"q_proj", "k_proj", "v_proj"};
    for (size_t k = 0; k < 3; ++k) {
        const std::string name = std::string(kTextPrefix) + "encoder.layers.1.self_attn." + parts[k] + ".weight";
        ASSIGN_OR_FAIL(const CheckpointTensor* t, ck->require(name, {32, 32}, SafetensorsDType::F16));
        QVERIFY(std::equal(t->data.begin(), t->data.end(), fused->data.begin() + std::ptrdiff_t(k * third)));
        QVERIFY(t->source.find("in_proj_weight") != std::string::npos);
    }
    ASSIGN_OR_FAIL(const CheckpointTensor* bias,
                   ck->require(std::string(kTextPrefix) + "encoder.layers.0.self_attn.v_proj.bias", {32}));
    QCOMPARE(bias->dtype, SafetensorsDType::F16);
    QVERIFY(!ck->find(std::string(kTextPrefix) + "encoder.layers.2.self_attn.q_proj.weight"));
    QVERIFY(file->find("cond_stage_model.model.transformer.resblocks.2.attn.in_proj_weight"));
    VERIFY_OK(ck->require(std::string(kVaePrefix) + "decoder.mid.attn_1.proj_out.weight", {16, 16, 1, 1}));
    ASSIGN_OR_FAIL(auto folder, Checkpoint::open(test::fixturePath("tiny_sd2")));
    VERIFY_OK(folder->require(std::string(kVaePrefix) + "decoder.mid.attn_1.proj_out.weight", {16, 16, 1, 1}));
}

// Older diffusers VAE attention names (query, key, value, proj_attn) and transformers 5 text
// encoders (no `text_model.` in front) read as the current ones do.
void TestSafetensors::readsOtherDiffusersNamings()
{
    QTemporaryDir dir;
    const QString folder = dir.filePath("tiny_sd1");
    for (const char* sub : {"unet", "vae", "text_encoder", "scheduler"})
        QDir().mkpath(folder + "/" + sub);
    for (const char* file : {"model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                             "vae/config.json", "text_encoder/config.json", "scheduler/scheduler_config.json"})
        QVERIFY(QFile::copy(QString::fromStdString(test::fixturePath(QString("tiny_sd1/") + file)), folder + "/" + file));
    QByteArray vae = test::fixtureBytes("tiny_sd1/vae/diffusion_pytorch_model.safetensors");
    for (const auto& [from, to] : {std::pair<QByteArray, QByteArray>{"attentions.0.to_q.", "attentions.0.query."},
                                   {"attentions.0.to_k.", "attentions.0.key."},
                                   {"attentions.0.to_v.", "attentions.0.value."},
                                   {"attentions.0.to_out.0.", "attentions.0.proj_attn."}})
        vae = test::rewriteHeader(vae, from, to);
    written(dir, "tiny_sd1/vae/diffusion_pytorch_model.safetensors", vae);
    written(dir, "tiny_sd1/text_encoder/model.safetensors",
            test::rewriteHeader(test::fixtureBytes("tiny_sd1/text_encoder/model.safetensors"), "\"text_model.", "\""));
    ASSIGN_OR_FAIL(auto renamed, Checkpoint::open(folder.toStdString()));
    ASSIGN_OR_FAIL(auto original, Checkpoint::open(test::fixturePath("tiny_sd1")));
    QCOMPARE(renamed->tensors().size(), original->tensors().size());
    for (const CheckpointTensor& t : original->tensors()) {
        const CheckpointTensor* r = renamed->find(t.name);
        QVERIFY2(r, t.name.c_str());
        QCOMPARE(r->shape, t.shape);
        QVERIFY(std::equal(t.data.begin(), t.data.end(), r->data.begin(), r->data.end()));
    }
    QVERIFY(renamed->find(std::string(kVaePrefix) + "encoder.mid.attn_1.q.weight")->source.find("query") != std::string::npos);
}

void TestSafetensors::replacesTheVae_data()
{
    QTest::addColumn<QString>("checkpoint");
    QTest::addColumn<QString>("vae");
    QTest::newRow("single file, CompVis VAE file") << "tiny_sd1.safetensors" << "tiny_vae.safetensors";
    QTest::newRow("single file, diffusers VAE folder") << "tiny_sd1.safetensors" << "tiny_vae";
    QTest::newRow("diffusers, CompVis VAE file") << "tiny_sd2" << "tiny_vae.safetensors";
    QTest::newRow("diffusers, diffusers VAE weights file") << "tiny_sd2" << "tiny_vae/diffusion_pytorch_model.safetensors";
    QTest::newRow("VAE of another checkpoint") << "tiny_sd1" << "tiny_sd2.safetensors";
}

// A separate VAE replaces every first_stage_model.* tensor and the VAE configuration, whether it is
// given when opening or later, and in any of its forms reads the same.
void TestSafetensors::replacesTheVae()
{
    QFETCH(QString, checkpoint);
    QFETCH(QString, vae);
    const std::string vaePath = test::fixturePath(vae);
    ASSIGN_OR_FAIL(auto builtIn, Checkpoint::open(test::fixturePath(checkpoint)));
    ASSIGN_OR_FAIL(auto atOpen, Checkpoint::open(test::fixturePath(checkpoint), {.vaePath = vaePath}));
    ASSIGN_OR_FAIL(auto later, Checkpoint::open(test::fixturePath(checkpoint)));
    VERIFY_OK(later->replaceVae(vaePath));
    const bool otherCheckpoint = vae == "tiny_sd2.safetensors";
    ASSIGN_OR_FAIL(auto reference, otherCheckpoint ? Checkpoint::open(vaePath)
                                                   : Checkpoint::open(test::fixturePath("tiny_sd1"), {.vaePath = test::fixturePath("tiny_vae.safetensors")}));
    for (const Checkpoint* ck : {atOpen.get(), later.get()}) {
        QCOMPARE(ck->vaePath(), vaePath);
        QVERIFY(ck->config().vae == reference->config().vae);
        QCOMPARE(ck->config().vae.channelMult, (std::vector<int>{1, otherCheckpoint ? 2 : 1}));
        QVERIFY(ck->config().unet == builtIn->config().unet);
        const auto vaeTensors = [](const Checkpoint& c) {
            size_t n = 0;
            for (const CheckpointTensor& t : c.tensors())
                n += std::string_view(t.name).starts_with(kVaePrefix);
            return n;
        };
        QCOMPARE(vaeTensors(*ck), vaeTensors(*reference));
        QCOMPARE(vaeTensors(*ck), size_t(otherCheckpoint ? 124 : 120));
        QCOMPARE(ck->tensors().size() - vaeTensors(*ck), builtIn->tensors().size() - vaeTensors(*builtIn));
        for (const CheckpointTensor& t : ck->tensors()) {
            const CheckpointTensor* want = std::string_view(t.name).starts_with(kVaePrefix) ? reference->find(t.name)
                                                                                          : builtIn->find(t.name);
            QVERIFY2(want, t.name.c_str());
            QCOMPARE(t.shape, want->shape);
            QVERIFY2(std::equal(t.data.begin(), t.data.end(), want->data.begin(), want->data.end()), t.name.c_str());
        }
    }
}

void TestSafetensors::predictionAndTurboRules_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("name");       // the copy's file name, empty for the fixture itself
    QTest::addColumn<QByteArray>("metadata"); // extra __metadata__ entries, JSON
    QTest::addColumn<int>("prediction");      // -1: none, else a Prediction option
    QTest::addColumn<int>("turbo");           // -1: none, else the turbo option
    QTest::addColumn<QString>("family");
    QTest::addColumn<QString>("expected");    // prediction name
    QTest::addColumn<int>("resolution");
    const QString sd2 = "tiny_sd2.safetensors";
    QTest::newRow("SD 2.x single file: 768-v") << sd2 << "" << QByteArray() << -1 << -1 << "SD 2.x" << "v" << 768;
    QTest::newRow("512 in the name") << sd2 << "v2-1_512-ema-pruned.safetensors" << QByteArray() << -1 << -1 << "SD 2.x" << "epsilon" << 512;
    QTest::newRow("base in the name") << sd2 << "512-base-ema.safetensors" << QByteArray() << -1 << -1 << "SD 2.x" << "epsilon" << 512;
    QTest::newRow("metadata epsilon") << sd2 << "" << QByteArray(",\"modelspec.prediction_type\":\"epsilon\"") << -1 << -1 << "SD 2.x" << "epsilon" << 512;
    QTest::newRow("metadata v beats the name") << sd2 << "base.safetensors" << QByteArray(",\"prediction_type\":\"v\"") << -1 << -1 << "SD 2.x" << "v" << 768;
    QTest::newRow("option beats metadata") << sd2 << "" << QByteArray(",\"prediction_type\":\"v\"") << int(Prediction::Epsilon) << -1 << "SD 2.x" << "epsilon" << 512;
    QTest::newRow("turbo in the name") << sd2 << "sd_turbo.safetensors" << QByteArray() << -1 << -1 << "SD-Turbo" << "epsilon" << 512;
    QTest::newRow("turbo in modelspec") << sd2 << "" << QByteArray(",\"modelspec.architecture\":\"stable-diffusion-v2-turbo\"") << -1 << -1 << "SD-Turbo" << "epsilon" << 512;
    QTest::newRow("turbo option") << sd2 << "" << QByteArray() << -1 << 1 << "SD-Turbo" << "epsilon" << 512;
    QTest::newRow("turbo option off beats the name") << sd2 << "sd_turbo.safetensors" << QByteArray() << -1 << 0 << "SD 2.x" << "v" << 768;
    QTest::newRow("diffusers scheduler beats option-less rules") << "tiny_sd2" << "" << QByteArray() << -1 << -1 << "SD 2.x" << "v" << 768;
    QTest::newRow("option beats the scheduler") << "tiny_sd2" << "" << QByteArray() << int(Prediction::Epsilon) << -1 << "SD 2.x" << "epsilon" << 512;
    QTest::newRow("SD 1.x ignores a turbo name") << "tiny_sd1.safetensors" << "turbo_sd15.safetensors" << QByteArray() << -1 << -1 << "SD 1.x" << "epsilon" << 512;
    QTest::newRow("SD 1.x v option") << "tiny_sd1.safetensors" << "" << QByteArray() << int(Prediction::V) << -1 << "SD 1.x" << "v" << 512;
    QTest::newRow("modelspec resolution") << "tiny_sd1.safetensors" << "" << QByteArray(",\"modelspec.resolution\":\"64x64\"") << -1 << -1 << "SD 1.x" << "epsilon" << 64;
    QTest::newRow("modelspec resolution beats 768-v") << sd2 << "" << QByteArray(",\"modelspec.resolution\":\"512x512\"") << -1 << -1 << "SD 2.x" << "v" << 512;
    QTest::newRow("non-square resolution ignored") << "tiny_sd1.safetensors" << "" << QByteArray(",\"modelspec.resolution\":\"512x768\"") << -1 << -1 << "SD 1.x" << "epsilon" << 512;
    QTest::newRow("unreadable resolution ignored") << "tiny_sd1.safetensors" << "" << QByteArray(",\"modelspec.resolution\":\"64x64px\"") << -1 << -1 << "SD 1.x" << "epsilon" << 512;
}

void TestSafetensors::predictionAndTurboRules()
{
    QFETCH(QString, fixture);
    QFETCH(QString, name);
    QFETCH(QByteArray, metadata);
    QFETCH(int, prediction);
    QFETCH(int, turbo);
    QFETCH(QString, family);
    QFETCH(QString, expected);
    QFETCH(int, resolution);
    QTemporaryDir dir;
    std::string path = test::fixturePath(fixture);
    if (!metadata.isEmpty())
        path = written(dir, name.isEmpty() ? "model.safetensors" : name,
                       test::rewriteHeader(test::fixtureBytes(fixture), "\"format\":\"pt\"", "\"format\":\"pt\"" + metadata));
    else if (!name.isEmpty())
        path = copiedAs(dir, fixture, name);
    CheckpointOptions options;
    if (prediction >= 0)
        options.prediction = Prediction(prediction);
    if (turbo >= 0)
        options.turbo = turbo == 1;
    ASSIGN_OR_FAIL(auto ck, Checkpoint::open(path, options));
    QCOMPARE(QString(modelFamilyName(ck->config().family)), family);
    QCOMPARE(QString(predictionName(ck->config().prediction)), expected);
    QCOMPARE(ck->config().defaultResolution, resolution);
}

void TestSafetensors::declaredResolutionReadsOnlyTheHeader()
{
    QCOMPARE(parseModelspecResolution("64x64"), std::optional<int>(64));
    QCOMPARE(parseModelspecResolution("1024x1024"), std::optional<int>(1024));
    for (const char* text : {"", "64", "64x", "x64", "64x128", "-64x-64", "32x32", "100x100", "8192x8192", " 64x64"})
        QVERIFY2(!parseModelspecResolution(text), text);

    QTemporaryDir dir;
    const std::string declared = written(dir, "shapes.safetensors",
                                         test::rewriteHeader(test::fixtureBytes("tiny_sd1.safetensors"), "\"format\":\"pt\"",
                                                             "\"format\":\"pt\",\"modelspec.resolution\":\"128x128\""));
    QCOMPARE(declaredResolution(declared), std::optional<int>(128));
    QCOMPARE(declaredResolution(test::fixturePath("tiny_sd1.safetensors")), std::nullopt);   // declares none
    QCOMPARE(declaredResolution((dir.path() + "/missing.safetensors").toStdString()), std::nullopt);
    QCOMPARE(declaredResolution(test::fixturePath("tiny_sd1")), std::nullopt);               // a diffusers folder
}

void TestSafetensors::requireSaysExpectedAndFound()
{
    const std::string path = test::fixturePath("tiny_sd1.safetensors");
    ASSIGN_OR_FAIL(auto ck, Checkpoint::open(path));
    const std::string convIn = std::string(kUNetPrefix) + "input_blocks.0.0.weight";
    ASSIGN_OR_FAIL(const CheckpointTensor* t, ck->require(convIn, {8, 4, 3, 3}));
    QCOMPARE(t->source, path + ": '" + convIn + "'");

    auto shape = ck->require(convIn, {8, 9, 3, 3});
    QVERIFY(!shape.ok());
    QCOMPARE(shape.error().message, "tensor '" + convIn + "': expected shape [8, 9, 3, 3], found [8, 4, 3, 3] (" +
                                        path + ": '" + convIn + "')");
    const int64_t dims[] = {8, 4, 3, 3};
    auto dtype = ck->require(convIn, dims, SafetensorsDType::F32);
    QVERIFY(!dtype.ok());
    QVERIFY2(dtype.error().message.starts_with("tensor '" + convIn + "': expected dtype F32, found F16"),
             dtype.error().message.c_str());
    auto missing = ck->require(std::string(kUNetPrefix) + "label_emb.0.0.weight", {1});
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().message, path + ": tensor 'model.diffusion_model.label_emb.0.0.weight' is missing");

    // A tensor whose dtype Atelier cannot compute with opens (it may be an extra) but is refused
    // when asked for.
    QTemporaryDir dir;
    const std::string ints = written(dir, "ints.safetensors",
                                     test::rewriteHeader(test::fixtureBytes("tiny_sd1.safetensors"),
                                                         "\"model.diffusion_model.out.2.bias\":{\"dtype\":\"F16\"",
                                                         "\"model.diffusion_model.out.2.bias\":{\"dtype\":\"I16\""));
    ASSIGN_OR_FAIL(auto withInts, Checkpoint::open(ints));
    auto unusable = withInts->require(std::string(kUNetPrefix) + "out.2.bias", {4});
    QVERIFY(!unusable.ok());
    QVERIFY2(unusable.error().message.find("has dtype I16, which Atelier cannot use") != std::string::npos,
             unusable.error().message.c_str());
}
