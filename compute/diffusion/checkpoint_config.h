#pragma once
// What a Stable Diffusion checkpoint is: its family, what its UNet predicts, and the configuration
// of its three networks. Shapes of the canonical tensors give most of it (so tiny test models work
// like real ones); what shapes cannot tell comes from a diffusers config.json or, for single files,
// from the rules in checkpoint_family.cpp.

#include "core/result.h"
#include "diffusion/sampling/model_denoiser.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace atelier::diffusion {

class TensorTable;

// SD 1.x uses OpenAI's CLIP ViT-L/14 text encoder (768 wide); SD 2.x OpenCLIP ViT-H/14 (1024 wide).
enum class Generation { Sd1, Sd2 };

enum class ModelFamily {
    Sd1,         // SD 1.x text-to-image
    Sd1Inpaint,  // SD 1.x inpainting: 9 UNet input channels (latent, mask, masked-image latent)
    Sd2,         // SD 2.x: 512 base (epsilon) or 768 (v-prediction)
    Sd2Inpaint,
    SdTurbo,     // SD-Turbo: SD 2.1 distilled for 1-4 steps without guidance, 512, epsilon
};
const char* modelFamilyName(ModelFamily family);  // "SD 1.x inpainting"

// Prediction (epsilon or v) is the samplers' enum (sampling/model_denoiser.h).
const char* predictionName(Prediction prediction);  // "epsilon", "v"

enum class TextActivation { QuickGelu, Gelu };  // x * sigmoid(1.702 x) (CLIP) / erf GELU (OpenCLIP)

struct UNetConfig {
    int inChannels = 4;              // latent channels; 2 x latent + 1 for inpainting
    int outChannels = 4;
    int modelChannels = 320;         // width of level 0 (conv_in output)
    std::vector<int> channelMult;    // level widths in units of modelChannels: {1, 2, 4, 4}
    int resBlocks = 2;               // res blocks per level going down; going up: resBlocks + 1
    std::vector<bool> attention;     // per level: blocks carry a spatial transformer ({1, 1, 1, 0})
    std::vector<int> heads;          // per level: attention heads (0 where no attention)
    int midHeads = 8;                // heads of the middle block's transformer
    int transformerDepth = 1;        // transformer blocks per spatial transformer
    int contextDim = 768;            // width of the text embeddings that cross-attention reads
    bool linearProjection = false;   // proj_in/proj_out Linear [C, C] (SD 2.x) or 1x1 conv [C, C, 1, 1]
    int timeEmbedDim = 1280;         // time_embed width (4 x modelChannels in SD)
    int normGroups = 32;             // GroupNorm groups, everywhere in the UNet

    int levels() const { return int(channelMult.size()); }
    int channels(int level) const { return modelChannels * channelMult[size_t(level)]; }
    bool operator==(const UNetConfig&) const = default;
};

struct VaeConfig {
    int imageChannels = 3;
    int latentChannels = 4;          // z; the encoder emits 2 x z (mean and log-variance)
    int baseChannels = 128;
    std::vector<int> channelMult;    // {1, 2, 4, 4}
    int resBlocks = 2;               // per encoder level; decoder levels hold resBlocks + 1
    int normGroups = 32;
    float scalingFactor = 0.18215f;  // UNet latents = scalingFactor x VAE latents

    int downscale() const { return 1 << (channelMult.size() - 1); }  // image pixels per latent: 8
    bool operator==(const VaeConfig&) const = default;
};

struct TextEncoderConfig {
    int vocabSize = 49408;
    int maxPositions = 77;
    int width = 768;
    int layers = 12;                 // layers the encoder runs (SD 2.x: 23 of OpenCLIP's 24)
    int heads = 12;
    int intermediate = 3072;         // MLP hidden width
    TextActivation activation = TextActivation::QuickGelu;
    float layerNormEps = 1e-5f;

    bool operator==(const TextEncoderConfig&) const = default;
};

struct CheckpointConfig {
    Generation generation = Generation::Sd1;
    ModelFamily family = ModelFamily::Sd1;
    Prediction prediction = Prediction::Epsilon;
    std::string predictionReason;    // which rule decided: "scheduler_config.json", "option", ...
    int defaultResolution = 512;     // pixels per side the model was trained at
    UNetConfig unet;
    VaeConfig vae;
    TextEncoderConfig text;
};

// Shape derivation over canonical tensors. Head counts, group counts and the activation are set
// by the single-file rules (applySingleFileRules) or a diffusers config.json afterwards.
Result<UNetConfig> deriveUNetConfig(const TensorTable& tensors);
Result<VaeConfig> deriveVaeConfig(const TensorTable& tensors);
Result<TextEncoderConfig> deriveTextEncoderConfig(const TensorTable& tensors);

// What decides family and prediction besides the weights.
struct FamilyHints {
    bool openClip = false;                             // single file with cond_stage_model.model.*
    std::optional<std::string> schedulerPrediction;    // diffusers scheduler prediction_type
    std::optional<int> sampleSize;                     // diffusers unet sample_size (latent pixels)
    const std::map<std::string, std::string, std::less<>>* metadata = nullptr;  // single file's __metadata__
    std::string name;                                  // file or folder name, for name hints
};

struct CheckpointOptions;

// The generation from the weights: SD 2.x when the text encoder is OpenCLIP or the UNet projects
// linearly; the UNet's context width must match the text encoder's.
Result<Generation> detectGeneration(const CheckpointConfig& config, const FamilyHints& hints);
// Rules for what single files cannot say about the UNet and text encoder (checkpoint_family.cpp).
void applySingleFileRules(CheckpointConfig& config);
// GroupNorm groups of a network without a config: 32 (every real model), fewer for tiny widths.
int defaultNormGroups(int baseChannels);
// Family, prediction and default resolution, by the documented precedence.
Status resolveFamily(CheckpointConfig& config, const FamilyHints& hints, const CheckpointOptions& options);
// Cross-checks of the three configurations (latent channels, widths, head divisibility).
Status checkConsistency(const CheckpointConfig& config);

} // namespace atelier::diffusion
