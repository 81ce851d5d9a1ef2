#include "llm/linear_weights.h"

#include "llm/weights.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"

namespace atelier::llm {

Result<Linear> bindLinear(vk::Device& d, const io::GgufFile& f, const std::string& name, int64_t out, int64_t in)
{
    Linear l;
    ATELIER_ASSIGN(l.weight, bindTensor(d, f, name + ".weight", {out, in}));
    ATELIER_ASSIGN(l.bias, bindOptionalTensor(d, f, name + ".bias", {out}, true));
    return l;
}

Result<LayerNormWeights> bindLayerNorm(vk::Device& d, const io::GgufFile& f, const std::string& name, int64_t dim)
{
    LayerNormWeights n;
    ATELIER_ASSIGN(n.gamma, bindTensor(d, f, name + ".weight", {dim}, true));
    ATELIER_ASSIGN(n.beta, bindTensor(d, f, name + ".bias", {dim}, true));
    return n;
}

Status linear(vk::CommandBatch& b, const ops::Tensor& x, const Linear& w, ops::Tensor& out)
{
    ATELIER_TRY(ops::matmul(b, x, w.weight, out));
    return w.bias ? ops::add(b, out, *w.bias, out) : Status{};
}

} // namespace atelier::llm
