#pragma once
// LoRAs merged into a loaded model's weights on the device, without reloading it: each adapted
// weight becomes base + sum over the LoRAs of weight * alpha / rank * up · down (ops::loraMerge).
// Changing the set first uploads the base of every weight the old set touched again from the
// mapped checkpoint, so what a weight holds never depends on the order of earlier requests.
//
//   prompt "<lora:NAME:0.8> ..." --extractLoraTags--> LoraUse{path of NAME in the LoRA folder, 0.8}
//     --readLoraFile (shapes checked against the bound weights)--> host f32 up/down
//     --upload, loraMerge per module--> UNet and text-encoder weights in place

#include "core/result.h"
#include "diffusion/lora_file.h"
#include "diffusion/lora_names.h"
#include "diffusion/lora_prompt.h"

#include <QString>
#include <QStringList>

#include <set>
#include <span>
#include <string>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::diffusion {

class StableDiffusion;

struct LoraUse {
    std::string path;        // a LoRA safetensors file
    std::string name;        // as the prompt names it, for "Lora hashes"
    float textWeight = 1;    // multiplier of its text-encoder modules
    float unetWeight = 1;    // multiplier of its UNet modules
    bool operator==(const LoraUse&) const = default;
};

// What a merged LoRA did, for the parameters and the log.
struct AppliedLora {
    std::string name;
    std::string shortHash;   // A1111's: the first 12 hex digits of the sha256 of the tensor data
    int modules = 0;         // weights it changed
    int skippedKeys = 0;     // keys of the file this model has no weight for
};

class LoraMerger {
public:
    // The networks' bound matrices; they must outlive the merger.
    LoraMerger(vk::Device& device, std::span<const BoundMatrix> unet, std::span<const BoundMatrix> text,
               const UNetConfig& config);

    // Makes the weights base + the LoRAs of `uses`; an empty list gives the base back. Nothing
    // happens when `uses` is what is merged now. On an error the base is back and nothing is merged.
    Status apply(std::span<const LoraUse> uses);
    const std::vector<LoraUse>& uses() const { return mUses; }
    const std::vector<AppliedLora>& applied() const { return mApplied; }
    const LoraTargets& targets() const { return mTargets; }

private:
    Status restore();
    Status merge(const LoraFile& file, const LoraUse& use);

    vk::Device& mDevice;
    LoraTargets mTargets;
    std::vector<LoraUse> mUses;
    std::vector<AppliedLora> mApplied;
    std::set<const BoundMatrix*> mTouched;
};

// A1111's LoRA short hash ("addnet" hash): the first 12 hex digits of the SHA-256 of a safetensors
// file's bytes after its header; empty when the file cannot be read.
std::string loraShortHash(const std::string& path);

// The file a prompt's NAME means: NAME.safetensors in `folder` or a folder below it (as A1111
// finds it); the error names the folder.
Result<std::string> findLora(const QString& folder, const QString& name);

// The LoRA names `folder` offers (NAME of every NAME.safetensors in it or below), sorted.
QStringList listLoras(const QString& folder);

// Resolves the prompt's tags in `folder` and merges them into `model` (no tags: the base weights;
// an error, e.g. a name the folder lacks: the base weights too).
Status applyPromptLoras(StableDiffusion& model, const std::vector<LoraTag>& tags, const QString& folder);

// A1111's "Lora hashes" value: "name: hash, name: hash"; empty without LoRAs.
QString loraHashesText(const std::vector<AppliedLora>& applied);

} // namespace atelier::diffusion
