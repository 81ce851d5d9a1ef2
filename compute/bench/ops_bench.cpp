#include "bench/ops_bench.h"

#include "bench/diffusion_ops_bench.h"

#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/rmsnorm.h"
#include "ops/softmax.h"
#include "vk/device.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

namespace atelier::bench {

namespace {

// One kernel at one size: the tensors it owns, one call of the op, and its nominal work.
struct Case {
    std::string kernel;
    std::string size;
    double flops = 0; // per call: 2MNK for matmul, a few per element for the others
    double bytes = 0; // per call: each operand read or written once; for matmul the weights' bytes,
                      // which bound decoding
    std::vector<ops::Tensor> tensors;
    std::function<Status(vk::CommandBatch&, std::vector<ops::Tensor>&)> call; // on `tensors`
};

struct Settings {
    bool quick = false;
    int warmups = 2;
    int reps = 10;
    int callsPerRep = 3; // back-to-back calls in one submission, to amortise the submit and wait
};

// Cheap deterministic values in [-1, 1): the kernels' speed does not depend on them. Block types
// get random bytes with bits 7 and 3 of each cleared, which keeps every f16 scale finite and
// below 1/2.
Result<ops::Tensor> filled(vk::Device& device, DType type, std::vector<int64_t> shape)
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    if (isQuantized(type)) {
        ATELIER_ASSIGN(ops::Tensor t, ops::Tensor::create(device, type, std::move(shape)));
        std::vector<uint8_t> bytes(t.bytes());
        uint32_t s = 12345;
        for (uint8_t& b : bytes) {
            s = s * 1664525u + 1013904223u;
            b = uint8_t(s >> 24) & 0x37;
        }
        ATELIER_TRY(device.upload(t.buffer, bytes.data(), bytes.size()));
        return t;
    }
    std::vector<float> v(static_cast<size_t>(n));
    uint32_t s = 12345;
    for (float& x : v) {
        s = s * 1664525u + 1013904223u;
        x = float(s >> 8) / float(1u << 23) - 1.0f;
    }
    return ops::Tensor::fromFloats(device, type, std::move(shape), v);
}

Result<Case> addCase(vk::Device& device, int64_t n)
{
    Case c{"add f32", std::to_string(n >> 20) + "M", double(n), 12.0 * double(n)};
    for (int i = 0; i < 3; ++i) {
        ATELIER_ASSIGN(auto t, filled(device, DType::F32, {n}));
        c.tensors.push_back(std::move(t));
    }
    c.call = [](vk::CommandBatch& b, std::vector<ops::Tensor>& t) { return ops::add(b, t[0], t[1], t[2]); };
    return c;
}

Result<Case> matmulCase(vk::Device& device, DType weights, int64_t m, int64_t k, int64_t n)
{
    Case c{std::string("matmul ") + dtypeName(weights),
           "M=" + std::to_string(m) + " K=" + std::to_string(k) + " N=" + std::to_string(n), 2.0 * m * n * k,
           double(storageBytes(weights, uint64_t(n * k)))};
    ATELIER_ASSIGN(auto a, filled(device, DType::F32, {m, k}));
    ATELIER_ASSIGN(auto b, filled(device, weights, {n, k}));
    ATELIER_ASSIGN(auto out, ops::Tensor::create(device, DType::F32, {m, n}));
    c.tensors.push_back(std::move(a));
    c.tensors.push_back(std::move(b));
    c.tensors.push_back(std::move(out));
    c.call = [](vk::CommandBatch& b, std::vector<ops::Tensor>& t) { return ops::matmul(b, t[0], t[1], t[2]); };
    return c;
}

Result<Case> rowCase(vk::Device& device, bool softmax, int64_t rows, int64_t n)
{
    const double elems = double(rows) * n;
    Case c{softmax ? "softmax" : "rmsnorm f32", std::to_string(rows) + "x" + std::to_string(n),
           (softmax ? 6.0 : 4.0) * elems, 8.0 * elems + (softmax ? 0.0 : 4.0 * n)};
    ATELIER_ASSIGN(auto x, filled(device, DType::F32, {rows, n}));
    ATELIER_ASSIGN(auto w, filled(device, DType::F32, {n}));
    ATELIER_ASSIGN(auto out, ops::Tensor::create(device, DType::F32, {rows, n}));
    c.tensors.push_back(std::move(x));
    c.tensors.push_back(std::move(w));
    c.tensors.push_back(std::move(out));
    if (softmax)
        c.call = [](vk::CommandBatch& b, std::vector<ops::Tensor>& t) { return ops::softmax(b, t[0], t[2], {0.125f}); };
    else
        c.call = [](vk::CommandBatch& b, std::vector<ops::Tensor>& t) { return ops::rmsnorm(b, t[0], t[1], t[2]); };
    return c;
}

// The cases are built one at a time so only one case's tensors are alive.
std::vector<std::function<Result<Case>(vk::Device&)>> caseList(bool quick)
{
    using F = std::function<Result<Case>(vk::Device&)>;
    if (quick)
        return {
            F([](vk::Device& d) { return addCase(d, 1 << 20); }),
            F([](vk::Device& d) { return matmulCase(d, DType::F32, 1, 1024, 1024); }),
            F([](vk::Device& d) { return matmulCase(d, DType::F16, 1, 1024, 1024); }),
            F([](vk::Device& d) { return matmulCase(d, DType::F16, 64, 256, 256); }),
            F([](vk::Device& d) { return rowCase(d, true, 64, 1024); }),
            F([](vk::Device& d) { return rowCase(d, false, 64, 1024); }),
        };
    std::vector<F> cases = {
        F([](vk::Device& d) { return addCase(d, 1 << 20); }),
        F([](vk::Device& d) { return addCase(d, 16 << 20); }),
        F([](vk::Device& d) { return matmulCase(d, DType::F32, 1, 4096, 4096); }),
        F([](vk::Device& d) { return matmulCase(d, DType::F16, 1, 4096, 4096); }),
        F([](vk::Device& d) { return matmulCase(d, DType::F16, 512, 1024, 1024); }),
        F([](vk::Device& d) { return matmulCase(d, DType::F16, 512, 2048, 2048); }),
        F([](vk::Device& d) { return rowCase(d, true, 512, 4096); }),
        F([](vk::Device& d) { return rowCase(d, false, 512, 4096); }),
    };
    // Decode-like (one row of a) and prompt-like rows against the common GGUF weight types.
    for (DType t : {DType::Q4_K, DType::Q6_K, DType::Q8_0, DType::Q4_0}) {
        cases.push_back(F([t](vk::Device& d) { return matmulCase(d, t, 1, 2048, 2048); }));
        cases.push_back(F([t](vk::Device& d) { return matmulCase(d, t, 1, 4096, 4096); }));
        cases.push_back(F([t](vk::Device& d) { return matmulCase(d, t, 512, 2048, 2048); }));
    }
    return cases;
}

std::string row(const char* a, const char* b, const char* c, const char* d, const char* e, const char* f)
{
    char line[160];
    std::snprintf(line, sizeof line, "%-12s %-22s %10s %10s %9s %10s\n", a, b, c, d, e, f);
    return line;
}

std::string number(double v, const char* format)
{
    char s[32];
    std::snprintf(s, sizeof s, format, v);
    return s;
}

// Median milliseconds per call over the timed repetitions, and the GPU's own mean when profiling.
Status timeCase(vk::Device& device, Case& c, const Settings& s, std::ostream& out)
{
    auto rep = [&] {
        return device.execute([&](vk::CommandBatch& batch) -> Status {
            for (int i = 0; i < s.callsPerRep; ++i)
                ATELIER_TRY(c.call(batch, c.tensors));
            return {};
        });
    };
    for (int i = 0; i < s.warmups; ++i)
        ATELIER_TRY(rep());
    device.profiler().reset();
    std::vector<double> ms;
    for (int i = 0; i < s.reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        ATELIER_TRY(rep());
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                     s.callsPerRep);
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    std::string gpu = "-";
    if (device.profiling() && !device.profiler().empty()) {
        double ns = 0;
        for (const auto& [label, e] : device.profiler().entries())
            ns += e.totalNs;
        gpu = number(ns * 1e-6 / (s.reps * s.callsPerRep), "%.3f");
    }
    out << row(c.kernel.c_str(), c.size.c_str(), number(median, "%.3f").c_str(), gpu.c_str(),
               number(c.flops / median * 1e-6, "%.1f").c_str(), number(c.bytes / median * 1e-6, "%.2f").c_str());
    out.flush();
    return {};
}

} // namespace

Status runOpsBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out)
{
    Settings s;
    for (const std::string& a : args) {
        if (a != "--quick")
            return makeError(ErrorCode::InvalidArgument, "bench ops: unknown option " + a);
        s = {true, 1, 3, 2};
    }
    out << "device: " << device.info().name << (s.quick ? " (quick)" : "") << "\n";
    out << row("kernel", "size", "median ms", "gpu ms", "GFLOP/s", "GB/s");
    for (const auto& make : caseList(s.quick)) {
        ATELIER_ASSIGN(Case c, make(device));
        ATELIER_TRY(timeCase(device, c, s, out));
    }
    return runDiffusionOpsBench(device, args, out);
}

} // namespace atelier::bench
