#include "diffusion/stable_diffusion.h"

#include "core/app_paths.h"
#include "diffusion/lora_weights.h"
#include "diffusion/model_hash.h"
#include "diffusion/text_encoder.h"
#include "diffusion/unet.h"
#include "diffusion/vae.h"

#include <filesystem>

namespace atelier::diffusion {

StableDiffusion::StableDiffusion(std::unique_ptr<Checkpoint> checkpoint, ClipTokenizer tokenizer)
    : mCheckpoint(std::move(checkpoint))
    , mName(std::filesystem::path(mCheckpoint->path()).stem().string())
    , mTokenizer(std::move(tokenizer))
    , mSchedule(NoiseSchedule::scaledLinear())
{
    if (mName.empty()) // a diffusers folder given with a trailing slash
        mName = std::filesystem::path(mCheckpoint->path()).parent_path().filename().string();
}

StableDiffusion::~StableDiffusion() = default;

Result<std::unique_ptr<StableDiffusion>> StableDiffusion::load(vk::Device& device, const std::string& path,
                                                               const StableDiffusionOptions& options,
                                                               const std::function<bool(double)>& progress)
{
    const auto report = [&](double fraction) -> Status {
        if (progress && !progress(fraction))
            return makeError(ErrorCode::Cancelled, "loading " + path + " was cancelled");
        return {};
    };
    ATELIER_TRY(report(0.0));
    ATELIER_ASSIGN(std::unique_ptr<Checkpoint> checkpoint, Checkpoint::open(path, options.checkpoint));
    ATELIER_ASSIGN(ClipTokenizer tokenizer, ClipTokenizer::builtIn());
    std::unique_ptr<StableDiffusion> model(new StableDiffusion(std::move(checkpoint), std::move(tokenizer)));
    model->mDevice = &device;
    const Checkpoint& c = *model->mCheckpoint;
    // Rough shares of the weights: text encoder 12%, UNet 80%, VAE 8% (SD 1.5).
    ATELIER_TRY(report(0.02));
    ATELIER_ASSIGN(model->mTextEncoder, TextEncoder::load(device, c, options.precision));
    ATELIER_TRY(report(0.14));
    ATELIER_ASSIGN(model->mUNet, UNet::load(device, c, options.precision));
    ATELIER_TRY(report(0.92));
    ATELIER_ASSIGN(model->mVae, Vae::load(device, c, options.precision));
    ATELIER_TRY(report(1.0));
    return model;
}

uint64_t StableDiffusion::weightBytes() const
{
    return mTextEncoder->weightBytes() + mUNet->weightBytes() + mVae->weightBytes();
}

const std::string& StableDiffusion::modelHash()
{
    if (!mModelHash)
        mModelHash = mCheckpoint->layout() == CheckpointLayout::SingleFile ? diffusion::modelHash(mCheckpoint->path())
                                                                            : std::string();
    return *mModelHash;
}

LoraMerger& StableDiffusion::loras()
{
    if (!mLoras)
        mLoras = std::make_unique<LoraMerger>(*mDevice, mUNet->matrices(), mTextEncoder->matrices(), config().unet);
    return *mLoras;
}

QString StableDiffusion::loraFolder() const { return mLoraFolder.isEmpty() ? paths::lorasDir() : mLoraFolder; }

} // namespace atelier::diffusion
