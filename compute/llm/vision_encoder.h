#pragma once
// A vision projector on the device: the ViT and projector of an mmproj GGUF (vision_config.h),
// turning a picture's tiles (picture_plan.h) into the embeddings a language model reads in place of
// tokens, as llama.cpp's mtmd computes them:
//   x = patches(tile) · Wpatch^T + b + positions
//   per layer: x += Wo·attention(LN1(x)) + bo (every patch sees every patch)
//              x += Wdown·gelu(Wup·LN2(x) + bup) + bdown
//   x = postLN(x)
//   Gemma 3:  pooled = average of each merge x merge square of the patch grid
//             embeddings = RMSNorm(pooled) · Wproj               ([tokens, textDim])
//   Idefics3: each merge x merge square's patches side by side (pixel shuffle)
//             embeddings = shuffled · Wfc^T                       ([tokens, textDim])

#include "core/result.h"
#include "llm/linear_weights.h"
#include "llm/picture.h"
#include "llm/vision_config.h"
#include "ops/embedding.h"
#include "ops/tensor.h"
#include "ops/wide_attention.h"

#include <memory>
#include <string>
#include <vector>

namespace atelier::vk {
class Device;
class CommandBatch;
}

namespace atelier::llm {

struct VisionLayerWeights {
    LayerNormWeights norm1, norm2;
    Linear q, k, v, out;   // [dim, dim]
    Linear up, down;       // [feedForward, dim], [dim, feedForward]
};

struct VisionWeights {
    ops::Tensor patch;          // [dim, 3, patch, patch]
    std::optional<ops::Tensor> patchBias; // [dim] f32
    ops::Tensor positions;      // [patches, dim] f32
    std::vector<VisionLayerWeights> layers;
    std::optional<LayerNormWeights> postNorm;
    // Gemma 3:
    ops::Tensor softEmbeddingNorm; // [dim] f32
    ops::Tensor projection;        // [textDim, dim]: the file's [dim, textDim] transposed at load
    ops::Tensor pooling;           // [tokens, patches] f32: 1 / merge^2 where a patch joins a token
    // Idefics3:
    ops::Tensor connector;         // [textDim, dim * merge^2] mm.model.fc
    ops::TokenIds shuffle;         // the patches in the order the pixel shuffle lays them side by side
};

class VisionEncoder {
public:
    static Result<std::unique_ptr<VisionEncoder>> load(vk::Device& device, const std::string& path);

    const VisionConfig& config() const { return mConfig; }
    int tokensPerPicture() const { return mConfig.tokens(); }

    // A tile's embeddings (a tile of picture_plan.h: imageSize x imageSize; another size is fitted
    // as Gemma 3's are), f32 [tokens, textDim] on the device; valid until the next encode.
    Result<const ops::Tensor*> encode(const RgbPicture& tile);
    // The same, read back: tokens * textDim floats.
    Result<std::vector<float>> encodeToHost(const RgbPicture& tile);

private:
    explicit VisionEncoder(vk::Device& device) : mDevice(device) {}
    Status record(vk::CommandBatch& batch);
    Status attendByHead(vk::CommandBatch& batch);

    vk::Device& mDevice;
    VisionConfig mConfig;
    VisionWeights mWeights;
    // Activations for one picture.
    ops::Tensor mPatchRows, mX, mSum, mQ, mK, mV, mAttention, mHidden, mTransposed, mPooled, mNormed, mEmbeddings,
        mScores, mShuffled, mScratch;
    // CPU devices: attention one head at a time through stored scores (ops::wideAttention).
    bool mPerHead = false;
    ops::Tensor mHeadQ, mHeadK, mHeadV, mHeadOut;
    ops::WideAttentionScratch mWide;
};

} // namespace atelier::llm
