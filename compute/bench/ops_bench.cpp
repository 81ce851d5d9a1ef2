#include "bench/ops_bench.h"

#include "bench/diffusion_ops_bench.h"

#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/matvec_int8.h"
#include "ops/rmsnorm.h"
#include "ops/softmax.h"
#include "vk/device.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include <sys/resource.h>

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
// (and bf16, which has no float upload) get random bytes with bits 7 and 3 of each cleared and bit
// 5 set, which keeps every f16 scale and bf16 value finite and below 1/2 and every f32 scale (Q4_CPU,
// Q8_CPU) and bf16 value a normal number: with the top byte 0, one in 32 was a denormal, and on
// Intel hosts every operation on one takes a microcode assist (Q8_CPU's LM head 5x slower).
Result<ops::Tensor> filled(vk::Device& device, DType type, std::vector<int64_t> shape)
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    if (isQuantized(type) || type == DType::BF16) {
        ATELIER_ASSIGN(ops::Tensor t, ops::Tensor::create(device, type, std::move(shape)));
        std::vector<uint8_t> bytes(t.bytes());
        uint32_t s = 12345;
        for (uint8_t& b : bytes) {
            s = s * 1664525u + 1013904223u;
            b = uint8_t((s >> 24) & 0x37) | 0x20;
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

// The same through the int8 dot-product path (ops/matvec_int8.h), forced. Each call reads another
// of three copies of a, so that every call quantizes its activations as a lone matmul does (calls
// on one input, q, k and v, share one quantization).
Result<Case> matmulInt8Case(vk::Device& device, DType weights, int64_t m, int64_t k, int64_t n)
{
    if (!ops::int8MatvecRuns(device.info()))
        return makeError(ErrorCode::Unsupported, "bench ops: this device has no shaderIntegerDotProduct");
    ATELIER_ASSIGN(Case c, matmulCase(device, weights, m, k, n));
    c.kernel += " int8";
    for (int i = 0; i < 2; ++i) {
        ATELIER_ASSIGN(auto a, filled(device, DType::F32, {m, k}));
        c.tensors.push_back(std::move(a));
    }
    c.call = [next = 0](vk::CommandBatch& b, std::vector<ops::Tensor>& t) mutable {
        ops::MatmulOptions o;
        o.int8 = ops::MatmulOptions::Int8::On;
        const size_t a = next == 0 ? 0 : size_t(2 + next);
        next = (next + 1) % 3;
        return ops::matmul(b, t[a], t[1], t[2], o);
    };
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

// A case to build on demand (only one case's tensors are alive at a time), with its name for
// --filter: the kernel and size it will report.
struct CaseMaker {
    std::string name;
    std::function<Result<Case>(vk::Device&)> make;
};

std::string matmulName(DType t, int64_t m, int64_t k, int64_t n)
{
    return std::string("matmul ") + dtypeName(t) + " M=" + std::to_string(m) + " K=" + std::to_string(k) +
           " N=" + std::to_string(n);
}

CaseMaker matmulMaker(DType t, int64_t m, int64_t k, int64_t n)
{
    return {matmulName(t, m, k, n), [=](vk::Device& d) { return matmulCase(d, t, m, k, n); }};
}

CaseMaker matmulInt8Maker(DType t, int64_t m, int64_t k, int64_t n)
{
    return {matmulName(t, m, k, n) + " int8", [=](vk::Device& d) { return matmulInt8Case(d, t, m, k, n); }};
}

CaseMaker addMaker(int64_t n) { return {"add f32", [=](vk::Device& d) { return addCase(d, n); }}; }

CaseMaker rowMaker(bool softmax, int64_t rows, int64_t n)
{
    return {softmax ? "softmax" : "rmsnorm f32", [=](vk::Device& d) { return rowCase(d, softmax, rows, n); }};
}

std::vector<CaseMaker> caseList(const vk::Device& device, bool quick)
{
    if (quick)
        return {addMaker(1 << 20),           matmulMaker(DType::F32, 1, 1024, 1024),
                matmulMaker(DType::F16, 1, 1024, 1024), matmulMaker(DType::F16, 64, 256, 256),
                rowMaker(true, 64, 1024),    rowMaker(false, 64, 1024)};
    std::vector<CaseMaker> cases = {
        addMaker(1 << 20),
        addMaker(16 << 20),
        matmulMaker(DType::F32, 1, 4096, 4096),
        matmulMaker(DType::F16, 1, 4096, 4096),
        matmulMaker(DType::F16, 512, 1024, 1024),
        matmulMaker(DType::F16, 512, 2048, 2048),
        rowMaker(true, 512, 4096),
        rowMaker(false, 512, 4096),
    };
    // Decode-like (one row of a) and prompt-like rows against the common GGUF weight types.
    for (DType t : {DType::Q4_K, DType::Q6_K, DType::Q8_0, DType::Q4_0}) {
        cases.push_back(matmulMaker(t, 1, 2048, 2048));
        cases.push_back(matmulMaker(t, 1, 4096, 4096));
        cases.push_back(matmulMaker(t, 512, 2048, 2048));
    }
    // Every weight type at decode (M = 1) and at a short and a longer prompt, in Gemma 3 270M's
    // shapes: K = 640 (its width; not a multiple of 256, so K-quant files fall back to q5_0 / q8_0
    // there) for the 32-value block types, K = 2048 (its FFN) for the rest.
    // Q4_CPU and Q8_CPU: what CPU devices hold Q4_K, Q6_K and Q8_0 as (core/cpu_repack.h).
    for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                    DType::Q8_0, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q4_CPU, DType::Q8_CPU}) {
        const int64_t k = dtypeInfo(t).blockElements == 32 ? 640 : 2048;
        for (int64_t m : {1, 8, 64})
            cases.push_back(matmulMaker(t, m, k, 2048));
    }
    // The int8 dot-product path beside the float matrix-vector kernels above, on devices that run it
    // (every covered type at decode and 8 rows in the same shapes, the 4096-wide ones at decode).
    if (ops::int8MatvecRuns(device.info())) {
        for (DType t : {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q4_K, DType::Q5_K,
                        DType::Q6_K}) {
            const int64_t k = dtypeInfo(t).blockElements == 32 ? 640 : 2048;
            for (int64_t m : {1, 8})
                cases.push_back(matmulInt8Maker(t, m, k, 2048));
        }
        for (DType t : {DType::Q4_K, DType::Q6_K, DType::Q8_0, DType::Q4_0})
            cases.push_back(matmulInt8Maker(t, 1, 4096, 4096));
    }
    // Gemma 3 270M's other decode shapes, in the types a CPU device holds its Q4_K_M file as: q, k
    // and v (K = 640, N = 1024 and 256), the attention output (K = 1024, N = 640), the FFN's down
    // projection (K = 2048, N = 640).
    for (DType t : {DType::Q5_0, DType::Q4_CPU, DType::Q8_CPU})
        for (auto [k, n] : {std::pair<int64_t, int64_t>{640, 1024}, {640, 256}, {1024, 640}, {2048, 640}})
            cases.push_back(matmulMaker(t, 1, k, n));
    // Gemma 3's LM head: the tied q8_0 embedding, 262144 x 640 (170 MiB, bound in two windows).
    cases.push_back(matmulMaker(DType::Q8_0, 1, 640, 262144));
    cases.push_back(matmulMaker(DType::Q8_CPU, 1, 640, 262144)); // the same, as CPU devices hold it
    return cases;
}

std::string row(const char* a, const char* b, const char* c, const char* d, const char* e, const char* f,
                const char* g)
{
    char line[160];
    std::snprintf(line, sizeof line, "%-12s %-22s %10s %10s %10s %9s %10s\n", a, b, c, d, e, f, g);
    return line;
}

std::string number(double v, const char* format)
{
    char s[32];
    std::snprintf(s, sizeof s, format, v);
    return s;
}

// CPU time (user + system) of this process so far, in milliseconds: on a CPU device (lavapipe) the
// work of a kernel, which other processes on a busy machine stretch in wall time but not here.
double processCpuMs()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto ms = [](const timeval& t) { return double(t.tv_sec) * 1e3 + double(t.tv_usec) * 1e-3; };
    return ms(u.ru_utime) + ms(u.ru_stime);
}

// Median milliseconds per call over the timed repetitions, the GPU's own mean when profiling, and
// the process's mean CPU time per call.
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
    const double cpu0 = processCpuMs();
    for (int i = 0; i < s.reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        ATELIER_TRY(rep());
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                     s.callsPerRep);
    }
    const double cpuMs = (processCpuMs() - cpu0) / (s.reps * s.callsPerRep);
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
               number(cpuMs, "%.3f").c_str(), number(c.flops / median * 1e-6, "%.1f").c_str(), number(c.bytes / median * 1e-6, "%.2f").c_str());
    out.flush();
    return {};
}

} // namespace

Status runOpsBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out)
{
    Settings s;
    std::string filter; // --filter TEXT: only cases whose "kernel size" contains TEXT
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--quick")
            s = {true, 1, 3, 2};
        else if (args[i] == "--filter" && i + 1 < args.size())
            filter = args[++i];
        else
            return makeError(ErrorCode::InvalidArgument, "bench ops: unknown option " + args[i]);
    }
    out << "device: " << device.info().name << (s.quick ? " (quick)" : "") << "\n";
    out << row("kernel", "size", "median ms", "gpu ms", "cpu ms", "GFLOP/s", "GB/s");
    for (const CaseMaker& maker : caseList(device, s.quick && filter.empty())) {
        if (!filter.empty() && maker.name.find(filter) == std::string::npos)
            continue;
        ATELIER_ASSIGN(Case c, maker.make(device));
        ATELIER_TRY(timeCase(device, c, s, out));
    }
    return runDiffusionOpsBench(device, args, out);
}

} // namespace atelier::bench
