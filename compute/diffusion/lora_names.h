#pragma once
// Which of a loaded model's weights a LoRA module changes, by the names the LoRA formats give it:
//   kohya / A1111   lora_unet_<module with '.' -> '_'>  in diffusers names (down_blocks_0_attentions_0_
//                   proj_in) or CompVis ones (input_blocks_1_1_proj_in), lora_te_text_model_<module>
//   diffusers/PEFT  unet.<diffusers module>, text_encoder.[text_model.]<module>, or the bare module
//                   (a PEFT state dict, optionally under base_model.model.)
//   old diffusers   unet.<...>.processor.to_q_lora (to_k/to_v/to_out), text_encoder.<...>.q_proj.lora_linear_layer
// Modules are named without their LoRA suffix (".lora_down.weight", ".lora_A.weight", ...: lora_file.h).

#include "diffusion/checkpoint_config.h"
#include "diffusion/network_weights.h"

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace atelier::diffusion {

class LoraTargets {
public:
    // The UNet's and the text encoder's bound matrices (they must outlive this table).
    LoraTargets(std::span<const BoundMatrix> unet, std::span<const BoundMatrix> text, const UNetConfig& config);

    // The matrix `module` (a key of a LoRA file without its suffix) changes; nullptr when none.
    const BoundMatrix* find(std::string_view module) const;
    size_t size() const { return mByName.size(); }

private:
    void add(std::string name, const BoundMatrix& matrix) { mByName.emplace(std::move(name), &matrix); }

    std::map<std::string, const BoundMatrix*, std::less<>> mByName;
};

// The diffusers module names of a UNet with this config ("down_blocks.0.attentions.0.proj_in", ...),
// every Linear and convolution a LoRA may adapt.
std::vector<std::string> diffusersUNetModules(const UNetConfig& config);

} // namespace atelier::diffusion
