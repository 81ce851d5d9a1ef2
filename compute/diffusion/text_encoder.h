#pragma once
// The CLIP text encoder of Stable Diffusion 1.x (OpenAI CLIP ViT-L/14, quick GELU) and 2.x (OpenCLIP
// ViT-H/14, erf GELU, its last layer dropped by the checkpoint): 77-token prompt chunks to the hidden
// states the UNet's cross-attention reads, as transformers' CLIPTextModel computes them, and
// AUTOMATIC1111's weighted conditioning on top.
//
//   x = token_embedding[ids] + position_embedding[0..76]
//   per layer: x += out_proj(causal_attention(q_proj, k_proj, v_proj of layer_norm1(x)))
//              x += fc2(gelu(fc1(layer_norm2(x))))
//   hidden = final_layer_norm(x)
// The chunks run as one batch (up to kMaxChunksPerPass; a prompt, its negative and every region's
// prompts together); activations are f32 whatever the weights' precision. Each layer is five
// passes of the rows matmul on CPU devices (ops::linear): q, k and v as one product over the
// stacked weights, split into three tensors as it is stored; the output projection and fc2 adding
// their bias and the residual as they store; fc1 its bias and GELU.

#include "core/result.h"
#include "diffusion/checkpoint_config.h"
#include "diffusion/network_weights.h"
#include "diffusion/prompt_chunks.h"
#include "diffusion/text_encoder_weights.h"
#include "ops/embedding.h"
#include "ops/tensor.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace atelier::vk {
class CommandBatch;
class Device;
}

namespace atelier::diffusion {

class Checkpoint;

// Activations for up to `chunks` chunks (rows = chunks x 77); a call with fewer uses the first rows.
struct TextEncoderRunState {
    int chunks = 0;
    ops::TokenIds ids;     // [rows] int32 on the device; host: this call's ids
    ops::Tensor x;         // [rows, width] the residual stream
    ops::Tensor xn;        // [rows, width] a block's normalised input; at the end the output
    // The fused projection's q, k and v, each [rows, width] (read by attention as [chunks, 77, heads,
    // headDim]) at qkvPartStride(rows) elements from each other.
    ops::Tensor qkv;
    ops::Tensor attention; // [rows, width]
    ops::Tensor hidden;    // [rows, intermediate] the MLP's inner activations
    ops::Tensor scores;    // attention's scores for one chunk (sequenceAttentionWorkspaceElements)
    ops::Tensor normStatistics; // the LayerNorms' workspace (groupNormStatisticsElements, a row per image)
    ops::Tensor scratch;   // [rows, 3 x width]: products before their residual add or split, on
                           // devices whose matmul does not fuse the epilogue (ops::linear)
    uint64_t align = 256;  // the allocator's binding alignment, in bytes

    // Elements from q to k and from k to v: rows x width rounded up to the alignment.
    uint64_t qkvPartStride(int64_t rows, int64_t width) const;
    static Result<TextEncoderRunState> create(vk::Device& device, const TextEncoderConfig& config, int chunks);
};

class TextEncoder {
public:
    // Chunks per forward pass; longer prompts (over 1200 tokens) take several, bounding the run state.
    static constexpr int kMaxChunksPerPass = 16;

    // Binds kTextPrefix's tensors of the checkpoint with the shapes its config says; errors name the
    // tensor and the expected and found shapes.
    static Result<std::unique_ptr<TextEncoder>> load(vk::Device& device, const Checkpoint& checkpoint,
                                                     WeightPrecision precision);

    const TextEncoderConfig& config() const { return mConfig; }
    uint64_t weightBytes() const { return mWeights.bytes; }
    // The Linear weights, where LoRAs merge (lora_weights.h).
    std::span<const BoundMatrix> matrices() const { return mWeights.matrices; }

    // Hidden states of each chunk, [chunks x 77, width] row-major. clipSkip 1: the last layer's output
    // through final_layer_norm (diffusers' last_hidden_state); n > 1: A1111's "Clip skip", the output
    // of layer (layers - n + 1), i.e. hidden_states[-n], through final_layer_norm. 1 <= n <= layers.
    Result<std::vector<float>> encode(std::span<const PromptChunk> chunks, int clipSkip = 1);

    // AUTOMATIC1111's conditioning (modules/sd_hijack_clip.py, process_tokens): encode, scale each
    // token's vector by its weight, then rescale each chunk so its mean is the unweighted one.
    // [chunks x 77, width].
    Result<std::vector<float>> condition(const ChunkedPrompt& prompt, int clipSkip = 1);
    // The same for several prompts (a prompt and its negative, regions' prompts) through one batch:
    // their chunks run together, kMaxChunksPerPass at a time, and come back prompt by prompt. Each
    // chunk's states are the ones it gets alone, bit for bit (rows never mix).
    Result<std::vector<std::vector<float>>> condition(std::span<const ChunkedPrompt> prompts, int clipSkip = 1);

private:
    explicit TextEncoder(vk::Device& device) : mDevice(device) {}
    // Encodes at most kMaxChunksPerPass chunks, appending their hidden states to `out`.
    Status encodePass(std::span<const PromptChunk> chunks, int layers, std::vector<float>& out);
    Status record(vk::CommandBatch& batch, int chunks, int layers);

    vk::Device& mDevice;
    TextEncoderConfig mConfig;
    TextEncoderWeights mWeights;
    TextEncoderRunState mState;
};

// A1111's weighting of one chunk's hidden states z [77, width] in place: z *= weights (per token),
// then z *= mean(z before) / mean(z after). A zero weighted mean leaves the weighted z as it is.
void applyPromptWeights(std::span<float> z, std::span<const float> weights, int width);

} // namespace atelier::diffusion
