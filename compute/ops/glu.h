#pragma once
// Gated linear units of the feed-forward blocks: out = act(gate) * up, elementwise on f32.
//   SiLU (SwiGLU: Llama, Qwen2):  silu(x) = x / (1 + e^-x)
//   GeluTanh (GeGLU: Gemma 3's gelu_pytorch_tanh):  0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

enum class GluActivation { SiLU, GeluTanh };

// gate, up, out: f32 of one shape [..., n].
Status glu(vk::CommandBatch& batch, const Tensor& gate, const Tensor& up, Tensor& out, GluActivation act);

// gateUp: f32 [..., 2n], each row the gate then the up half (a fused projection); out: [..., n].
Status glu(vk::CommandBatch& batch, const Tensor& gateUp, Tensor& out, GluActivation act);

} // namespace atelier::ops
