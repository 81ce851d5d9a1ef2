#pragma once
// Recording of the UNet's two building blocks into a command batch, on NHWC f32 activations
// [B, H, W, C] whose scratch space the UNetState holds:
//   ResBlock:           out = conv2(silu(gn2(conv1(silu(gn1(x))) + W_t silu(temb)))) + skip(x)
//   SpatialTransformer: out = proj_out(blocks(proj_in(gn(x)))) + x, each block
//                       t += attn1(ln1(t)); t += attn2(ln2(t), context); t += ff(ln3(t))

#include "core/result.h"
#include "diffusion/unet_state.h"
#include "diffusion/unet_weights.h"
#include "vk/command_batch.h"

namespace atelier::diffusion {

// x: [B, H, W, in]; out: [B, H, W, out], neither one of the state's scratch tensors (normed,
// hidden, shortcut, timeBias). Reads state.timeEmbedding.
Status recordResBlock(vk::CommandBatch& batch, const ResBlockWeights& w, int normGroups, const ops::Tensor& x,
                      ops::Tensor& out, UNetState& state);

// x, out: [B, H, W, C], distinct and neither one of the state's scratch tensors. Reads state.context.
Status recordSpatialTransformer(vk::CommandBatch& batch, const SpatialTransformerWeights& w, int normGroups,
                                const ops::Tensor& x, ops::Tensor& out, UNetState& state);

// A Linear layer as a 1x1 convolution: out = in . W^T (+ bias) (+ residual); in [B, H, W, in],
// out [B, H, W, out]. residual may be out itself (each element is read before it is written).
Status recordProjection(vk::CommandBatch& batch, const ProjectionWeights& w, const ops::Tensor& in, ops::Tensor& out,
                        const ops::Tensor* residual = nullptr);

} // namespace atelier::diffusion
