#include "ops/timestep_embedding.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <cmath>

namespace atelier::ops {

Status timestepEmbedding(vk::CommandBatch& batch, const Tensor& timesteps, Tensor& out,
                         const TimestepEmbeddingOptions& options)
{
    if (timesteps.dtype != DType::F32 || out.dtype != DType::F32 || timesteps.shape.size() != 1 ||
        out.shape.size() != 2 || out.dim(0) != timesteps.dim(0) || out.dim(1) < 2)
        return makeError(ErrorCode::InvalidArgument, "timestep embedding: expected f32 timesteps [batch] and out "
                                                     "[batch, dim >= 2], got " + timesteps.shapeText() + " and " +
                                                     out.shapeText());
    const uint64_t dim = uint64_t(out.dim(1)), half = dim / 2;
    if (!(options.maxPeriod > 0.0f) || !std::isfinite(options.scale) || !(float(half) - options.shift != 0.0f))
        return makeError(ErrorCode::InvalidArgument, "timestep embedding: invalid max period, scale or shift");
    if (out.bytes() > batch.device().info().maxStorageBufferRange)
        return makeError(ErrorCode::Unsupported, "timestep embedding: " + out.shapeText() + " exceeds a binding");
    vk::Device& device = batch.device();
    constexpr uint32_t kWorkgroup = 64;
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({"timestep_embedding", 2, sizeof(shader::TimestepPush), {kWorkgroup}}));
    const shader::TimestepPush push{uint32_t(out.numel()), uint32_t(dim), uint32_t(half),
                                    options.flipSinToCos ? 1u : 0u, std::log(options.maxPeriod), options.shift,
                                    options.scale};
    const Grid g = grid1d(uint64_t(out.numel()), kWorkgroup, device.info().maxWorkgroupCount[0]);
    return batch.dispatch(*pipeline, {vk::readOf(timesteps.buffer.range()), vk::writeOf(out.buffer.range())}, push,
                          g.x, g.y);
}

} // namespace atelier::ops
