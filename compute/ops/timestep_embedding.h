#pragma once
// Sinusoidal timestep embeddings as diffusers' Timesteps / get_timestep_embedding: for each
// timestep t and k < half = dim / 2, the angle t * exp(-log(maxPeriod) * k / (half - shift)) * scale
// gives a sin half and a cos half ([cos, sin] with flipSinToCos, as SD's UNet: flip_sin_to_cos=True,
// downscale_freq_shift=0); an odd dim is padded with one 0.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

struct TimestepEmbeddingOptions {
    bool flipSinToCos = true;
    float shift = 0.0f;        // downscale_freq_shift
    float scale = 1.0f;
    float maxPeriod = 10000.0f;
};

// timesteps: f32 [batch]; out: f32 [batch, dim], dim >= 2.
Status timestepEmbedding(vk::CommandBatch& batch, const Tensor& timesteps, Tensor& out,
                         const TimestepEmbeddingOptions& options = {});

} // namespace atelier::ops
