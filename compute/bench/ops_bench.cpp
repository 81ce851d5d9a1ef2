#include "bench/ops_bench.h"

#include "ops/elementwise.h"
#include "vk/device.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace atelier::bench {

Status runOpsBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out)
{
    const int64_t n = 1 << 22;
    std::vector<float> host(size_t(n), 1.0f);
    ATELIER_ASSIGN(auto a, ops::Tensor::fromFloats(device, DType::F32, {n}, host));
    ATELIER_ASSIGN(auto b, ops::Tensor::fromFloats(device, DType::F32, {n}, host));
    ATELIER_ASSIGN(auto c, ops::Tensor::create(device, DType::F32, {n}));
    std::vector<double> times;
    for (int r = 0; r < 5; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        ATELIER_TRY(device.execute([&](vk::CommandBatch& batch) { return ops::add(batch, a, b, c); }));
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    char line[128];
    std::snprintf(line, sizeof line, "add_f32 n=%lld: %.3f ms\n", (long long)n, times[2] * 1e3);
    out << line;
    return {};
}

} // namespace atelier::bench
