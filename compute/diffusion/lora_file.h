#pragma once
// A LoRA file (safetensors) read against a loaded model: each module's low-rank pair checked
// against the weight it changes and kept on the host as f32, ready to merge (lora_weights.h).
//
//   down  [rank, in] (Linear) or [rank, in, k, k] (LoCon convolution; k = the weight's kernel)
//   up    [out, rank] or [out, rank, 1, 1]
//   alpha a scalar; absent: the rank (scale 1)
//   delta = alpha / rank * up · down, added to the weight [out, in] or [out, in, k, k]
// Suffixes: kohya ".lora_down.weight" / ".lora_up.weight" / ".alpha", PEFT ".lora_A.weight" /
// ".lora_B.weight" (also ".lora_A.default.weight"), diffusers ".lora.down.weight" / ".lora.up.weight",
// old diffusers "_lora.down.weight" and ".lora_linear_layer.down.weight". Keys of other kinds
// (LoHa, LoKr, modules this model lacks) are counted and skipped, not fatal; so are whole modules
// whose pair is only part of their update (Tucker LoCon's lora_mid, DoRA's dora_scale).

#include "core/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace atelier::diffusion {

struct BoundMatrix;
class LoraTargets;

// One adapted weight.
struct LoraModule {
    const BoundMatrix* target = nullptr;
    int64_t rank = 0;
    std::vector<float> up;    // [out, rank]
    std::vector<float> down;  // [rank, cols] in the device's order of the weight's columns (OHWI for convs)
    float alphaScale = 1;     // alpha / rank
};

struct LoraFile {
    std::string path;
    std::vector<LoraModule> modules;
    int unetModules = 0;
    int textModules = 0;
    int skippedKeys = 0;                    // keys that adapt nothing this model has
    std::vector<std::string> skippedExamples; // the first few of them, for the log
};

// Errors name the file and the tensor: unreadable files, a down without its up, shapes that do not
// fit the weight (a LoRA for another model), unusable dtypes, no module this model has.
Result<LoraFile> readLoraFile(const std::string& path, const LoraTargets& targets);

} // namespace atelier::diffusion
