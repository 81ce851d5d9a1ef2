// The UNet against diffusers' UNet2DConditionModel on the golden checkpoints (goldens_unet.py):
// SD 1.x (epsilon, 8 heads, 1x1-conv projections) and SD 2.x (v, 64-wide heads, linear
// projections), a CFG batch of 2 at 16x16 and a single non-square 12x8 latent with a 154-token
// context (two prompt chunks) through the same model (the run state reallocates, then is reused);
// a tiny SD 2.x inpainting UNet (9 input channels) whose weights the golden file holds; and a
// model of SD widths, written at test time, that must run and keep CFG batch items apart.

#include "golden.h"
#include "test_device.h"

#include "core/dtype.h"
#include "diffusion/checkpoint.h"
#include "diffusion/checkpoint_tensors.h"
#include "diffusion/unet.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <random>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

// Measured on lavapipe: sd1 2.1e-6 (16x16) and 1.3e-6 (12x8), sd2 1.1e-6 and 9.8e-7 (f32 activations,
// the same f16-representable weights as diffusers' float32 modules).
constexpr double kTolerance = 1e-5;

struct GoldenPrediction {
    std::vector<float> x, context, expected;
    int batch, height, width, tokens;
    double timestep;
};

// suffix "": the CFG batch; "2": one latent whose context is the batch's two contexts as one
// 154-token prompt (the same numbers).
GoldenPrediction readPrediction(const test::GoldenFile& golden, const std::string& suffix)
{
    GoldenPrediction p;
    p.x = golden.floats("x" + suffix);
    p.context = golden.floats("context");
    p.expected = golden.floats("out" + suffix);
    p.timestep = golden.floats("timestep" + suffix)[0];
    const std::vector<int64_t> xs = golden.shape("x" + suffix);
    p.batch = int(xs[0]);
    p.height = int(xs[2]);
    p.width = int(xs[3]);
    const std::vector<int64_t> cs = golden.shape("context");
    p.tokens = int(cs[0] * cs[1]) / p.batch;
    return p;
}

Result<std::vector<float>> run(UNet& unet, const GoldenPrediction& p)
{
    return unet.predict(p.x, p.batch, p.height, p.width, p.timestep, p.context, p.tokens);
}

std::unique_ptr<UNet> loadGolden(const QString& family, WeightPrecision precision)
{
    auto checkpoint = Checkpoint::open(test::goldenCheckpointPath(family));
    if (!checkpoint)
        qFatal("%s", checkpoint.error().message.c_str());
    auto unet = UNet::load(*test::testDevice(), **checkpoint, precision);
    if (!unet)
        qFatal("%s", unet.error().message.c_str());
    return std::move(*unet);
}


// A single-file checkpoint written at test time, f16: a UNet, the golden SD1 checkpoint's VAE and
// a zero-filled one-layer CLIP text encoder that only fixes the context width.
class CheckpointWriter {
public:
    static constexpr int kTimeDim = 1280, kContext = 768;

    // A CompVis-named SD 1.x UNet of random weights: levels of `channels`, `resBlocks` res blocks
    // each, a transformer on the `attention` levels and in the middle, a 768-wide context.
    void unet(const std::vector<int>& channels, const std::vector<bool>& attention, int resBlocks, int inChannels)
    {
        weight("time_embed.0", {kTimeDim, channels[0]});
        weight("time_embed.2", {kTimeDim, kTimeDim});
        weight("input_blocks.0.0", {channels[0], inChannels, 3, 3});
        std::vector<int> skips{channels[0]};
        int ch = channels[0], block = 1;
        for (size_t level = 0; level < channels.size(); ++level) {
            for (int j = 0; j < resBlocks; ++j) {
                const std::string name = "input_blocks." + std::to_string(block++) + ".";
                res(name + "0.", ch, channels[level]);
                ch = channels[level];
                if (attention[level])
                    transformer(name + "1.", ch);
                skips.push_back(ch);
            }
            if (level + 1 < channels.size()) {
                weight("input_blocks." + std::to_string(block++) + ".0.op", {ch, ch, 3, 3});
                skips.push_back(ch);
            }
        }
        res("middle_block.0.", ch, ch);
        transformer("middle_block.1.", ch);
        res("middle_block.2.", ch, ch);
        block = 0;
        for (int level = int(channels.size()) - 1; level >= 0; --level) {
            for (int j = 0; j <= resBlocks; ++j) {
                const std::string name = "output_blocks." + std::to_string(block++) + ".";
                res(name + "0.", ch + skips.back(), channels[size_t(level)]);
                skips.pop_back();
                ch = channels[size_t(level)];
                if (attention[size_t(level)])
                    transformer(name + "1.", ch);
                if (j == resBlocks && level > 0)
                    weight(name + (attention[size_t(level)] ? "2" : "1") + ".conv", {ch, ch, 3, 3});
            }
        }
        norm("out.0", channels[0]);
        weight("out.2", {4, channels[0], 3, 3});
    }

    // The f16 tensors of `path` whose names start with `prefix`.
    bool copy(const std::string& path, const std::string& prefix)
    {
        auto file = io::SafetensorsFile::open(path);
        if (!file)
            return false;
        for (const io::SafetensorsTensor& t : (*file)->tensors())
            if (t.name.starts_with(prefix) && t.dtype == io::SafetensorsDType::F16)
                add(t.name, t.shape, std::vector<uint16_t>(reinterpret_cast<const uint16_t*>(t.data.data()),
                                                           reinterpret_cast<const uint16_t*>(t.data.data()) + t.elements()));
        return true;
    }

    // Writes what was added, the golden SD1 checkpoint's VAE and a text encoder `contextDim` wide.
    bool write(const std::string& path, int contextDim = kContext)
    {
        if (!copy(test::goldenCheckpointPath("sd1"), std::string(kVaePrefix)))
            return false;
        const int64_t width = contextDim;
        const std::string text(kTextPrefix);
        zeros(text + "embeddings.token_embedding.weight", {256, width});
        zeros(text + "embeddings.position_embedding.weight", {77, width});
        for (const char* n : {"layer_norm1", "layer_norm2"}) {
            zeros(text + "encoder.layers.0." + n + ".weight", {width});
            zeros(text + "encoder.layers.0." + n + ".bias", {width});
        }
        for (const char* n : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
            zeros(text + "encoder.layers.0.self_attn." + n + ".weight", {width, width});
            zeros(text + "encoder.layers.0.self_attn." + n + ".bias", {width});
        }
        zeros(text + "encoder.layers.0.mlp.fc1.weight", {64, width});
        zeros(text + "encoder.layers.0.mlp.fc1.bias", {64});
        zeros(text + "encoder.layers.0.mlp.fc2.weight", {width, 64});
        zeros(text + "encoder.layers.0.mlp.fc2.bias", {width});
        zeros(text + "final_layer_norm.weight", {width});
        zeros(text + "final_layer_norm.bias", {width});

        std::string header = "{";
        uint64_t offset = 0;
        for (const Entry& e : mEntries) {
            std::string shape;
            for (int64_t d : e.shape)
                shape += (shape.empty() ? "" : ",") + std::to_string(d);
            const uint64_t bytes = 2 * e.values.size();
            header += (header.size() > 1 ? "," : "") + ("\"" + e.name + "\":{\"dtype\":\"F16\",\"shape\":[" + shape +
                                                         "],\"data_offsets\":[" + std::to_string(offset) + "," +
                                                         std::to_string(offset + bytes) + "]}");
            offset += bytes;
        }
        header += "}";
        header.append((8 - header.size() % 8) % 8, ' ');
        std::ofstream out(path, std::ios::binary);
        const uint64_t size = header.size();
        out.write(reinterpret_cast<const char*>(&size), 8);
        out.write(header.data(), std::streamsize(header.size()));
        for (const Entry& e : mEntries)
            out.write(reinterpret_cast<const char*>(e.values.data()), std::streamsize(2 * e.values.size()));
        return bool(out);
    }

private:
    struct Entry {
        std::string name;
        std::vector<int64_t> shape;
        std::vector<uint16_t> values;
    };

    void add(std::string name, std::vector<int64_t> shape, std::vector<uint16_t> values)
    {
        mEntries.push_back({std::move(name), std::move(shape), std::move(values)});
    }
    void zeros(const std::string& name, std::vector<int64_t> shape)
    {
        int64_t n = 1;
        for (int64_t d : shape)
            n *= d;
        add(name, std::move(shape), std::vector<uint16_t>(size_t(n), floatToHalf(0.0f)));
    }
    // Uniform values of standard deviation `std` around `mean`.
    void random(const std::string& name, std::vector<int64_t> shape, float mean, float std)
    {
        int64_t n = 1;
        for (int64_t d : shape)
            n *= d;
        std::uniform_real_distribution<float> u(-std * std::sqrt(3.0f), std * std::sqrt(3.0f));
        std::vector<uint16_t> v(static_cast<size_t>(n));
        for (uint16_t& h : v)
            h = floatToHalf(mean + u(mRandom));
        add(std::string(kUNetPrefix) + name, std::move(shape), std::move(v));
    }
    // A Linear or conv weight (scaled by fan-in, so activations keep their size) and its bias.
    void weight(const std::string& name, std::vector<int64_t> shape, bool bias = true)
    {
        int64_t fanIn = 1;
        for (size_t i = 1; i < shape.size(); ++i)
            fanIn *= shape[i];
        if (bias)
            random(name + ".bias", {shape[0]}, 0.0f, 0.05f);
        random(name + ".weight", std::move(shape), 0.0f, 1.0f / std::sqrt(float(fanIn)));
    }
    void norm(const std::string& name, int64_t c)
    {
        random(name + ".weight", {c}, 1.0f, 0.1f);
        random(name + ".bias", {c}, 0.0f, 0.05f);
    }
    void res(const std::string& name, int in, int out)
    {
        norm(name + "in_layers.0", in);
        weight(name + "in_layers.2", {out, in, 3, 3});
        weight(name + "emb_layers.1", {out, kTimeDim});
        norm(name + "out_layers.0", out);
        weight(name + "out_layers.3", {out, out, 3, 3});
        if (in != out)
            weight(name + "skip_connection", {out, in, 1, 1});
    }
    void transformer(const std::string& name, int c)
    {
        norm(name + "norm", c);
        weight(name + "proj_in", {c, c, 1, 1});
        const std::string b = name + "transformer_blocks.0.";
        for (const char* n : {"norm1", "norm2", "norm3"})
            norm(b + n, c);
        for (const char* n : {"attn1.to_q", "attn1.to_k", "attn1.to_v", "attn2.to_q"})
            weight(b + n, {c, c}, false);
        weight(b + "attn2.to_k", {c, kContext}, false);
        weight(b + "attn2.to_v", {c, kContext}, false);
        weight(b + "attn1.to_out.0", {c, c});
        weight(b + "attn2.to_out.0", {c, c});
        weight(b + "ff.net.0.proj", {8 * int64_t(c), c});
        weight(b + "ff.net.2", {c, 4 * int64_t(c)});
        weight(name + "proj_out", {c, c, 1, 1});
    }

    std::vector<Entry> mEntries;
    std::mt19937 mRandom{20261122};
};

} // namespace

class TestUNet : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(test::testDevice()); }

    void matchesDiffusers_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<int>("precision");
        QTest::newRow("sd1") << "sd1" << int(WeightPrecision::AsStored);
        QTest::newRow("sd2") << "sd2" << int(WeightPrecision::AsStored);
        // The golden files hold f16 weights, so F16 binds the same numbers: this checks the path.
        QTest::newRow("sd1 f16") << "sd1" << int(WeightPrecision::F16);
    }

    void matchesDiffusers()
    {
        QFETCH(QString, family);
        QFETCH(int, precision);
        const test::GoldenFile golden("unet_" + family);
        auto unet = loadGolden(family, WeightPrecision(precision));
        QVERIFY(unet->weightBytes() > 0);

        const GoldenPrediction cfg = readPrediction(golden, "");
        QElapsedTimer timer;
        timer.start();
        auto out = run(*unet, cfg);
        QVERIFY2(out, out ? "" : out.error().message.c_str());
        const double error = test::normalisedError(*out, cfg.expected);
        qInfo("%s batch 2 at 16x16: normalised error %.3g, %lld ms (first call, pipelines included)",
              qPrintable(family), error, (long long)timer.elapsed());
        QVERIFY2(error < kTolerance, qPrintable(QString::number(error)));

        // Another shape reallocates the run state; the first shape again must give the same numbers.
        const GoldenPrediction single = readPrediction(golden, "2");
        auto out2 = run(*unet, single);
        QVERIFY2(out2, out2 ? "" : out2.error().message.c_str());
        const double error2 = test::normalisedError(*out2, single.expected);
        qInfo("%s batch 1 at 12x8, 154 tokens: normalised error %.3g", qPrintable(family), error2);
        QVERIFY2(error2 < kTolerance, qPrintable(QString::number(error2)));

        auto again = run(*unet, cfg);
        QVERIFY2(again, again ? "" : again.error().message.c_str());
        QVERIFY(unet->lastTimings().stateMs > 0.0);
        QCOMPARE(*again, *out);

        // The same shape once more keeps the run state.
        timer.restart();
        auto reused = run(*unet, cfg);
        QVERIFY2(reused, reused ? "" : reused.error().message.c_str());
        const UNetTimings& t = unet->lastTimings();
        qInfo("%s batch 2 at 16x16 again: %lld ms (upload %.1f, execute %.1f, download %.1f ms; %u dispatches, "
              "%u barriers; run state %.2f MB)",
              qPrintable(family), (long long)timer.elapsed(), t.uploadMs, t.executeMs, t.downloadMs, t.dispatches,
              t.barriers, unet->stateBytes() / 1e6);
        QCOMPARE(t.stateMs, 0.0);
        QCOMPARE(*reused, *out);

        unet->releaseRunState();
        QCOMPARE(unet->stateBytes(), uint64_t(0));
        QVERIFY(test::noValidationMessages());
    }

    // A tiny SD 2.x inpainting UNet (9 input channels) against diffusers.
    void inpaintingMatchesDiffusers()
    {
        const test::GoldenFile golden("unet_sd2_inpaint");
        QTemporaryDir dir;
        const std::string path = dir.filePath("inpaint.safetensors").toStdString();
        CheckpointWriter writer;
        QVERIFY(writer.copy(QStringLiteral(ATELIER_DIFFUSION_TEST_DIR "/goldens/unet_sd2_inpaint.safetensors").toStdString(),
                            std::string(kUNetPrefix)));
        QVERIFY(writer.write(path, 8));
        auto checkpoint = Checkpoint::open(path);
        QVERIFY2(checkpoint, checkpoint ? "" : checkpoint.error().message.c_str());
        QCOMPARE((*checkpoint)->config().family, ModelFamily::Sd2Inpaint);
        auto unet = UNet::load(*test::testDevice(), **checkpoint, WeightPrecision::AsStored);
        QVERIFY2(unet, unet ? "" : unet.error().message.c_str());
        QCOMPARE((*unet)->config().inChannels, 9);

        const GoldenPrediction p = readPrediction(golden, "");
        auto out = run(**unet, p);
        QVERIFY2(out, out ? "" : out.error().message.c_str());
        const double error = test::normalisedError(*out, p.expected);
        qInfo("9-channel batch 2 at 8x8: normalised error %.3g", error);
        QVERIFY2(error < kTolerance, qPrintable(QString::number(error)));
        QVERIFY(test::noValidationMessages());
    }

    // SD widths (320/640 channels, heads of 40 and 80, a 77 x 768 context, 9 input channels) run,
    // and a CFG batch gives each item what it gives alone: nothing leaks between batch items.
    void sdWidths()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("wide_inpaint.safetensors").toStdString();
        QElapsedTimer timer;
        timer.start();
        // SD 1.x inpainting's widths but few blocks: 8 heads of 40 on level 0 and of 80 in the middle.
        CheckpointWriter writer;
        writer.unet({320, 640}, {true, false}, 1, 9);
        QVERIFY(writer.write(path));
        auto checkpoint = Checkpoint::open(path);
        QVERIFY2(checkpoint, checkpoint ? "" : checkpoint.error().message.c_str());
        QCOMPARE((*checkpoint)->config().family, ModelFamily::Sd1Inpaint);
        auto unet = UNet::load(*test::testDevice(), **checkpoint, WeightPrecision::F16);
        QVERIFY2(unet, unet ? "" : unet.error().message.c_str());
        QCOMPARE((*unet)->config().heads, (std::vector<int>{8, 0}));
        qInfo("wide checkpoint written and loaded in %lld ms, %.1f MB of weights", (long long)timer.elapsed(),
              (*unet)->weightBytes() / 1e6);

        const int batch = 2, height = 8, width = 24, tokens = 77;
        const std::vector<float> x = test::randomFloats(size_t(batch * 9 * height * width), 31);
        const std::vector<float> context =
            test::randomFloats(size_t(batch * tokens * CheckpointWriter::kContext), 32);
        timer.restart();
        auto both = (*unet)->predict(x, batch, height, width, 601.25, context, tokens);
        QVERIFY2(both, both ? "" : both.error().message.c_str());
        const UNetTimings& t = (*unet)->lastTimings();
        qInfo("batch 2 at 24x8: %lld ms (execute %.0f ms, %u dispatches), run state %.1f MB",
              (long long)timer.elapsed(), t.executeMs, t.dispatches, (*unet)->stateBytes() / 1e6);
        double sumSquares = 0;
        for (float v : *both) {
            QVERIFY(std::isfinite(v));
            sumSquares += double(v) * v;
        }
        const double rms = std::sqrt(sumSquares / double(both->size()));
        QVERIFY2(rms > 0.05 && rms < 20.0, qPrintable(QString::number(rms)));

        const size_t half = both->size() / 2;
        timer.restart();
        auto second = (*unet)->predict(std::span(x).subspan(x.size() / 2), 1, height, width, 601.25,
                                       std::span(context).subspan(context.size() / 2), tokens);
        QVERIFY2(second, second ? "" : second.error().message.c_str());
        const double error = test::normalisedError(*second, std::vector<float>(both->begin() + long(half), both->end()));
        qInfo("the second item alone (%lld ms) against in the batch: normalised error %.3g", (long long)timer.elapsed(),
              error);
        QVERIFY2(error < 1e-5, qPrintable(QString::number(error)));
        QVERIFY(test::noValidationMessages());
    }

    // The whole SD 1.5 UNet shape (4 levels of 320/640/1280/1280, 2 res blocks, heads of 40/80/160,
    // 1.7 GB of f16 random weights), opt-in: ATELIER_UNET_SD15=<latent side>. Lavapipe, validation
    // on, a loaded 2-core machine: 44 s to write and load, 70 s per CFG prediction at 8x8 (tiny
    // latents leave most of each 128-row GEMM tile empty), 5.2 GB of host memory.
    void sd15Widths()
    {
        if (qEnvironmentVariableIsEmpty("ATELIER_UNET_SD15"))
            QSKIP("set ATELIER_UNET_SD15=<latent side> to run the SD 1.5 shape");
        QTemporaryDir dir;
        const std::string path = dir.filePath("sd15.safetensors").toStdString();
        QElapsedTimer timer;
        timer.start();
        CheckpointWriter writer;
        writer.unet({320, 640, 1280, 1280}, {true, true, true, false}, 2, 4);
        QVERIFY(writer.write(path));
        auto checkpoint = Checkpoint::open(path);
        QVERIFY2(checkpoint, checkpoint ? "" : checkpoint.error().message.c_str());
        auto unet = UNet::load(*test::testDevice(), **checkpoint, WeightPrecision::F16);
        QVERIFY2(unet, unet ? "" : unet.error().message.c_str());
        qInfo("written and loaded in %lld ms, %.1f MB of weights", (long long)timer.elapsed(), (*unet)->weightBytes() / 1e6);
        const int side = qEnvironmentVariableIntValue("ATELIER_UNET_SD15");
        const std::vector<float> x = test::randomFloats(size_t(2 * 4 * side * side), 31);
        const std::vector<float> context = test::randomFloats(size_t(2 * 77 * 768), 32);
        for (int i = 0; i < 2; ++i) {
            timer.restart();
            auto out = (*unet)->predict(x, 2, side, side, 500.0, context, 77);
            QVERIFY2(out, out ? "" : out.error().message.c_str());
            qInfo("batch 2 at %dx%d: %lld ms, state %.1f MB", side, side, (long long)timer.elapsed(), (*unet)->stateBytes() / 1e6);
        }
        QVERIFY(test::noValidationMessages());
    }

    void refusesBadInputs()
    {
        auto unet = loadGolden("sd1", WeightPrecision::AsStored);
        const int c = unet->config().inChannels, x = unet->config().contextDim;
        const std::vector<float> context(size_t(77 * x));
        // 3 levels: sides must be multiples of 4.
        const std::vector<float> odd(size_t(c * 10 * 8));
        auto refused = unet->predict(odd, 1, 10, 8, 999.0, context, 77);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.find("multiple of 4") != std::string::npos, refused.error().message.c_str());
        // A context of the wrong width.
        const std::vector<float> latent(size_t(c * 8 * 8));
        refused = unet->predict(latent, 1, 8, 8, 999.0, std::vector<float>(77 * (x + 1)), 77);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.find("context") != std::string::npos, refused.error().message.c_str());
        QVERIFY(test::noValidationMessages());
    }
};

ATELIER_DIFFUSION_TEST(TestUNet)
#include "unet_test.moc"
