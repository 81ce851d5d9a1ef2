#pragma once
// txt2img and img2img with a loaded StableDiffusion: prompts to conditioning, a seeded starting
// latent, a sampler walking it down the noise levels with classifier-free guidance, and the VAE
// decode, reporting every step with a cheap preview and stopping between steps when asked.
//
//   prompt, negative --tokenizer, chunks--> text encoder --> cond, uncond [chunks * 77, width]
//   seed --> noise [4, h/8, w/8] --(img2img: + VAE-encoded init image)--> starting latent
//   sampler: per step D(x, sigma) = UNet([uncond; cond] batch of 2) mixed by the CFG scale
//   final latent --> VAE decode --> RGB8 [h, w, 3] + the A1111 parameters that made it

#include "core/result.h"
#include "diffusion/generation_parameters.h"
#include "diffusion/regions.h"
#include "diffusion/sampling/latent.h"
#include "diffusion/sampling/sampler_names.h"
#include "diffusion/vae.h"

#include <QString>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace atelier::diffusion {

class StableDiffusion;

struct GenerationRequest {
    QString prompt;
    QString negativePrompt;
    int width = 512;                 // pixels, multiples of 8 (the VAE's downscale)
    int height = 512;
    int steps = 20;
    double cfgScale = 7.0;           // 1 turns guidance off (one UNet pass per step)
    SamplerChoice sampler{SamplerKind::EulerAncestral, ScheduleKind::Automatic};
    uint64_t seed = 0;
    int clipSkip = 1;                // A1111's "Clip skip"
    // img2img: the init picture as RGB [height, width, 3] in [-1, 1]; empty for txt2img.
    std::vector<float> initImage;
    double strength = 0.75;          // img2img denoising strength in (0, 1]
    std::vector<Region> regions;     // regional prompts over `prompt` (regions.h); none: the whole picture
    bool autoTiling = true;          // tile the VAE when the picture would not fit otherwise
    VaeTiling tiling;                // used as given when autoTiling is off
};

// A step's report: preview is the step's x0 estimate as RGB8 [previewHeight, previewWidth, 3]
// (preview_steps.h): decoded by the VAE at the picture's size on the steps the time allows,
// otherwise through a latent-to-RGB map at latent size or as a change to the last decoded picture.
struct GenerationStep {
    int step = 0;   // 0-based
    int steps = 0;
    const std::vector<uint8_t>& preview;
    int previewWidth = 0;
    int previewHeight = 0;
    bool previewDecoded = false;  // this step's preview went through the VAE
};

struct GenerationCallbacks {
    std::function<void(const GenerationStep&)> onStep;  // on the compute thread
    const std::atomic<bool>* cancel = nullptr;          // polled before every UNet evaluation
    // The most that VAE-decoded step previews may add to the run (0.15: 15%), which also fits the
    // preview map to the model's VAE on first use (preview_fit.h); 0 for callers that do not show
    // previews: the map as it stands (published, or fitted by an earlier run), no VAE work.
    double previewDecodeShare = 0;
};

struct GenerationTimings {
    double textSeconds = 0;
    double samplingSeconds = 0;   // every UNet evaluation and sampler step
    double decodeSeconds = 0;     // the VAE (and, for img2img, the encode)
    double previewSeconds = 0;    // the VAE decoding step previews (previewDecodeShare)
    int unetEvaluations = 0;      // UNet passes (a CFG pass counts once, with its batch of two)
};

struct GeneratedImage {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> rgb;          // [height, width, 3]
    Latent latent;                     // the final latent, [4, height/8, width/8]
    GenerationParameters parameters;   // what A1111 would write for this picture
    GenerationTimings timings;
};

// The whole run. Errors: InvalidArgument for a request the model cannot take (sizes, steps,
// strength, an init image of the wrong size), Cancelled when `cancel` was set, device errors as they
// come (out of device memory at this size, device lost).
Result<GeneratedImage> generate(StableDiffusion& model, const GenerationRequest& request,
                                const GenerationCallbacks& callbacks = {});

// --- the stages, for tests and for the inpaint pipeline

// Text-encoder outputs for the prompt and the negative prompt, padded to the same number of chunks
// as A1111 does; each [chunks * 77, width]. With regions, one such pair per context (the prompt's,
// then each region's with its own negative prompt or the picture's), all padded alike:
// [contexts, chunks * 77, width].
struct Conditioning {
    std::vector<float> cond;
    std::vector<float> uncond;
    int tokens = 0;                // chunks * 77
    int contexts = 1;
};
Result<Conditioning> encodePrompts(StableDiffusion& model, const QString& prompt, const QString& negativePrompt,
                                   int clipSkip, std::span<const Region> regions = {});

struct SamplingRequest {
    int latentWidth = 0;
    int latentHeight = 0;
    int steps = 20;
    double cfgScale = 7.0;
    SamplerChoice sampler;
    uint64_t seed = 0;
    Latent encoded;                // img2img: the init picture's latent; empty for txt2img
    double strength = 1.0;
    // Inpainting (inpaint.h); empty otherwise. UNet input channels after the latent's, appended at
    // every evaluation: a 9-channel model's mask and masked-picture latent [inChannels - 4, h, w].
    Latent extraChannels;
    // Regional prompts: the weight of each of the conditioning's contexts per pixel at every UNet level.
    RegionWeights regions;
    // Applied to every denoiser output (the x0 estimate at sigma): a regular model's mask blending.
    std::function<void(Latent& denoised, double sigma)> blendDenoised;
};
// Samples a latent from seeded noise; the UNet runs [uncond; cond] as one batch when guided.
Result<Latent> sampleLatent(StableDiffusion& model, const Conditioning& conditioning, const SamplingRequest& request,
                            const GenerationCallbacks& callbacks, GenerationTimings* timings = nullptr);

// What A1111 would write for a txt2img or img2img request on this model.
GenerationParameters describeGeneration(StableDiffusion& model, const GenerationRequest& request);
// What the request alone tells of it, before a model is loaded: describeGeneration() without the
// model's hash and name and the version; the strength where the run starts from a picture
// (`fromPicture`: its pixels may be held elsewhere than in request.initImage).
GenerationParameters describeRequest(const GenerationRequest& request, bool fromPicture, const QString& loraHashes = {});

// [-1, 1] floats (any layout) to bytes: round(255 * clamp((x + 1) / 2, 0, 1)).
std::vector<uint8_t> toBytes(const std::vector<float>& image);

} // namespace atelier::diffusion
