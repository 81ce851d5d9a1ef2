#pragma once
// The CLIP text encoder's weights (a Hugging Face CLIPTextModel under kTextPrefix; SD 2.x's OpenCLIP
// is renamed into that form by the checkpoint), bound with the shapes its TextEncoderConfig says.
// width = config.width, inner = config.intermediate.

#include "core/result.h"
#include "diffusion/checkpoint_config.h"
#include "diffusion/network_weights.h"
#include "ops/tensor.h"

#include <cstdint>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::diffusion {

class Checkpoint;

// encoder.layers.i: pre-LayerNorm self-attention and MLP, each added to the residual stream.
struct TextEncoderLayerWeights {
    NormWeights norm1;          // layer_norm1 [width]
    LinearWeights qkv;          // self_attn.{q,k,v}_proj stacked: [3 x width, width], bias [3 x width]
    LinearWeights out;          // self_attn.out_proj [width, width], bias [width]
    NormWeights norm2;          // layer_norm2 [width]
    LinearWeights fc1;          // mlp.fc1 [inner, width], bias [inner]
    LinearWeights fc2;          // mlp.fc2 [width, inner], bias [width]
};

struct TextEncoderWeights {
    ops::Tensor tokenEmbedding;    // embeddings.token_embedding [vocab, width], f16 or f32 as the matrices
    ops::Tensor positionEmbedding; // embeddings.position_embedding [maxPositions, width] f32
    std::vector<TextEncoderLayerWeights> layers; // config.layers
    NormWeights finalNorm;         // final_layer_norm [width]
    uint64_t bytes = 0;            // device bytes of all of the above
    std::vector<BoundMatrix> matrices; // views of the Linear weights above, by canonical name

    // Errors name the tensor and say which shape was expected and which was found.
    static Result<TextEncoderWeights> bind(vk::Device& device, const Checkpoint& checkpoint,
                                           const TextEncoderConfig& config, WeightPrecision precision);
};

} // namespace atelier::diffusion
