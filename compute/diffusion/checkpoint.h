#pragma once
// A Stable Diffusion 1.x/2.x checkpoint, whichever layout it comes in, presented uniformly: its
// configuration (checkpoint_config.h) and its tensors under canonical names (checkpoint_names.h),
// optionally with a separate VAE in place of the built-in one.
//
// Layouts: a single .safetensors file with the original CompVis names (what A1111 and ComfyUI
// users download), or a diffusers pipeline folder (model_index.json, unet/, vae/, text_encoder/
// with config.json and safetensors weights, scheduler/; tokenizer/ is read elsewhere).

#include "core/result.h"
#include "diffusion/checkpoint_config.h"
#include "diffusion/checkpoint_tensors.h"

#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::diffusion {

struct CheckpointOptions {
    std::optional<Prediction> prediction;  // overrides every prediction rule (checkpoint_family.cpp)
    std::optional<bool> turbo;             // SD-Turbo or not, overriding the name and metadata hints
    std::string vaePath;                   // a separate VAE (file or diffusers vae folder) to use instead
};

enum class CheckpointLayout { SingleFile, Diffusers };

class Checkpoint {
public:
    // `path`: a .safetensors file or a diffusers pipeline folder. Errors name the file and the
    // problem: unreadable or corrupt files, missing networks or tensors, inconsistent shapes,
    // unsupported models (SDXL, depth, pickled .ckpt).
    static Result<std::unique_ptr<Checkpoint>> open(const std::string& path, const CheckpointOptions& options = {});
    ~Checkpoint();

    const std::string& path() const { return mPath; }
    CheckpointLayout layout() const { return mLayout; }
    const CheckpointConfig& config() const { return mConfig; }
    // The separate VAE in use; empty when the built-in one is.
    const std::string& vaePath() const { return mVaePath; }

    // Uses the VAE at `path` (a single file with `encoder.*`/`decoder.*` or `first_stage_model.*`
    // names in CompVis or diffusers form, or a diffusers vae folder) instead of the current one.
    // Its latent channels must match the UNet's. On error nothing changes.
    Status replaceVae(const std::string& path);

    // Canonical tensors, sorted by name.
    std::span<const CheckpointTensor> tensors() const { return mTensors.all(); }
    const CheckpointTensor* find(std::string_view name) const { return mTensors.find(name); }
    // The tensor `name` with exactly `shape` and a dtype Atelier computes with (F32, F16, BF16);
    // errors name the tensor and say what was expected and what was found.
    Result<const CheckpointTensor*> require(std::string_view name, std::span<const int64_t> shape) const;
    Result<const CheckpointTensor*> require(std::string_view name, std::initializer_list<int64_t> shape) const
    {
        return require(name, std::span<const int64_t>(shape.begin(), shape.size()));
    }
    // ... and of exactly `dtype`.
    Result<const CheckpointTensor*> require(std::string_view name, std::span<const int64_t> shape,
                                            io::SafetensorsDType dtype) const;
    Result<const CheckpointTensor*> require(std::string_view name, std::initializer_list<int64_t> shape,
                                            io::SafetensorsDType dtype) const
    {
        return require(name, std::span<const int64_t>(shape.begin(), shape.size()), dtype);
    }

private:
    Checkpoint();

    std::string mPath;
    CheckpointLayout mLayout = CheckpointLayout::SingleFile;
    std::string mVaePath;
    std::vector<std::unique_ptr<io::SafetensorsFile>> mFiles;  // the mappings the tensors view
    TensorTable mTensors;
    CheckpointConfig mConfig;
};

} // namespace atelier::diffusion
