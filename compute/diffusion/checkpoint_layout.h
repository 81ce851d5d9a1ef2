#pragma once
// Reading each checkpoint layout into canonical tensors plus what its files say beyond weights.

#include "core/result.h"
#include "diffusion/checkpoint_config.h"
#include "diffusion/checkpoint_tensors.h"
#include "io/safetensors.h"

#include <QJsonObject>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace atelier::diffusion {

// The config.json files of a diffusers folder (empty objects where absent).
struct DiffusersConfigs {
    std::string folder;  // for messages
    QJsonObject unet, vae, textEncoder, scheduler;
};

struct LayoutRead {
    std::vector<std::unique_ptr<io::SafetensorsFile>> files;  // the tensors' data lies in these
    TensorTable tensors;                                      // canonical, finished
    FamilyHints hints;                                        // metadata points into `files`
    std::optional<DiffusersConfigs> diffusers;                // set for diffusers folders
};

// A single .safetensors file with CompVis names (UNet, VAE, CLIP or OpenCLIP; extras dropped).
Result<LayoutRead> readSingleFile(const std::string& path);
// A diffusers pipeline folder.
Result<LayoutRead> readDiffusersFolder(const std::string& folder);
// A separate VAE: a file (CompVis names with or without `first_stage_model.`, or diffusers names)
// or a diffusers vae folder (or a pipeline folder, whose vae/ is used). Only VAE tensors result.
Result<LayoutRead> readVae(const std::string& path);

// Applies what a diffusers folder's UNet and text encoder config.json say (heads, groups,
// activation) and cross-checks it against the shapes; `hints` gets the scheduler's prediction.
Status applyDiffusersConfigs(const DiffusersConfigs& configs, CheckpointConfig& config, FamilyHints& hints);
// The same for a VAE's config.json (groups, scaling factor); `where` names the file in messages.
Status applyVaeConfig(const QJsonObject& json, VaeConfig& vae, const std::string& where);

} // namespace atelier::diffusion
