#include "diffusion/text_encoder_weights.h"

#include "diffusion/checkpoint.h"

#include <string>

namespace atelier::diffusion {

namespace {

Result<TextEncoderLayerWeights> bindLayer(WeightBinder& binder, const TextEncoderConfig& c, int index)
{
    const std::string p = "encoder.layers." + std::to_string(index) + ".";
    const int64_t width = c.width;
    TextEncoderLayerWeights w;
    ATELIER_ASSIGN(w.norm1, binder.norm(p + "layer_norm1", width));
    const std::string qkv[] = {p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"};
    ATELIER_ASSIGN(w.qkv, binder.stackedLinear(qkv, width, width));
    ATELIER_ASSIGN(w.out, binder.linear(p + "self_attn.out_proj", width, width));
    ATELIER_ASSIGN(w.norm2, binder.norm(p + "layer_norm2", width));
    ATELIER_ASSIGN(w.fc1, binder.linear(p + "mlp.fc1", c.intermediate, width));
    ATELIER_ASSIGN(w.fc2, binder.linear(p + "mlp.fc2", width, c.intermediate));
    return w;
}

} // namespace

Result<TextEncoderWeights> TextEncoderWeights::bind(vk::Device& device, const Checkpoint& checkpoint,
                                                    const TextEncoderConfig& config, WeightPrecision precision)
{
    WeightBinder binder(device, checkpoint, std::string(kTextPrefix), precision);
    TextEncoderWeights w;
    const std::string tokenName = "embeddings.token_embedding.weight";
    const CheckpointTensor* tokens = checkpoint.find(std::string(kTextPrefix) + tokenName);
    const bool f32Table = precision == WeightPrecision::AsStored && tokens && tokens->dtype != io::SafetensorsDType::F16;
    ATELIER_ASSIGN(w.tokenEmbedding, binder.tensor(tokenName, {config.vocabSize, config.width},
                                                   f32Table ? DType::F32 : DType::F16));
    ATELIER_ASSIGN(w.positionEmbedding, binder.tensor("embeddings.position_embedding.weight",
                                                      {config.maxPositions, config.width}, DType::F32));
    w.layers.reserve(size_t(config.layers));
    for (int i = 0; i < config.layers; ++i) {
        ATELIER_ASSIGN(TextEncoderLayerWeights layer, bindLayer(binder, config, i));
        w.layers.push_back(std::move(layer));
    }
    ATELIER_ASSIGN(w.finalNorm, binder.norm("final_layer_norm", config.width));
    w.bytes = binder.bytes();
    w.matrices = binder.takeMatrices();
    return w;
}

} // namespace atelier::diffusion
