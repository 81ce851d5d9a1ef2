#pragma once
// A Stable Diffusion checkpoint loaded for generation: its three networks on the device (text
// encoder, UNet, VAE), the CLIP tokenizer and the training noise schedule. One lives on the compute
// worker as a resident (engine/residents.h); generation.h runs it.

#include "core/result.h"
#include "diffusion/checkpoint.h"
#include "diffusion/clip_tokenizer.h"
#include "diffusion/network_weights.h"
#include "diffusion/preview_fit.h"
#include "diffusion/sampling/noise_schedule.h"

#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace atelier::vk {
class Device;
}

namespace atelier::diffusion {

class LoraMerger;
class TextEncoder;
class UNet;
class Vae;

struct StableDiffusionOptions {
    CheckpointOptions checkpoint;                      // prediction / turbo overrides, separate VAE
    WeightPrecision precision = WeightPrecision::F16;
};

class StableDiffusion {
public:
    // progress(fraction) returns false to cancel (ErrorCode::Cancelled). Errors name the file and
    // what is wrong with it; nothing stays allocated after a failure.
    static Result<std::unique_ptr<StableDiffusion>> load(vk::Device& device, const std::string& path,
                                                        const StableDiffusionOptions& options = {},
                                                        const std::function<bool(double)>& progress = {});
    ~StableDiffusion();

    const Checkpoint& checkpoint() const { return *mCheckpoint; }
    const CheckpointConfig& config() const { return mCheckpoint->config(); }
    // The name A1111 writes as "Model:": the file (or folder) name without its extension.
    const std::string& name() const { return mName; }
    TextEncoder& textEncoder() { return *mTextEncoder; }
    UNet& unet() { return *mUNet; }
    Vae& vae() { return *mVae; }
    vk::Device& device() { return *mDevice; }  // the device the networks live on (for ops around them)
    const ClipTokenizer& tokenizer() const { return mTokenizer; }
    const NoiseSchedule& schedule() const { return mSchedule; }
    uint64_t weightBytes() const;
    // A1111's "Model hash" (AutoV2, model_hash.h), looked up on first use; empty for a diffusers folder.
    const std::string& modelHash();
    // The LoRAs merged into the UNet and text encoder (lora_weights.h), made on first use.
    LoraMerger& loras();
    // Where a prompt's <lora:NAME:WEIGHT> looks for NAME.safetensors; paths::lorasDir() unless set.
    QString loraFolder() const;
    void setLoraFolder(const QString& folder) { mLoraFolder = folder; }
    // The per-step preview's latent-to-RGB map, fitted to this model's VAE on first use (preview_fit.h).
    PreviewCalibration& preview() { return mPreview; }

private:
    StableDiffusion(std::unique_ptr<Checkpoint> checkpoint, ClipTokenizer tokenizer);

    std::unique_ptr<Checkpoint> mCheckpoint;
    vk::Device* mDevice = nullptr;
    std::string mName;
    std::optional<std::string> mModelHash;
    ClipTokenizer mTokenizer;
    NoiseSchedule mSchedule;
    std::unique_ptr<TextEncoder> mTextEncoder;
    std::unique_ptr<UNet> mUNet;
    std::unique_ptr<Vae> mVae;
    std::unique_ptr<LoraMerger> mLoras;  // after the networks: it views their weights
    QString mLoraFolder;
    PreviewCalibration mPreview;
};

} // namespace atelier::diffusion
