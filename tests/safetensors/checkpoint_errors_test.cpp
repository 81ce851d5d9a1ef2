// Checkpoints that must not open: broken or foreign single files, and diffusers folders whose
// config.json contradicts their weights. Each error names the file and what is wrong.

#include "tst_safetensors.h"

#include "diffusion/checkpoint.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace atelier;
using namespace atelier::diffusion;

Q_DECLARE_METATYPE(atelier::ErrorCode)

namespace {

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

QByteArray readFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return file.readAll();
}

void copyFolder(const QString& from, const QString& to)
{
    QDirIterator it(from, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        const QString target = to + "/" + QDir(from).relativeFilePath(file);
        QDir().mkpath(QFileInfo(target).path());
        if (!QFile::copy(file, target))
            qFatal("cannot copy %s", qPrintable(file));
    }
}

} // namespace

void TestSafetensors::rejectsBrokenCheckpoints_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("saveAs");      // copy's name ("" to open the fixture itself)
    QTest::addColumn<QByteArray>("from");      // header rewrite ("" for none)
    QTest::addColumn<QByteArray>("to");
    QTest::addColumn<int>("turbo");            // -1: no option
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("message");
    const QString sd1 = "tiny_sd1.safetensors";
    auto row = [](const char* name, const QString& fixture, const QString& saveAs, const QByteArray& from,
                  const QByteArray& to, int turbo, ErrorCode code, const char* message) {
        QTest::newRow(name) << fixture << saveAs << from << to << turbo << code << QString::fromUtf8(message);
    };
    const auto F = ErrorCode::Format;
    row("missing UNet tensor", sd1, "m.safetensors", "model.diffusion_model.out.2.weight", "model.diffusion_model.out.9.weight",
        -1, F, "UNet: tensor 'model.diffusion_model.out.2.weight' is missing");
    row("no UNet", sd1, "m.safetensors", "model.diffusion_model.", "model.unet_model.", -1, F,
        "no Stable Diffusion UNet (no 'model.diffusion_model.*' tensors)");
    row("no VAE", sd1, "m.safetensors", "first_stage_model.", "first_stage_modex.", -1, F,
        "the checkpoint has no VAE (no 'first_stage_model.*' tensors and no vae/ folder)");
    row("no text encoder", sd1, "m.safetensors", "cond_stage_model.", "cond_stage_modex.", -1, F,
        "text encoder: tensor 'cond_stage_model.transformer.text_model.embeddings.token_embedding.weight' is missing");
    row("SDXL", sd1, "m.safetensors", "cond_stage_model.transformer.", "conditioner.embedders.0.transformer.", -1,
        ErrorCode::Unsupported, "SDXL checkpoints are not supported yet");
    row("8 input channels", sd1, "m.safetensors",
        "\"model.diffusion_model.input_blocks.0.0.weight\":{\"dtype\":\"F16\",\"shape\":[8,4,3,3]",
        "\"model.diffusion_model.input_blocks.0.0.weight\":{\"dtype\":\"F16\",\"shape\":[4,8,3,3]", -1,
        ErrorCode::Unsupported, "the UNet reads 8 and writes 4 channels with a 4-channel VAE: not a text-to-image or inpainting model");
    row("unusable dtype in a needed shape", sd1, "m.safetensors",
        "\"model.diffusion_model.input_blocks.0.0.weight\":{\"dtype\":\"F16\",\"shape\":[8,4,3,3]",
        "\"model.diffusion_model.input_blocks.0.0.weight\":{\"dtype\":\"F16\",\"shape\":[8,4,9]", -1, F,
        "UNet: tensor 'model.diffusion_model.input_blocks.0.0.weight' has shape [8, 4, 9], expected 4 dimensions");
    row("pickle", sd1, "model.ckpt", "", "", -1, ErrorCode::Unsupported,
        "pickled PyTorch checkpoints can run code when loaded and are not read");
    row("a VAE alone", "tiny_vae.safetensors", "", "", "", -1, F, "; it looks like a separate VAE");
    row("a folder of files", "files", "", "", "", -1, F, "a folder, but not a diffusers pipeline (it has no unet/ folder)");
    row("corrupt file", "corrupt/data_cut.safetensors", "", "", "", -1, F, "lies outside the file");
    row("missing file", "nonexistent.safetensors", "", "", "", -1, ErrorCode::Io, "file not found");
    row("turbo option on SD 1.x", sd1, "", "", "", 1, ErrorCode::InvalidArgument,
        "SD-Turbo is an SD 2.1 text-to-image model, but this checkpoint is SD 1.x");
    row("turbo option on inpainting", "tiny_sd1_inpaint", "", "", "", 1, ErrorCode::InvalidArgument,
        "but this checkpoint is an inpainting model");
}

void TestSafetensors::rejectsBrokenCheckpoints()
{
    QFETCH(QString, fixture);
    QFETCH(QString, saveAs);
    QFETCH(QByteArray, from);
    QFETCH(QByteArray, to);
    QFETCH(int, turbo);
    QFETCH(ErrorCode, code);
    QFETCH(QString, message);
    QTemporaryDir dir;
    std::string path = test::fixturePath(fixture);
    if (!saveAs.isEmpty()) {
        const QByteArray bytes = test::fixtureBytes(fixture);
        writeFile(dir.filePath(saveAs), from.isEmpty() ? bytes : test::rewriteHeader(bytes, from, to));
        path = dir.filePath(saveAs).toStdString();
    }
    CheckpointOptions options;
    if (turbo >= 0)
        options.turbo = turbo == 1;
    auto r = Checkpoint::open(path, options);
    QVERIFY2(!r.ok(), "a broken checkpoint opened");
    QCOMPARE(r.error().code, code);
    QVERIFY2(QString::fromStdString(r.error().message).contains(message), r.error().message.c_str());
    if (code != ErrorCode::InvalidArgument)
        QVERIFY2(r.error().message.find(path) != std::string::npos, r.error().message.c_str());
}

void TestSafetensors::rejectsLyingDiffusersConfigs_data()
{
    QTest::addColumn<QString>("file");     // inside a copy of tiny_sd1/
    QTest::addColumn<QString>("kind");     // json: set key to value; replace: text replace; remove; header
    QTest::addColumn<QString>("key");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("message");
    auto row = [](const char* name, const char* file, const char* kind, const char* key, const QByteArray& value,
                  ErrorCode code, const char* message) {
        QTest::newRow(name) << file << kind << key << value << code << QString::fromUtf8(message);
    };
    const auto F = ErrorCode::Format;
    row("in_channels", "unet/config.json", "json", "in_channels", "9", F,
        "unet/config.json: in_channels is 9 but the weights' conv_in input channels is 4");
    row("block_out_channels", "unet/config.json", "json", "block_out_channels", "[8, 32]", F,
        "unet/config.json: block_out_channels does not match the weights' level widths");
    row("too few levels listed", "unet/config.json", "json", "attention_head_dim", "[8]", F,
        "unet/config.json: attention_head_dim lists 1 values for 2 levels");
    row("linear projection", "unet/config.json", "json", "use_linear_projection", "true", F,
        "use_linear_projection is true but the weights' proj_in is a 1x1 convolution");
    row("heads that do not divide", "unet/config.json", "json", "attention_head_dim", "3", F,
        "UNet level 0: 8 channels do not split into 3 attention heads");
    row("negative groups", "unet/config.json", "json", "norm_num_groups", "-4", F,
        "unet/config.json: norm_num_groups is not a non-negative integer");
    row("text activation", "text_encoder/config.json", "json", "hidden_act", "\"relu\"", ErrorCode::Unsupported,
        "text encoder activation 'relu' is not supported");
    row("text layers", "text_encoder/config.json", "json", "num_hidden_layers", "3", F,
        "text_encoder/config.json: num_hidden_layers is 3 but the weights' layer count is 2");
    row("VAE groups", "vae/config.json", "json", "norm_num_groups", "3", F,
        "VAE level 0 does not split into 3 GroupNorm groups");
    row("VAE scaling", "vae/config.json", "json", "scaling_factor", "-1", F,
        "vae/config.json: scaling_factor -1.000000 is not a positive number");
    row("sample prediction", "scheduler/scheduler_config.json", "json", "prediction_type", "\"sample\"",
        ErrorCode::Unsupported, "prediction_type 'sample' is not supported");
    row("SDXL pipeline", "model_index.json", "json", "_class_name", "\"StableDiffusionXLPipeline\"",
        ErrorCode::Unsupported, "StableDiffusionXLPipeline is not supported yet");
    row("not JSON", "unet/config.json", "replace", "{", "[", F, "unet/config.json: not valid JSON");
    row("no UNet weights", "unet/diffusion_pytorch_model.safetensors", "remove", "", "", ErrorCode::Io,
        "unet: no diffusion_pytorch_model.safetensors");
    row("only pickled weights", "unet/diffusion_pytorch_model.safetensors", "rename", "", "diffusion_pytorch_model.bin",
        ErrorCode::Unsupported, "only pickled weights (diffusion_pytorch_model.bin) found");
    row("foreign UNet tensor", "unet/diffusion_pytorch_model.safetensors", "header", "\"conv_in.weight\"",
        "\"conv_xx.weight\"", F, "tensor 'conv_xx.weight' has no place in an SD 1.x/2.x UNet");
    row("foreign VAE tensor", "vae/diffusion_pytorch_model.safetensors", "header", "\"encoder.mid_block.attentions.0.to_q.weight\"",
        "\"encoder.mid_block.attentions.0.to_z.weight\"", F,
        "tensor 'encoder.mid_block.attentions.0.to_z.weight' has no place in an SD 1.x/2.x VAE");
}

void TestSafetensors::rejectsLyingDiffusersConfigs()
{
    QFETCH(QString, file);
    QFETCH(QString, kind);
    QFETCH(QString, key);
    QFETCH(QByteArray, value);
    QFETCH(ErrorCode, code);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString folder = dir.filePath("tiny_sd1");
    copyFolder(QString::fromStdString(test::fixturePath("tiny_sd1")), folder);
    const QString path = folder + "/" + file;
    if (kind == "json") {
        QJsonObject json = QJsonDocument::fromJson(readFile(path)).object();
        json.insert(key, QJsonDocument::fromJson("[" + value + "]").array().at(0));
        writeFile(path, QJsonDocument(json).toJson());
    } else if (kind == "replace") {
        writeFile(path, readFile(path).replace(key.toUtf8(), value));
    } else if (kind == "remove") {
        QVERIFY(QFile::remove(path));
    } else if (kind == "rename") {
        QVERIFY(QFile::rename(path, QFileInfo(path).path() + "/" + QString::fromUtf8(value)));
    } else {
        writeFile(path, test::rewriteHeader(readFile(path), key.toUtf8(), value));
    }
    auto r = Checkpoint::open(folder.toStdString());
    QVERIFY2(!r.ok(), "a checkpoint with a lying config opened");
    QCOMPARE(r.error().code, code);
    QVERIFY2(QString::fromStdString(r.error().message).contains(message), r.error().message.c_str());
    QVERIFY2(r.error().message.find(folder.toStdString()) != std::string::npos, r.error().message.c_str());
}
