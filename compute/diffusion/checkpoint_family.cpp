// The rules for what weights cannot tell: generation, heads and groups of single files, family,
// prediction type and default resolution.
//
// Generation: SD 2.x when the text encoder is OpenCLIP (`cond_stage_model.model.*`) or the UNet's
//   proj_in/proj_out are linear (SD 2.x always, SD 1.x never); otherwise SD 1.x.
// Single files (no config.json): UNet attention heads 8 everywhere for SD 1.x; channels / 64 (at
//   least 1, for tiny test models) for SD 2.x; text encoder heads width / 64 (at least 1) with
//   quick-GELU for SD 1.x and GELU for SD 2.x; GroupNorm groups min(32, base width) in the UNet
//   and the VAE (32 in every real model); VAE scaling factor 0.18215.
// Family: inpainting when the UNet reads 2 x latent + 1 channels; SD-Turbo when asked
//   (CheckpointOptions::turbo) or hinted by "turbo" in the file or folder name or in
//   __metadata__ modelspec.architecture/modelspec.title; only for SD 2.x text-to-image weights.
// Prediction (weights cannot tell epsilon from v), first rule that answers:
//   1. CheckpointOptions::prediction;
//   2. diffusers scheduler/scheduler_config.json `prediction_type` ("epsilon" or "v_prediction");
//   3. __metadata__ `modelspec.prediction_type` or `prediction_type` ("epsilon"/"eps", "v"/"v_prediction");
//   4. SD 1.x, inpainting and SD-Turbo: epsilon;
//   5. SD 2.x: diffusers unet sample_size 96 means v, any other epsilon; a single file is epsilon
//      when its name says "512" or "base" (v2-1_512-ema-pruned, 512-base-ema), else v (the 768-v
//      models are the common SD 2.x downloads).
// Default resolution: __metadata__ `modelspec.resolution` ("64x64"; square, a multiple of 64), else
//   768 for SD 2.x v-prediction, 512 otherwise.

#include "diffusion/checkpoint.h"
#include "diffusion/model_resolution.h"

#include <algorithm>
#include <cctype>

namespace atelier::diffusion {

namespace {

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

const std::string* metadataValue(const FamilyHints& hints, std::string_view key)
{
    if (!hints.metadata)
        return nullptr;
    const auto it = hints.metadata->find(key);
    return it == hints.metadata->end() ? nullptr : &it->second;
}

bool turboHint(const FamilyHints& hints)
{
    if (lower(hints.name).find("turbo") != std::string::npos)
        return true;
    for (const char* key : {"modelspec.architecture", "modelspec.title"})
        if (const std::string* value = metadataValue(hints, key); value && lower(*value).find("turbo") != std::string::npos)
            return true;
    return false;
}

std::optional<Prediction> parsePrediction(std::string_view text)
{
    const std::string v = lower(text);
    if (v == "epsilon" || v == "eps")
        return Prediction::Epsilon;
    if (v == "v" || v == "v_prediction" || v == "v-prediction")
        return Prediction::V;
    return std::nullopt;
}

int atLeastOne(int n) { return std::max(1, n); }

} // namespace

const char* modelFamilyName(ModelFamily family)
{
    switch (family) {
    case ModelFamily::Sd1: return "SD 1.x";
    case ModelFamily::Sd1Inpaint: return "SD 1.x inpainting";
    case ModelFamily::Sd2: return "SD 2.x";
    case ModelFamily::Sd2Inpaint: return "SD 2.x inpainting";
    case ModelFamily::SdTurbo: return "SD-Turbo";
    }
    return "?";
}

int defaultNormGroups(int baseChannels) { return std::min(32, baseChannels); }

const char* predictionName(Prediction prediction) { return prediction == Prediction::V ? "v" : "epsilon"; }

Result<Generation> detectGeneration(const CheckpointConfig& config, const FamilyHints& hints)
{
    if (config.unet.contextDim != config.text.width)
        return makeError(ErrorCode::Format, "the UNet's cross-attention reads " + std::to_string(config.unet.contextDim) +
                                                "-wide text embeddings but the text encoder is " +
                                                std::to_string(config.text.width) + " wide");
    return hints.openClip || config.unet.linearProjection ? Generation::Sd2 : Generation::Sd1;
}

void applySingleFileRules(CheckpointConfig& config)
{
    const bool sd2 = config.generation == Generation::Sd2;
    UNetConfig& unet = config.unet;
    for (int level = 0; level < unet.levels(); ++level)
        unet.heads[size_t(level)] = !unet.attention[size_t(level)] ? 0 : sd2 ? atLeastOne(unet.channels(level) / 64) : 8;
    unet.midHeads = sd2 ? atLeastOne(unet.channels(unet.levels() - 1) / 64) : 8;
    unet.normGroups = defaultNormGroups(unet.modelChannels);
    config.text.heads = atLeastOne(config.text.width / 64);
    config.text.activation = sd2 ? TextActivation::Gelu : TextActivation::QuickGelu;
}

Status resolveFamily(CheckpointConfig& config, const FamilyHints& hints, const CheckpointOptions& options)
{
    const int latent = config.vae.latentChannels;
    const UNetConfig& unet = config.unet;
    if (unet.outChannels != latent || (unet.inChannels != latent && unet.inChannels != 2 * latent + 1))
        return makeError(ErrorCode::Unsupported,
                         "the UNet reads " + std::to_string(unet.inChannels) + " and writes " +
                             std::to_string(unet.outChannels) + " channels with a " + std::to_string(latent) +
                             "-channel VAE: not a text-to-image or inpainting model (depth, upscaler and "
                             "instruct-pix2pix models are not supported)");
    const bool inpaint = unet.inChannels == 2 * latent + 1;
    const bool sd2 = config.generation == Generation::Sd2;
    if (options.turbo.value_or(false) && (!sd2 || inpaint))
        return makeError(ErrorCode::InvalidArgument, "SD-Turbo is an SD 2.1 text-to-image model, but this checkpoint is " +
                                                         std::string(inpaint ? "an inpainting model" : "SD 1.x"));
    const bool turbo = sd2 && !inpaint && options.turbo.value_or(turboHint(hints));
    config.family = turbo ? ModelFamily::SdTurbo
                    : sd2 ? (inpaint ? ModelFamily::Sd2Inpaint : ModelFamily::Sd2)
                          : (inpaint ? ModelFamily::Sd1Inpaint : ModelFamily::Sd1);

    if (options.prediction) {
        config.prediction = *options.prediction;
        config.predictionReason = "option";
    } else if (hints.schedulerPrediction) {
        const std::optional<Prediction> p = parsePrediction(*hints.schedulerPrediction);
        if (!p)
            return makeError(ErrorCode::Unsupported, "scheduler_config.json: prediction_type '" +
                                                         *hints.schedulerPrediction + "' is not supported (epsilon or v_prediction)");
        config.prediction = *p;
        config.predictionReason = "scheduler_config.json";
    } else if (const std::string* text = metadataValue(hints, "modelspec.prediction_type")
                                             ? metadataValue(hints, "modelspec.prediction_type")
                                             : metadataValue(hints, "prediction_type");
               text && parsePrediction(*text)) {
        config.prediction = *parsePrediction(*text);
        config.predictionReason = "__metadata__";
    } else if (!sd2 || inpaint || turbo) {
        config.prediction = Prediction::Epsilon;
        config.predictionReason = std::string(modelFamilyName(config.family)) + " default";
    } else if (hints.sampleSize) {
        config.prediction = *hints.sampleSize == 96 ? Prediction::V : Prediction::Epsilon;
        config.predictionReason = "unet sample_size " + std::to_string(*hints.sampleSize);
    } else {
        const std::string name = lower(hints.name);
        const bool base = name.find("512") != std::string::npos || name.find("base") != std::string::npos;
        config.prediction = base ? Prediction::Epsilon : Prediction::V;
        config.predictionReason = base ? "file name (512/base)" : "SD 2.x single-file default (768-v)";
    }
    config.defaultResolution = sd2 && config.prediction == Prediction::V ? 768 : 512;
    if (const std::string* text = metadataValue(hints, "modelspec.resolution"))
        config.defaultResolution = parseModelspecResolution(*text).value_or(config.defaultResolution);
    return {};
}

Status checkConsistency(const CheckpointConfig& config)
{
    auto fail = [](const std::string& message) { return makeError(ErrorCode::Format, message); };
    const UNetConfig& unet = config.unet;
    for (int level = 0; level < unet.levels(); ++level) {
        const int heads = unet.heads[size_t(level)];
        if (unet.attention[size_t(level)] && (heads < 1 || unet.channels(level) % heads != 0))
            return fail("UNet level " + std::to_string(level) + ": " + std::to_string(unet.channels(level)) +
                        " channels do not split into " + std::to_string(heads) + " attention heads");
    }
    const int deepest = unet.channels(unet.levels() - 1);
    if (unet.midHeads < 1 || deepest % unet.midHeads != 0)
        return fail("UNet middle block: " + std::to_string(deepest) + " channels do not split into " +
                    std::to_string(unet.midHeads) + " attention heads");
    for (int level = 0; level < unet.levels(); ++level)
        if (unet.normGroups < 1 || unet.channels(level) % unet.normGroups != 0)
            return fail("UNet level " + std::to_string(level) + ": " + std::to_string(unet.channels(level)) +
                        " channels do not split into " + std::to_string(unet.normGroups) + " GroupNorm groups");
    const VaeConfig& vae = config.vae;
    for (size_t level = 0; level < vae.channelMult.size(); ++level)
        if (vae.normGroups < 1 || (vae.baseChannels * vae.channelMult[level]) % vae.normGroups != 0)
            return fail("VAE level " + std::to_string(level) + " does not split into " +
                        std::to_string(vae.normGroups) + " GroupNorm groups");
    if (config.text.heads < 1 || config.text.width % config.text.heads != 0)
        return fail("text encoder: width " + std::to_string(config.text.width) + " does not split into " +
                    std::to_string(config.text.heads) + " heads");
    return {};
}

} // namespace atelier::diffusion
