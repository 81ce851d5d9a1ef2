#include "diffusion/generation.h"

#include "diffusion/lora_weights.h"
#include "core/elapsed.h"
#include "core/logging.h"
#include "diffusion/preview_steps.h"
#include "diffusion/prompt_chunks.h"
#include "diffusion/sampling/gaussian_noise.h"
#include "diffusion/sampling/model_denoiser.h"
#include "diffusion/sampling/sampler.h"
#include "diffusion/sampling/sigma_schedule.h"
#include "diffusion/stable_diffusion.h"
#include "diffusion/text_encoder.h"
#include "diffusion/unet.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

namespace atelier::diffusion {

namespace {

using Clock = std::chrono::steady_clock;


Status checkCancel(const GenerationCallbacks& callbacks)
{
    if (callbacks.cancel && callbacks.cancel->load())
        return makeError(ErrorCode::Cancelled, "the generation was cancelled");
    return {};
}

Status checkRequest(const StableDiffusion& model, const GenerationRequest& r)
{
    const int scale = model.config().vae.downscale() << (model.config().unet.levels() - 1);
    if (r.width < scale || r.height < scale || r.width % scale || r.height % scale)
        return makeError(ErrorCode::InvalidArgument,
                         "the size must be a multiple of " + std::to_string(scale) + " pixels for this model, not " +
                             std::to_string(r.width) + "x" + std::to_string(r.height));
    if (r.width > 4096 || r.height > 4096)
        return makeError(ErrorCode::InvalidArgument, "pictures larger than 4096 pixels on a side are not supported");
    if (r.steps < 1 || r.steps > 1000)
        return makeError(ErrorCode::InvalidArgument, "steps must be between 1 and 1000");
    if (!(r.cfgScale >= 0 && r.cfgScale <= 100))
        return makeError(ErrorCode::InvalidArgument, "the CFG scale must be between 0 and 100");
    if (r.clipSkip < 1 || r.clipSkip > model.config().text.layers)
        return makeError(ErrorCode::InvalidArgument, "clip skip must be between 1 and the text encoder's " +
                                                         std::to_string(model.config().text.layers) + " layers");
    if (!r.initImage.empty()) {
        if (r.initImage.size() != size_t(r.width) * size_t(r.height) * 3)
            return makeError(ErrorCode::InvalidArgument, "the init picture must be " + std::to_string(r.width) + "x" +
                                                             std::to_string(r.height) + " RGB");
        if (!(r.strength > 0 && r.strength <= 1))
            return makeError(ErrorCode::InvalidArgument, "the denoising strength must be in (0, 1]");
    }
    return checkRegions(r.regions, r.width, r.height);
}

// Every prompt of a batch needs as many chunks (A1111 pads the shorter with empty ones).
void padChunks(std::vector<PromptChunk>& chunks, size_t count, const ChunkOptions& options)
{
    while (chunks.size() < count)
        chunks.push_back(emptyPromptChunk(options));
}

} // namespace

GenerationParameters describeRequest(const GenerationRequest& r, bool fromPicture, const QString& loraHashes)
{
    GenerationParameters p;
    p.prompt = r.prompt;
    p.negativePrompt = r.negativePrompt;
    p.steps = r.steps;
    const A1111SamplerFields sampler = formatA1111Sampler(r.sampler);
    p.sampler = QString::fromStdString(sampler.sampler);
    p.scheduleType = QString::fromStdString(sampler.scheduleType);
    p.cfgScale = r.cfgScale;
    p.seed = r.seed;
    p.width = r.width;
    p.height = r.height;
    if (fromPicture)
        p.denoisingStrength = r.strength;
    p.clipSkip = r.clipSkip;
    setLoraHashes(p, loraHashes);
    if (!r.regions.empty()) // Atelier's own extra: the layout as JSON, which A1111 keeps as a quoted value
        p.extras.append({QStringLiteral("Regions"), QString::fromUtf8(layoutJson(r.regions))});
    return p;
}

GenerationParameters describeGeneration(StableDiffusion& model, const GenerationRequest& r)
{
    GenerationParameters p = describeRequest(r, !r.initImage.empty(), loraHashesText(model.loras().applied()));
    p.modelHash = QString::fromStdString(model.modelHash());
    p.model = QString::fromStdString(model.name());
    p.version = QStringLiteral("Atelier " ATELIER_VERSION);
    return p;
}

Result<Conditioning> encodePrompts(StableDiffusion& model, const QString& prompt, const QString& negativePrompt,
                                   int clipSkip, std::span<const Region> regions)
{
    ChunkOptions options;
    if (model.config().generation == Generation::Sd2)
        options.padId = kOpenClipPad;
    // <lora:NAME:WEIGHT> tags merge their LoRAs into the weights and are not read as text.
    const PromptLoras loras = extractLoraTags(prompt);
    ATELIER_TRY(applyPromptLoras(model, loras.loras, model.loraFolder()));
    // Context by context: (cond, uncond) for the prompt, then for each region.
    std::vector<ChunkedPrompt> prompts{chunkPrompt(model.tokenizer(), loras.prompt, options),
                                       chunkPrompt(model.tokenizer(), negativePrompt, options)};
    for (const Region& region : regions) {
        prompts.push_back(chunkPrompt(model.tokenizer(), extractLoraTags(region.prompt).prompt, options));
        prompts.push_back(chunkPrompt(model.tokenizer(),
                                      region.negativePrompt.isEmpty() ? negativePrompt : region.negativePrompt, options));
    }
    size_t chunks = 0;
    for (const ChunkedPrompt& p : prompts)
        chunks = std::max(chunks, p.chunks.size());
    Conditioning c;
    c.contexts = 1 + int(regions.size());
    c.tokens = int(chunks) * kChunkTokens;
    for (ChunkedPrompt& p : prompts)
        padChunks(p.chunks, chunks, options);
    // Every context's prompt and negative prompt in one batch of the text encoder.
    ATELIER_ASSIGN(const std::vector<std::vector<float>> encoded, model.textEncoder().condition(prompts, clipSkip));
    for (size_t i = 0; i < prompts.size(); ++i) {
        std::vector<float>& into = i % 2 == 0 ? c.cond : c.uncond;
        into.insert(into.end(), encoded[i].begin(), encoded[i].end());
    }
    return c;
}

Result<Latent> sampleLatent(StableDiffusion& model, const Conditioning& conditioning, const SamplingRequest& r,
                            const GenerationCallbacks& callbacks, GenerationTimings* timings)
{
    const CheckpointConfig& config = model.config();
    const int channels = config.vae.latentChannels;
    const size_t latentSize = size_t(channels) * size_t(r.latentWidth) * size_t(r.latentHeight);
    if (!r.encoded.empty() && r.encoded.size() != latentSize)
        return makeError(ErrorCode::InvalidArgument, "the init latent has the wrong size");
    const size_t plane = size_t(r.latentWidth) * size_t(r.latentHeight);
    if (size_t(config.unet.inChannels) * plane != latentSize + r.extraChannels.size()) {
        if (r.extraChannels.empty())
            return makeError(ErrorCode::Unsupported, "an inpainting model needs a mask: use the Inpaint workspace");
        return makeError(ErrorCode::InvalidArgument, "the extra UNet input channels do not match the model");
    }

    const NoiseSchedule& schedule = model.schedule();
    ATELIER_ASSIGN(const SamplingPlan plan, planSampling(schedule, r.sampler.sampler, r.sampler.schedule, r.steps,
                                                         r.encoded.empty() ? 1.0 : r.strength));
    GaussianNoise noise(r.seed);
    const std::vector<float> initialNoise = noise.draw(latentSize);
    const std::unique_ptr<Sampler> sampler = makeSampler(r.sampler.sampler, schedule, noise);
    ATELIER_ASSIGN(Latent x, startingLatent(*sampler, plan.sigmas.front(), initialNoise, r.encoded));

    const int width = config.unet.contextDim;
    const size_t slotSize = size_t(conditioning.tokens) * size_t(width);
    const size_t contextSize = size_t(conditioning.contexts) * slotSize;
    if (conditioning.cond.size() != contextSize || conditioning.uncond.size() != contextSize)
        return makeError(ErrorCode::InvalidArgument, "the conditioning does not match the UNet's context width");
    const bool regional = conditioning.contexts > 1;
    if (regional && r.regions.contexts != conditioning.contexts)
        return makeError(ErrorCode::InvalidArgument, "the region weights do not match the conditioning's regions");
    const RegionWeights* regions = regional ? &r.regions : nullptr;
    // The UNet's batch of two, context by context: [contexts, (uncond, cond), tokens, width].
    std::vector<float> both;
    both.reserve(2 * contextSize);
    for (int i = 0; i < conditioning.contexts; ++i)
        for (const std::vector<float>* half : {&conditioning.uncond, &conditioning.cond})
            both.insert(both.end(), half->begin() + std::ptrdiff_t(size_t(i) * slotSize),
                        half->begin() + std::ptrdiff_t(size_t(i + 1) * slotSize));

    int evaluations = 0;
    ModelFunction unet = [&](const Latent& input, double timestep, bool withUncond) -> Result<ModelPrediction> {
        ATELIER_TRY(checkCancel(callbacks));
        ++evaluations;
        ModelPrediction prediction;
        Latent item(input);
        item.insert(item.end(), r.extraChannels.begin(), r.extraChannels.end());
        if (!withUncond) {
            ATELIER_ASSIGN(prediction.cond, model.unet().predict(item, 1, r.latentHeight, r.latentWidth, timestep,
                                                                 conditioning.cond, conditioning.tokens, regions));
            return prediction;
        }
        Latent batch(item);
        batch.insert(batch.end(), item.begin(), item.end());
        ATELIER_ASSIGN(Latent out, model.unet().predict(batch, 2, r.latentHeight, r.latentWidth, timestep, both,
                                                        conditioning.tokens, regions));
        prediction.uncond.assign(out.begin(), out.begin() + std::ptrdiff_t(latentSize));
        prediction.cond.assign(out.begin() + std::ptrdiff_t(latentSize), out.end());
        return prediction;
    };
    const ModelDenoiser denoiser(schedule, config.prediction, r.cfgScale, unet);
    // With a decode share the preview map is fitted to the model's VAE before the first step (preview_steps.h).
    std::optional<StepPreviewer> previewer;
    if (callbacks.onStep)
        previewer.emplace(model, r.latentWidth, r.latentHeight, int(plan.sigmas.size()) - 1,
                          callbacks.previewDecodeShare);
    const auto start = Clock::now();
    const StepCallback onStep = [&](const StepProgress& p) {
        const bool cancelled = callbacks.cancel && callbacks.cancel->load();
        if (callbacks.onStep && !cancelled) {
            const double sampling = secondsSince(start) - previewer->decodeSeconds();
            const StepPreview& preview = previewer->preview(p.denoised, p.step, sampling);
            callbacks.onStep(GenerationStep{p.step, p.steps, preview.rgb, preview.width, preview.height, preview.decoded});
        }
        return !(callbacks.cancel && callbacks.cancel->load());
    };
    Denoise denoise = std::cref(denoiser);
    if (r.blendDenoised)
        denoise = [&](const Latent& input, double sigma) -> Result<Latent> {
            ATELIER_ASSIGN(Latent denoised, denoiser(input, sigma));
            r.blendDenoised(denoised, sigma);
            return denoised;
        };
    auto sampled = sampler->sample(std::move(x), plan.sigmas, denoise, onStep);
    if (timings) {
        const double previews = previewer ? previewer->decodeSeconds() : 0.0;
        timings->samplingSeconds += secondsSince(start) - previews;
        timings->previewSeconds += previews;
        timings->unetEvaluations += evaluations;
    }
    return sampled;
}

Result<GeneratedImage> generate(StableDiffusion& model, const GenerationRequest& r, const GenerationCallbacks& callbacks)
{
    ATELIER_TRY(checkRequest(model, r));
    const VaeConfig& vae = model.config().vae;
    const int latentWidth = r.width / vae.downscale();
    const int latentHeight = r.height / vae.downscale();
    // Tiles where the VAE would not fit otherwise; the UNet's activations go first when that helps.
    const auto tilingNow = [&] {
        VaeTiling tiling = r.tiling;
        if (r.autoTiling) {
            if (model.vae().needsTiling(latentHeight, latentWidth))
                model.unet().releaseRunState();
            tiling.enabled = model.vae().needsTiling(latentHeight, latentWidth);
        }
        return tiling;
    };

    GeneratedImage image;
    auto start = Clock::now();
    ATELIER_TRY(checkCancel(callbacks));
    ATELIER_ASSIGN(const Conditioning conditioning,
                   encodePrompts(model, r.prompt, r.negativePrompt, r.clipSkip, r.regions));
    image.timings.textSeconds = secondsSince(start);

    SamplingRequest sampling;
    sampling.latentWidth = latentWidth;
    sampling.latentHeight = latentHeight;
    sampling.steps = r.steps;
    sampling.cfgScale = r.cfgScale;
    sampling.sampler = r.sampler;
    sampling.seed = r.seed;
    if (!r.regions.empty())
        sampling.regions = regionWeights(r.regions, r.width, r.height, latentWidth, latentHeight,
                                         model.config().unet.levels(), defaultFeather(r.width, r.height));
    if (!r.initImage.empty()) {
        start = Clock::now();
        ATELIER_TRY(checkCancel(callbacks));
        ATELIER_ASSIGN(sampling.encoded, model.vae().encode(r.initImage, r.height, r.width, tilingNow()));
        sampling.strength = r.strength;
        image.timings.decodeSeconds += secondsSince(start);
    }
    ATELIER_ASSIGN(image.latent, sampleLatent(model, conditioning, sampling, callbacks, &image.timings));

    start = Clock::now();
    ATELIER_TRY(checkCancel(callbacks));
    ATELIER_ASSIGN(const std::vector<float> pixels,
                   model.vae().decode(image.latent, latentHeight, latentWidth, tilingNow()));
    image.timings.decodeSeconds += secondsSince(start);
    model.preview().learn(image.latent, pixels, latentWidth, latentHeight, vae.downscale());
    image.width = r.width;
    image.height = r.height;
    image.rgb = toBytes(pixels);
    image.parameters = describeGeneration(model, r);
    return image;
}

std::vector<uint8_t> toBytes(const std::vector<float>& image)
{
    std::vector<uint8_t> bytes(image.size());
    for (size_t i = 0; i < image.size(); ++i)
        bytes[i] = uint8_t(std::lround(255.0f * std::clamp((image[i] + 1.0f) / 2.0f, 0.0f, 1.0f)));
    return bytes;
}

} // namespace atelier::diffusion
