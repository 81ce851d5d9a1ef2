// Checkpoint: opening either layout, deriving the configuration, the separate VAE, and tensor
// access with expected-versus-found errors.

#include "diffusion/checkpoint.h"

#include "diffusion/checkpoint_layout.h"
#include "io/gguf_describe.h"

#include <QFileInfo>

namespace atelier::diffusion {

namespace {

// "<path>: <message>" unless the message already names the path.
Error about(const std::string& path, const Error& error)
{
    if (error.message.find(path) != std::string::npos)
        return error;
    return makeError(error.code, path + ": " + error.message);
}

// The VAE's configuration from its tensors and, for a diffusers VAE, its config.json.
Result<VaeConfig> vaeConfig(const TensorTable& tensors, const QJsonObject* json, const std::string& where)
{
    ATELIER_ASSIGN(VaeConfig vae, deriveVaeConfig(tensors));
    vae.normGroups = defaultNormGroups(vae.baseChannels);
    if (json && !json->isEmpty())
        ATELIER_TRY(applyVaeConfig(*json, vae, where));
    return vae;
}

// A separate VAE read and configured.
struct VaeSource {
    LayoutRead read;
    VaeConfig config;
};

Result<VaeSource> readVaeSource(const std::string& path)
{
    ATELIER_ASSIGN(LayoutRead read, readVae(path));
    const QJsonObject* json = read.diffusers ? &read.diffusers->vae : nullptr;
    auto config = vaeConfig(read.tensors, json, read.diffusers ? read.diffusers->folder + "/config.json" : path);
    if (!config)
        return about(path, config.error());
    return VaeSource{std::move(read), std::move(config).value()};
}

} // namespace

Checkpoint::Checkpoint() = default;
Checkpoint::~Checkpoint() = default;

Result<std::unique_ptr<Checkpoint>> Checkpoint::open(const std::string& path, const CheckpointOptions& options)
{
    std::unique_ptr<Checkpoint> ck(new Checkpoint);
    ck->mPath = path;
    const QFileInfo info(QString::fromStdString(path));
    if (!info.exists())
        return makeError(ErrorCode::Io, "file not found: " + path);
    ck->mLayout = info.isDir() ? CheckpointLayout::Diffusers : CheckpointLayout::SingleFile;
    if (info.isDir() && !QFileInfo(info.filePath() + "/unet").isDir())
        return makeError(ErrorCode::Format, path + ": a folder, but not a diffusers pipeline (it has no unet/ folder)");
    ATELIER_ASSIGN(LayoutRead read, info.isDir() ? readDiffusersFolder(path) : readSingleFile(path));
    ck->mFiles = std::move(read.files);
    ck->mTensors = std::move(read.tensors);
    CheckpointConfig& config = ck->mConfig;

    auto unet = deriveUNetConfig(ck->mTensors);
    if (!unet)
        return about(path, unet.error());
    config.unet = std::move(unet).value();
    auto text = deriveTextEncoderConfig(ck->mTensors);
    if (!text)
        return about(path, text.error());
    config.text = std::move(text).value();

    if (!options.vaePath.empty()) {
        ATELIER_ASSIGN(VaeSource vae, readVaeSource(options.vaePath));
        ck->mTensors.removePrefix(kVaePrefix);
        ck->mTensors.merge(std::move(vae.read.tensors));
        ATELIER_TRY(ck->mTensors.finish());
        for (auto& file : vae.read.files)
            ck->mFiles.push_back(std::move(file));
        config.vae = vae.config;
        ck->mVaePath = options.vaePath;
    } else if (ck->mTensors.hasPrefix(kVaePrefix)) {
        const QJsonObject* json = read.diffusers ? &read.diffusers->vae : nullptr;
        auto vae = vaeConfig(ck->mTensors, json, path + "/vae/config.json");
        if (!vae)
            return about(path, vae.error());
        config.vae = std::move(vae).value();
    } else {
        return makeError(ErrorCode::Format, path + ": the checkpoint has no VAE (no '" + std::string(kVaePrefix) +
                                                "*' tensors and no vae/ folder); open it with a separate VAE");
    }

    auto generation = detectGeneration(config, read.hints);
    if (!generation)
        return about(path, generation.error());
    config.generation = generation.value();
    applySingleFileRules(config);
    if (read.diffusers)
        ATELIER_TRY(applyDiffusersConfigs(*read.diffusers, config, read.hints));
    if (Status s = resolveFamily(config, read.hints, options); !s)
        return about(path, s.error());
    if (Status s = checkConsistency(config); !s)
        return about(path, s.error());
    return ck;
}

Status Checkpoint::replaceVae(const std::string& path)
{
    ATELIER_ASSIGN(VaeSource vae, readVaeSource(path));
    if (vae.config.latentChannels != mConfig.unet.outChannels)
        return makeError(ErrorCode::InvalidArgument, path + ": the VAE has " + std::to_string(vae.config.latentChannels) +
                                                         " latent channels but the UNet works on " +
                                                         std::to_string(mConfig.unet.outChannels));
    CheckpointConfig next = mConfig;
    next.vae = vae.config;
    if (Status s = checkConsistency(next); !s)
        return about(path, s.error());
    TensorTable tensors;
    for (const CheckpointTensor& t : mTensors.all())
        if (!std::string_view(t.name).starts_with(kVaePrefix))
            tensors.add(t);
    tensors.merge(std::move(vae.read.tensors));
    ATELIER_TRY(tensors.finish());
    mTensors = std::move(tensors);
    for (auto& file : vae.read.files)
        mFiles.push_back(std::move(file));
    mConfig = std::move(next);
    mVaePath = path;
    return {};
}

Result<const CheckpointTensor*> Checkpoint::require(std::string_view name, std::span<const int64_t> shape) const
{
    const CheckpointTensor* t = find(name);
    if (!t)
        return makeError(ErrorCode::Format, mPath + ": tensor '" + io::printable(name) + "' is missing");
    if (!io::computeDType(t->dtype))
        return makeError(ErrorCode::Format, "tensor '" + io::printable(name) + "' (" + t->source + ") has dtype " +
                                                io::safetensorsDTypeName(t->dtype) +
                                                ", which Atelier cannot use (it computes with F32, F16 and BF16)");
    if (!std::equal(shape.begin(), shape.end(), t->shape.begin(), t->shape.end()))
        return makeError(ErrorCode::Format, "tensor '" + io::printable(name) + "': expected shape " +
                                                io::formatShape(shape) + ", found " + io::formatShape(t->shape) +
                                                " (" + t->source + ")");
    return t;
}

Result<const CheckpointTensor*> Checkpoint::require(std::string_view name, std::span<const int64_t> shape,
                                                    io::SafetensorsDType dtype) const
{
    ATELIER_ASSIGN(const CheckpointTensor* t, require(name, shape));
    if (t->dtype != dtype)
        return makeError(ErrorCode::Format, "tensor '" + io::printable(name) + "': expected dtype " +
                                                io::safetensorsDTypeName(dtype) + ", found " +
                                                io::safetensorsDTypeName(t->dtype) + " (" + t->source + ")");
    return t;
}

} // namespace atelier::diffusion
