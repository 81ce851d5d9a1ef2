#pragma once
// GELU, GEGLU and SiLU for the diffusion models, on f32 or f16 tensors (fp32 arithmetic):
//   Erf:  gelu(x) = 0.5 x (1 + erf(x / sqrt 2))  (torch's default; SD's GEGLU feed-forward)
//   Tanh: gelu(x) = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))  (approximate="tanh")
//   Quick: quick_gelu(x) = x sigmoid(1.702 x)  (OpenAI CLIP's MLP: SD 1.x's text encoder)
//   silu(x) = x / (1 + e^-x)  (the timestep-embedding MLP and ResnetBlock2D's time projection;
//   GroupNorm fuses it where it follows a norm, ops/group_norm.h)
// geglu() takes diffusers' GEGLU projection, each row [hidden | gate] (hidden, gate =
// proj(x).chunk(2, dim=-1)), and gives hidden * gelu(gate). The LLM's GeGLU, with the gate first
// and f32 only, is ops/glu.h.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

enum class GeluForm { Erf, Tanh, Quick };

// x, out: f32 or f16 of one dtype and shape.
Status gelu(vk::CommandBatch& batch, const Tensor& x, Tensor& out, GeluForm form = GeluForm::Erf);

// x: [..., 2n], out: [..., n], f32 or f16 of one dtype; Erf or Tanh (no model gates a quick GELU).
Status geglu(vk::CommandBatch& batch, const Tensor& x, Tensor& out, GeluForm form = GeluForm::Erf);

// x, out: f32 or f16 of one dtype and shape.
Status silu(vk::CommandBatch& batch, const Tensor& x, Tensor& out);

} // namespace atelier::ops
