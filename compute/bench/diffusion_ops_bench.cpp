#include "bench/diffusion_ops_bench.h"

#include "ops/channels.h"
#include "ops/conv2d.h"
#include "ops/gelu.h"
#include "ops/group_norm.h"
#include "ops/sequence_attention.h"
#include "vk/device.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

namespace atelier::bench {

namespace {

// One kernel at one size: its tensors, one call, and its nominal work per call.
struct Case {
    std::string kernel, size;
    double flops = 0, bytes = 0;
    std::vector<ops::Tensor> tensors;
    std::function<Status(vk::CommandBatch&, std::vector<ops::Tensor>&)> call;
};

template <typename... T>
void own(std::vector<ops::Tensor>& tensors, T&&... t)
{
    (tensors.push_back(std::forward<T>(t)), ...);
}

struct Maker {
    std::string name; // "kernel size", for --filter
    bool quick;       // part of --quick
    std::function<Result<Case>(vk::Device&)> make;
};

// Deterministic values in [-1, 1) (timing does not depend on them), scaled.
Result<ops::Tensor> filled(vk::Device& device, DType type, std::vector<int64_t> shape, float scale = 1.0f)
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    uint32_t s = 12345;
    for (float& x : v) {
        s = s * 1664525u + 1013904223u;
        x = (float(s >> 8) / float(1u << 23) - 1.0f) * scale;
    }
    return ops::Tensor::fromFloats(device, type, std::move(shape), v);
}

std::string dims(std::initializer_list<int64_t> d, const char* sep = "x")
{
    std::string s;
    for (int64_t v : d)
        s += (s.empty() ? "" : sep) + std::to_string(v);
    return s;
}

// SD's ResnetBlock2D convolution: 3x3, padding 1, f16 weights, bias (and the residual for conv2).
Maker convMaker(DType act, int64_t batch, int64_t hw, int64_t inC, int64_t outC, int64_t k, bool quick)
{
    const std::string kernel = std::string("conv2d ") + dtypeName(act) + "/f16";
    const std::string size = dims({batch, hw, hw, inC}) + " k" + std::to_string(k) + " ->" + std::to_string(outC);
    return {kernel + " " + size, quick, [=](vk::Device& d) -> Result<Case> {
                Case c{kernel, size};
                const int64_t pad = k / 2;
                ATELIER_ASSIGN(ops::Tensor in, filled(d, act, {batch, hw, hw, inC}));
                ATELIER_ASSIGN(ops::Tensor w, filled(d, DType::F16, {outC, k, k, inC}, 0.05f));
                ATELIER_ASSIGN(ops::Tensor b, filled(d, DType::F16, {outC}));
                ATELIER_ASSIGN(ops::Tensor out, ops::Tensor::create(d, act, {batch, hw, hw, outC}));
                c.flops = 2.0 * double(batch * hw * hw) * double(outC) * double(k * k * inC);
                c.bytes = double(in.bytes() + w.bytes() + out.bytes());
                own(c.tensors, std::move(in), std::move(w), std::move(b), std::move(out));
                c.call = [pad](vk::CommandBatch& batch, std::vector<ops::Tensor>& t) {
                    ops::Conv2dOptions o;
                    o.pad = uint32_t(pad);
                    o.bias = &t[2];
                    return ops::conv2d(batch, t[0], t[1], t[3], o);
                };
                return c;
            }};
}

Maker attentionMaker(DType type, int64_t batch, int64_t nq, int64_t nk, int64_t heads, int64_t headDim, bool quick)
{
    const std::string kernel = std::string("attention ") + dtypeName(type);
    const std::string size = dims({batch, nq, nk}) + " " + std::to_string(heads) + "x" + std::to_string(headDim);
    return {kernel + " " + size, quick, [=](vk::Device& d) -> Result<Case> {
                Case c{kernel, size};
                ATELIER_ASSIGN(ops::Tensor q, filled(d, type, {batch, nq, heads, headDim}));
                ATELIER_ASSIGN(ops::Tensor k, filled(d, type, {batch, nk, heads, headDim}));
                ATELIER_ASSIGN(ops::Tensor v, filled(d, type, {batch, nk, heads, headDim}));
                ATELIER_ASSIGN(ops::Tensor out, ops::Tensor::create(d, type, {batch, nq, heads, headDim}));
                c.flops = 4.0 * double(batch * heads) * double(nq) * double(nk) * double(headDim);
                c.bytes = double(q.bytes() + k.bytes() + v.bytes() + out.bytes());
                own(c.tensors, std::move(q), std::move(k), std::move(v), std::move(out));
                c.call = [](vk::CommandBatch& batch, std::vector<ops::Tensor>& t) {
                    return ops::sequenceAttention(batch, t[0], t[1], t[2], t[3]);
                };
                return c;
            }};
}

Maker groupNormMaker(DType act, int64_t batch, int64_t hw, int64_t channels, bool silu, bool quick)
{
    const std::string kernel = std::string("group norm ") + dtypeName(act) + (silu ? "+silu" : "");
    const std::string size = dims({batch, hw, hw, channels}) + " g32";
    return {kernel + " " + size, quick, [=](vk::Device& d) -> Result<Case> {
                Case c{kernel, size};
                ATELIER_ASSIGN(ops::Tensor x, filled(d, act, {batch, hw * hw, channels}));
                ATELIER_ASSIGN(ops::Tensor g, filled(d, DType::F32, {channels}));
                ATELIER_ASSIGN(ops::Tensor b, filled(d, DType::F32, {channels}));
                ATELIER_ASSIGN(ops::Tensor out, ops::Tensor::create(d, act, {batch, hw * hw, channels}));
                c.flops = 8.0 * double(x.numel());
                c.bytes = 3.0 * double(x.bytes()) + double(out.bytes()); // x is read three times
                own(c.tensors, std::move(x), std::move(g), std::move(b), std::move(out));
                c.call = [silu](vk::CommandBatch& batch, std::vector<ops::Tensor>& t) {
                    ops::GroupNormOptions o;
                    o.silu = silu;
                    return ops::groupNorm(batch, t[0], t[1], t[2], t[3], o);
                };
                return c;
            }};
}

Maker layerNormMaker(int64_t rows, int64_t n, bool quick)
{
    const std::string size = dims({rows, n});
    return {"layer norm f32 " + size, quick, [=](vk::Device& d) -> Result<Case> {
                Case c{"layer norm f32", size};
                ATELIER_ASSIGN(ops::Tensor x, filled(d, DType::F32, {rows, n}));
                ATELIER_ASSIGN(ops::Tensor g, filled(d, DType::F32, {n}));
                ATELIER_ASSIGN(ops::Tensor b, filled(d, DType::F32, {n}));
                ATELIER_ASSIGN(ops::Tensor out, ops::Tensor::create(d, DType::F32, {rows, n}));
                c.flops = 8.0 * double(x.numel());
                c.bytes = 3.0 * double(x.bytes()) + double(out.bytes());
                own(c.tensors, std::move(x), std::move(g), std::move(b), std::move(out));
                c.call = [](vk::CommandBatch& batch, std::vector<ops::Tensor>& t) {
                    return ops::layerNorm(batch, t[0], t[1], t[2], t[3]);
                };
                return c;
            }};
}

Maker gegluMaker(int64_t rows, int64_t n, bool quick)
{
    const std::string size = dims({rows, 2 * n}) + " ->" + std::to_string(n);
    return {"geglu erf f32 " + size, quick, [=](vk::Device& d) -> Result<Case> {
                Case c{"geglu erf f32", size};
                ATELIER_ASSIGN(ops::Tensor x, filled(d, DType::F32, {rows, 2 * n}, 4.0f));
                ATELIER_ASSIGN(ops::Tensor out, ops::Tensor::create(d, DType::F32, {rows, n}));
                c.flops = 20.0 * double(out.numel());
                c.bytes = double(x.bytes() + out.bytes());
                own(c.tensors, std::move(x), std::move(out));
                c.call = [](vk::CommandBatch& batch, std::vector<ops::Tensor>& t) {
                    return ops::geglu(batch, t[0], t[1]);
                };
                return c;
            }};
}

// SD 1.5 at 512 x 512 (a 64 x 64 latent), batch 1 and 2 (classifier-free guidance).
std::vector<Maker> cases()
{
    return {
        convMaker(DType::F32, 1, 64, 320, 320, 3, true),
        convMaker(DType::F16, 1, 64, 320, 320, 3, false),
        convMaker(DType::F32, 2, 64, 320, 320, 3, false),
        convMaker(DType::F32, 1, 32, 640, 640, 3, false),
        convMaker(DType::F32, 1, 16, 1280, 1280, 3, false),
        convMaker(DType::F32, 1, 64, 640, 320, 1, false),
        // The VAE decoder's f16 convolutions at a 256 x 256 picture (the 512 x 512 ones are 4x the pixels).
        convMaker(DType::F16, 1, 32, 512, 512, 3, false),
        convMaker(DType::F16, 1, 128, 256, 256, 3, false),
        convMaker(DType::F16, 1, 256, 128, 128, 3, false),
        attentionMaker(DType::F32, 1, 4096, 4096, 8, 40, true),
        attentionMaker(DType::F16, 1, 4096, 4096, 8, 40, false),
        attentionMaker(DType::F32, 1, 4096, 77, 8, 40, true),
        attentionMaker(DType::F32, 1, 1024, 1024, 8, 80, false),
        attentionMaker(DType::F32, 1, 256, 256, 8, 160, false),
        groupNormMaker(DType::F32, 1, 64, 320, false, true),
        groupNormMaker(DType::F32, 1, 64, 320, true, false),
        groupNormMaker(DType::F16, 2, 64, 320, true, false),
        layerNormMaker(4096, 320, false),
        gegluMaker(4096, 1280, false),
    };
}

std::string row(const char* a, const char* b, const char* c, const char* d, const char* e)
{
    char line[160];
    std::snprintf(line, sizeof line, "%-22s %-26s %10s %9s %10s\n", a, b, c, d, e);
    return line;
}

std::string number(double v, const char* format)
{
    char s[32];
    std::snprintf(s, sizeof s, format, v);
    return s;
}

} // namespace

Status runDiffusionOpsBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out)
{
    bool quick = false;
    std::string filter;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--quick")
            quick = true;
        else if (args[i] == "--filter" && i + 1 < args.size())
            filter = args[++i];
    }
    const int warmups = 1, reps = quick ? 2 : 5;
    bool header = false;
    for (const Maker& m : cases()) {
        if (filter.empty() ? quick && !m.quick : m.name.find(filter) == std::string::npos)
            continue;
        if (!header) {
            out << "\ndiffusion kernels\n" << row("kernel", "size", "median ms", "GFLOP/s", "GB/s");
            header = true;
        }
        ATELIER_ASSIGN(Case c, m.make(device));
        auto run = [&] { return device.execute([&](vk::CommandBatch& b) { return c.call(b, c.tensors); }); };
        for (int i = 0; i < warmups; ++i)
            ATELIER_TRY(run());
        std::vector<double> ms;
        for (int i = 0; i < reps; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            ATELIER_TRY(run());
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        const double median = ms[ms.size() / 2];
        out << row(c.kernel.c_str(), c.size.c_str(), number(median, "%.2f").c_str(),
                   number(c.flops / median * 1e-6, "%.1f").c_str(), number(c.bytes / median * 1e-6, "%.2f").c_str());
        out.flush();
    }
    return {};
}

} // namespace atelier::bench
