#include "diffusion/generation_json.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace atelier::diffusion {

QByteArray generationJson(const GenerationRequest& request, const GeneratedImage& image)
{
    const GenerationParameters& p = image.parameters;
    const bool img2img = !request.initImage.empty();
    QJsonObject o{
        {"version", p.version},
        {"kind", img2img ? "img2img" : "txt2img"},
        {"prompt", request.prompt},
        {"negative_prompt", request.negativePrompt},
        {"width", request.width},
        {"height", request.height},
        {"steps", request.steps},
        {"cfg_scale", request.cfgScale},
        {"sampler", a1111SamplerName(request.sampler.sampler)},
        {"schedule", a1111ScheduleName(resolveSchedule(request.sampler.sampler, request.sampler.schedule))},
        {"seed", QString::number(request.seed)},
        {"clip_skip", request.clipSkip},
        {"model", p.model},
        {"model_hash", p.modelHash},
        {"timings", QJsonObject{{"text_s", image.timings.textSeconds},
                                {"sampling_s", image.timings.samplingSeconds},
                                {"decode_s", image.timings.decodeSeconds},
                                {"unet_evaluations", image.timings.unetEvaluations}}},
    };
    if (img2img)
        o.insert("strength", request.strength);
    if (const QString hashes = loraHashes(p); !hashes.isEmpty())
        o.insert("lora_hashes", hashes);
    if (!request.regions.empty()) // regions.h's layout: {"box": [x0, y0, x1, y1], "prompt", ...}
        o.insert("regions", QJsonDocument::fromJson(layoutJson(request.regions)).object().value("regions"));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace atelier::diffusion
