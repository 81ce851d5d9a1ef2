// Reads single files, diffusers folders and separate VAEs into canonical tensors.

#include "diffusion/checkpoint_layout.h"

#include "diffusion/checkpoint_names.h"
#include "io/gguf_describe.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>

#include <functional>

namespace atelier::diffusion {

namespace {

constexpr qint64 kMaxConfigBytes = 1 << 20;  // a config.json is a few kilobytes

Error formatError(std::string message) { return makeError(ErrorCode::Format, std::move(message)); }

std::string baseName(const std::string& path) { return QFileInfo(QString::fromStdString(path)).fileName().toStdString(); }

std::string childPath(const std::string& folder, const char* name)
{
    return QDir(QString::fromStdString(folder)).filePath(QString::fromUtf8(name)).toStdString();
}

bool isFile(const std::string& path) { return QFileInfo(QString::fromStdString(path)).isFile(); }
bool isFolder(const std::string& path) { return QFileInfo(QString::fromStdString(path)).isDir(); }

// One canonical tensor viewing all of `t` or one of its row blocks.
Status addTensor(TensorTable& table, const io::SafetensorsFile& file, const io::SafetensorsTensor& t,
                 const NameMapping& mapping)
{
    CheckpointTensor out;
    out.name = mapping.canonical;
    out.dtype = t.dtype;
    out.shape = t.shape;
    out.data = t.data;
    out.source = file.path() + ": '" + io::printable(t.name) + "'";
    if (mapping.slices > 1) {
        if (t.shape.empty() || t.shape[0] % mapping.slices != 0 || t.data.size() % size_t(mapping.slices) != 0)
            return formatError(out.source + " has shape " + io::formatShape(t.shape) + ", which does not split into " +
                               std::to_string(mapping.slices) + " equal row blocks (q, k, v)");
        out.shape[0] /= mapping.slices;
        const size_t bytes = t.data.size() / size_t(mapping.slices);
        out.data = t.data.subspan(size_t(mapping.slice) * bytes, bytes);
    }
    if (isVaeAttentionProjection(out.name) && out.shape.size() == 2) {
        out.shape.push_back(1);  // diffusers' Linear [C, C] is CompVis' 1x1 convolution [C, C, 1, 1]
        out.shape.push_back(1);
    }
    table.add(std::move(out));
    return {};
}

std::vector<std::string_view> namesOf(const io::SafetensorsFile& file)
{
    std::vector<std::string_view> names;
    for (const io::SafetensorsTensor& t : file.tensors())
        names.push_back(t.name);
    return names;
}

bool anyStartsWith(const std::vector<std::string_view>& names, std::string_view prefix)
{
    for (std::string_view name : names)
        if (name.starts_with(prefix))
            return true;
    return false;
}

using Translate = std::function<std::optional<std::string>(std::string_view)>;

// Every tensor of `file` renamed by `translate`; one that has no canonical name is an error when
// `strict` (a diffusers UNet or VAE holds nothing else) and skipped otherwise.
Status addAll(TensorTable& table, const io::SafetensorsFile& file, const Translate& translate, bool strict,
              const char* network)
{
    for (const io::SafetensorsTensor& t : file.tensors()) {
        const std::optional<std::string> canonical = translate(t.name);
        if (canonical)
            ATELIER_TRY(addTensor(table, file, t, {*canonical}));
        else if (strict)
            return formatError(file.path() + ": tensor '" + io::printable(t.name) + "' has no place in an SD 1.x/2.x " +
                               network + " (not a Stable Diffusion 1.x/2.x model?)");
    }
    return {};
}

Result<std::unique_ptr<io::SafetensorsFile>> openWeights(const std::string& path)
{
    const QString lower = QString::fromStdString(path).toLower();
    for (const char* pickle : {".ckpt", ".pt", ".pth", ".bin"})
        if (lower.endsWith(QLatin1String(pickle)))
            return makeError(ErrorCode::Unsupported, path + ": pickled PyTorch checkpoints can run code when loaded "
                                                            "and are not read; use the .safetensors version");
    return io::SafetensorsFile::open(path);
}

// The weights file of a diffusers component folder.
Result<std::string> componentWeights(const std::string& folder, std::initializer_list<const char*> stems)
{
    for (const char* stem : stems)
        for (const char* suffix : {".safetensors", ".fp16.safetensors"}) {
            const std::string path = childPath(folder, (std::string(stem) + suffix).c_str());
            if (isFile(path))
                return path;
        }
    const std::string stem = *stems.begin();
    if (isFile(childPath(folder, (stem + ".safetensors.index.json").c_str())))
        return makeError(ErrorCode::Unsupported, folder + ": sharded weights (" + stem +
                                                     ".safetensors.index.json) are not supported");
    if (isFile(childPath(folder, (stem + ".bin").c_str())))
        return makeError(ErrorCode::Unsupported, folder + ": only pickled weights (" + stem +
                                                     ".bin) found; use a folder with .safetensors weights");
    return makeError(ErrorCode::Io, folder + ": no " + stem + ".safetensors");
}

// A config.json; an empty object when absent and `optional`.
Result<QJsonObject> readConfig(const std::string& path, bool optional)
{
    QFile file(QString::fromStdString(path));
    if (!file.exists()) {
        if (optional)
            return QJsonObject();
        return makeError(ErrorCode::Io, "file not found: " + path);
    }
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, "cannot open " + path + ": " + file.errorString().toStdString());
    if (file.size() > kMaxConfigBytes)
        return formatError(path + ": " + std::to_string(file.size()) + " bytes is too big for a config file");
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError)
        return formatError(path + ": not valid JSON: " + error.errorString().toStdString() + " at offset " +
                           std::to_string(error.offset));
    if (!doc.isObject())
        return formatError(path + ": expected a JSON object");
    return doc.object();
}

} // namespace

Result<LayoutRead> readSingleFile(const std::string& path)
{
    LayoutRead read;
    ATELIER_ASSIGN(auto file, openWeights(path));
    const std::vector<std::string_view> names = namesOf(*file);
    if (anyStartsWith(names, "conditioner.embedders."))
        return makeError(ErrorCode::Unsupported, path + ": SDXL checkpoints are not supported yet (SD 1.x and 2.x are)");
    if (!anyStartsWith(names, kUNetPrefix)) {
        const bool vae = anyStartsWith(names, "encoder.") || anyStartsWith(names, "decoder.");
        return formatError(path + ": no Stable Diffusion UNet (no '" + std::string(kUNetPrefix) + "*' tensors)" +
                           (vae ? "; it looks like a separate VAE" : ""));
    }
    const int blocks = openClipResblocks(names);
    for (const io::SafetensorsTensor& t : file->tensors())
        for (const NameMapping& mapping : fromSingleFile(t.name, blocks))
            ATELIER_TRY(addTensor(read.tensors, *file, t, mapping));
    ATELIER_TRY(read.tensors.finish());
    read.hints.openClip = anyStartsWith(names, "cond_stage_model.model.");
    read.hints.metadata = &file->metadata();
    read.hints.name = baseName(path);
    read.files.push_back(std::move(file));
    return read;
}

Result<LayoutRead> readDiffusersFolder(const std::string& folder)
{
    LayoutRead read;
    DiffusersConfigs configs;
    configs.folder = folder;
    const std::string unetFolder = childPath(folder, "unet"), vaeFolder = childPath(folder, "vae"),
                      textFolder = childPath(folder, "text_encoder");
    ATELIER_ASSIGN(const QJsonObject index, readConfig(childPath(folder, "model_index.json"), true));
    const std::string pipeline = index.value(QLatin1String("_class_name")).toString().toStdString();
    if (pipeline.find("XL") != std::string::npos || pipeline.find("StableDiffusion3") != std::string::npos)
        return makeError(ErrorCode::Unsupported, folder + ": " + pipeline + " is not supported yet (SD 1.x and 2.x are)");

    ATELIER_ASSIGN(const std::string unetPath, componentWeights(unetFolder, {"diffusion_pytorch_model"}));
    ATELIER_ASSIGN(auto unet, openWeights(unetPath));
    const std::vector<std::string_view> unetNames = namesOf(*unet);
    const DiffusersUNetNames unetLayout = DiffusersUNetNames::scan(unetNames);
    ATELIER_TRY(addAll(read.tensors, *unet,
                       [&](std::string_view n) { return unetFromDiffusers(n, unetLayout); }, true, "UNet"));
    read.files.push_back(std::move(unet));
    ATELIER_ASSIGN(configs.unet, readConfig(childPath(unetFolder, "config.json"), false));

    if (isFolder(vaeFolder)) {
        ATELIER_ASSIGN(const std::string vaePath, componentWeights(vaeFolder, {"diffusion_pytorch_model"}));
        ATELIER_ASSIGN(auto vae, openWeights(vaePath));
        const int levels = diffusersVaeLevels(namesOf(*vae));
        ATELIER_TRY(addAll(read.tensors, *vae, [&](std::string_view n) { return vaeFromDiffusers(n, levels); }, true,
                           "VAE"));
        read.files.push_back(std::move(vae));
        ATELIER_ASSIGN(configs.vae, readConfig(childPath(vaeFolder, "config.json"), true));
    }

    ATELIER_ASSIGN(const std::string textPath, componentWeights(textFolder, {"model"}));
    ATELIER_ASSIGN(auto text, openWeights(textPath));
    ATELIER_TRY(addAll(read.tensors, *text, textFromDiffusers, false, "text encoder"));
    read.files.push_back(std::move(text));
    ATELIER_ASSIGN(configs.textEncoder, readConfig(childPath(textFolder, "config.json"), true));
    ATELIER_ASSIGN(configs.scheduler, readConfig(childPath(childPath(folder, "scheduler"), "scheduler_config.json"), true));

    ATELIER_TRY(read.tensors.finish());
    read.hints.name = baseName(folder);
    read.diffusers = std::move(configs);
    return read;
}

Result<LayoutRead> readVae(const std::string& path)
{
    LayoutRead read;
    std::string weights = path;
    if (isFolder(path)) {
        const std::string folder = isFolder(childPath(path, "vae")) ? childPath(path, "vae") : path;
        ATELIER_ASSIGN(weights, componentWeights(folder, {"diffusion_pytorch_model", "model"}));
        DiffusersConfigs configs;
        configs.folder = folder;
        ATELIER_ASSIGN(configs.vae, readConfig(childPath(folder, "config.json"), true));
        read.diffusers = std::move(configs);
    }
    ATELIER_ASSIGN(auto file, openWeights(weights));
    const std::vector<std::string_view> names = namesOf(*file);
    if (anyStartsWith(names, kVaePrefix)) {  // a whole checkpoint, or a VAE saved with its prefix
        ATELIER_TRY(addAll(read.tensors, *file, [](std::string_view n) {
            return n.starts_with(kVaePrefix) ? std::optional(std::string(n)) : std::nullopt;
        }, false, "VAE"));
    } else if (anyStartsWith(names, "encoder.down_blocks.")) {
        const int levels = diffusersVaeLevels(names);
        ATELIER_TRY(addAll(read.tensors, *file, [&](std::string_view n) { return vaeFromDiffusers(n, levels); },
                           false, "VAE"));
    } else {
        ATELIER_TRY(addAll(read.tensors, *file, vaeFromBareCompVis, false, "VAE"));
    }
    if (read.tensors.all().empty())
        return formatError(weights + ": no VAE tensors (encoder.*, decoder.* or first_stage_model.*)");
    ATELIER_TRY(read.tensors.finish());
    read.hints.name = baseName(path);
    read.files.push_back(std::move(file));
    return read;
}

} // namespace atelier::diffusion
