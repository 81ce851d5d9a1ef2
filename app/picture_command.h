#pragma once
// What `atelier generate` and `atelier inpaint` share: their common options, checked before anything
// loads, opening the device and the checkpoint, step progress on stderr, and writing the PNG with its
// parameters.

#include "core/result.h"
#include "diffusion/generation.h"
#include "diffusion/stable_diffusion.h"
#include "vk/device.h"

#include <QString>

#include <memory>
#include <string>

namespace atelier::app {

// The largest picture side the diffusion pipeline paints.
inline constexpr int kMaxPictureSide = 4096;

// The options both commands take, as given (the request's own fields are filled directly).
struct PictureOptions {
    std::string model, vae, output;
    std::string sampler = "Euler a", scheduler;
    long long seed = -1; // -1: a random one
    bool f32 = false;
    bool hasPrompt = false;
};

// Reads `key` when it is one of the shared options: true when it was, false when it is the command's
// own. Errors name the option and its value: a bad number, steps outside 1-1000, a CFG scale outside
// 0-100, a strength outside (0, 1], clip skip under 1, a seed under -1, a precision not f16 or f32.
Result<bool> readPictureOption(const std::string& key, const QString& value, PictureOptions& o,
                               diffusion::GenerationRequest& request);

// Reads `key` when it is a regional-prompt option, true then: --region X0,Y0,X1,Y1:PROMPT and
// --layout FILE.json (regions.h's formats, both repeatable) add to request.regions.
Result<bool> readRegionOption(const std::string& key, const QString& value, diffusion::GenerationRequest& request);

// After the options: -o and --prompt given, the sampler and schedule named, the seed drawn when
// random, the default model when none was named.
Status finishPictureOptions(PictureOptions& o, diffusion::GenerationRequest& request);

// The checkpoint's configuration from its headers, before any weight loads: what a request's sizes
// are checked against. Errors as openPictureModel's.
Result<diffusion::CheckpointConfig> readPictureModelConfig(const PictureOptions& o);

// Pixels a picture's sides are multiples of for this model: the VAE's downscale times the UNet's.
int pictureScale(const diffusion::CheckpointConfig& config);

// --clip-skip against the text encoder's layers.
Status checkClipSkip(const diffusion::CheckpointConfig& config, int clipSkip);

// The device and a checkpoint loaded on it (the model goes before the device it lives on).
struct PictureModel {
    std::unique_ptr<vk::Device> device;
    std::unique_ptr<diffusion::StableDiffusion> model;
};

// `vae`: a separate VAE or empty; `f32`: weights as stored instead of f16. Says "loading PATH" on stderr.
Result<PictureModel> openPictureModel(const std::string& path, const std::string& vae, bool f32, int deviceIndex,
                                      bool validation);

// "step n/m" on stderr after every step.
diffusion::GenerationCallbacks stepsOnStderr();

// The PNG with A1111's `parameters` and Atelier's JSON, written atomically at `output` (its folder
// made when missing).
Status writePicture(const std::string& output, const diffusion::GenerationRequest& request,
                    const diffusion::GeneratedImage& image);

// The written picture's path, alone on stdout (what a script reads; everything else goes to stderr).
void printPicturePath(const std::string& output);

} // namespace atelier::app
