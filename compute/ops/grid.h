#pragma once
// Workgroup counts for 1-D work laid over a 2-D grid (see flatInvocation() in shaders/common.glsl).

#include <algorithm>
#include <cstdint>

namespace atelier::ops {

struct Grid {
    uint32_t x = 1, y = 1;
};

inline Grid grid1d(uint64_t invocations, uint32_t workgroupSize, uint32_t maxX = 65535)
{
    const uint64_t groups = (invocations + workgroupSize - 1) / workgroupSize;
    Grid g;
    g.x = uint32_t(std::min<uint64_t>(groups, maxX));
    g.y = uint32_t((groups + g.x - 1) / std::max<uint32_t>(g.x, 1));
    return g;
}

} // namespace atelier::ops
