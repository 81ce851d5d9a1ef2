#pragma once
// A mixture of experts' feed-forward, as qwen3moe, olmoe and Mixtral run it:
//   routes = the `used` largest of softmax(router logits) per token (routeExperts)
//   h[t, s] = act(gate[e] · x[t]) * (up[e] · x[t]) for each chosen expert e = routes[t, s]
//   y[t, s] = down[e] · h[t, s]                                  (matmulExperts, "mul_mat_id")
//   out[t] = sum_s weight[t, s] * y[t, s]                         (combineExperts)
// Only the chosen experts' rows are read. Experts are stacked [experts, N, K] in any weight type
// matmul takes; a stack larger than one binding is bound in windows of whole experts, one
// dispatch each. Routes are [tokens, used, 2] f32: the expert's index and its weight.

#include "core/result.h"
#include "ops/glu.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>

namespace atelier::ops {

constexpr uint32_t kMaxExpertsUsed = 32; // experts.comp holds a token's choices in registers

struct RouteOptions {
    uint32_t used = 2;      // experts per token
    bool normalize = false; // divide the chosen weights by their sum (Mixtral, qwen3moe; not olmoe)
    float scale = 1.0f;     // then multiply them by this
};

// logits [tokens, experts] f32 -> routes [tokens, used, 2] f32.
Status routeExperts(vk::CommandBatch& batch, const Tensor& logits, Tensor& routes, const RouteOptions& options);

struct ExpertsOptions {
    // Auto: the rows kernel on CPU devices (matvec_rows.comp), matvec.comp elsewhere, as ops::matmul
    // picks for one row of a; tests force each.
    enum class Path { Auto, MatrixVector, Rows };
    Path path = Path::Auto;
    // Bytes one binding may span; 0 means the device's limit. Tests lower it to exercise windows.
    uint64_t maxBindingBytes = 0;
};

// out[t * used + s] = experts[routes[t, s]] · a[row], row = t (a [tokens, K], one row per token) or
// t * used + s (a [tokens * used, K], one row per pair); out [tokens * used, N].
Status matmulExperts(vk::CommandBatch& batch, const Tensor& a, const Tensor& experts, const Tensor& routes,
                     Tensor& out, const ExpertsOptions& options = {});

// out[t * used + s] = act(gate[e] · a[t]) * (up[e] · a[t]), e = routes[t, s]; gate and up
// [experts, N, K] of one type, out and upScratch [tokens * used, N] (upScratch is used where the
// two products are not one pass: GPUs, and windows of experts).
Status matmulExpertsGlu(vk::CommandBatch& batch, const Tensor& a, const Tensor& gate, const Tensor& up,
                        const Tensor& routes, Tensor& out, Tensor& upScratch, GluActivation act,
                        const ExpertsOptions& options = {});

// out[t] = sum_s routes[t, s].weight * y[t * used + s]; y [tokens * used, N], out [tokens, N].
Status combineExperts(vk::CommandBatch& batch, const Tensor& y, const Tensor& routes, Tensor& out);

} // namespace atelier::ops
