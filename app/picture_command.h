#pragma once
// What `atelier generate` and `atelier inpaint` share: opening the device and the checkpoint,
// step progress on stderr, and writing the PNG with its parameters.

#include "core/result.h"
#include "diffusion/generation.h"
#include "diffusion/stable_diffusion.h"
#include "vk/device.h"

#include <memory>
#include <string>

namespace atelier::app {

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

} // namespace atelier::app
