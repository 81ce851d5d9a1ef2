#pragma once
// Atelier's own record of a generation, written next to A1111's `parameters` text as the PNG's
// `atelier` text chunk: every request field (so a picture can be made again exactly), the model and
// the timings, as one JSON object.

#include "diffusion/generation.h"

#include <QByteArray>

namespace atelier::diffusion {

// {"version", "kind": "txt2img"|"img2img", "prompt", "negative_prompt", "width", "height", "steps",
//  "cfg_scale", "sampler", "schedule", "seed" (a string: JSON numbers lose 64-bit seeds), "clip_skip",
//  "strength" (img2img), "lora_hashes", "regions" (regional prompts, as regions.h's layout files),
//  "model", "model_hash", "timings": {"text_s", "sampling_s", "decode_s",
//  "unet_evaluations"}}, compact, keys sorted.
QByteArray generationJson(const GenerationRequest& request, const GeneratedImage& image);

} // namespace atelier::diffusion
