#include "ops/matmul.h"

#include "core/host_cpu.h"
#include "ops/grid.h"
#include "ops/matvec_int8.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <bit>

namespace atelier::ops {

namespace {

// A kernel and its blocking: each workgroup covers blockM rows of a and blockN rows of b.
struct Kernel {
    bool vec = false;  // a matrix-vector kernel: blockM is the rows of a per pass, one dispatch each
    bool rows = false; // matvec_rows (vec too): a and b are texel buffers; passes of powers of two
                       // rows, the whole ones of blockM rows in one dispatch (workgroup z)
    bool batch = false; // matvec_rows_batch: several rows of a, each value fetched where it is used
    uint32_t blockM = 0, blockN = 0;
    // matvec: {workgroup, ROWS, UNROLL}; matvec_rows: {workgroup, R}; tiled: {workgroup, BM, BN, BK, TM, TN}
    std::vector<uint32_t> spec;
};

// The rows kernel over several rows of a: rows of b per invocation (R) and rows of a per pass,
// measured at M = 64 on lavapipe (Mesa 22.3, a 2-core AVX-512 EPYC) over R in 1..16 and passes of
// 1..16 rows, all passes in one dispatch (GFLOP/s, the choice first, R 1 x 16 rows after it): q4_0
// 38.7 (14.3), q8_0 37.3 (13.9), q5_0 29.3 (13.7), Q4_CPU 28.1 (10.0), Q8_CPU 27.7 (9.6), f16 23.1
// (18.3); q4_k is best at 1 x 16 (18.0). R 8 x 4 rows was faster still (q4_0 48.2, q5_0 35.7) but
// holds 32 accumulators, and products past 16 fell into cliffs 3-5x slower elsewhere (spills), so
// every choice keeps R x rows <= 16, which a CPU with 16 vector registers (AVX2) holds too, except
// where the host has 32 (AVX-512), which session 7 measured on the same machine: q4_0 38.9 -> 48.4
// at 8 x 4, q4_1 39.9 -> 49.8, q8_0 37.0 -> 45.3, q5_0 29.6 -> 42.6, Q4_CPU 27.7 -> 33.7, Q8_CPU
// 27.5 -> 34.2, and at 4 x 8 f16 27.9 -> 36.2, f32 21.4 -> 25.9, bf16 24.2 -> 29.7 (q5_1 at 8 x 4:
// 7.2; 4 x 8 for the block types: 5-8).
struct RowsBatchShape {
    uint32_t rowsOfB;  // R: rows of b per invocation
    uint32_t passRows; // rows of a per pass
};
RowsBatchShape rowsBatchShape(DType b)
{
    // 32 accumulators where the host has 32 vector registers (AVX-512): the same sweep's best there.
    const bool wide = hostVectorRegisters() >= 32;
    switch (b) {
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q8_0:
    case DType::Q4_CPU: // Q4_1's layout
    case DType::Q8_CPU: // Q8_0's values
    case DType::Q5_0: return wide ? RowsBatchShape{8, 4} : b == DType::Q5_0 ? RowsBatchShape{8, 2} : RowsBatchShape{4, 4};
    case DType::Q5_1: return {8, 2}; // 8 x 4 fell off a cliff (7 GFLOP/s)
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K: return {1, 16};
    default: return wide ? RowsBatchShape{4, 8} : RowsBatchShape{2, 8}; // f32, f16, bf16
    }
}

// Shapes measured on an H100 (and checked on lavapipe). Matrix-vector: 128 invocations over 2 rows
// of b, 2 vec4 steps per iteration, streams f16 and f32 weights at 2.6-2.8 TB/s; other choices were
// within 10%. Block types take one 16-value group (4 vec4s) per step: on lavapipe a second step
// made q4_k and q6_k 5x slower (AVX2's 16 registers spill); not yet measured on a GPU.
// Tiled: 64 x 64 blocks of 4 x 4 micro-tiles keep the GPU busy at moderate sizes; 128 x 128 blocks
// of 8 x 8 win once there are many blocks, and on CPU devices, where fewer and fatter workgroups
// pay off.
Result<Kernel> chooseKernel(const vk::DeviceInfo& info, DType b, uint64_t M, uint64_t N, uint64_t K,
                            const MatmulOptions& options)
{
    // CPU devices (lavapipe): 16 invocations of 2 rows each. Texel fetches compile to straight
    // vector code there while storage-buffer loads go lane by lane: 4-8x faster than matvec.comp
    // on Gemma 3 270M's weights. Fewer rows per invocation left more of a's fetches unshared, more
    // spilled registers. Several rows of a (prompts) take one row of b per invocation and fetch a
    // as they use it, and beat the tiled kernel there too (rowsBatchShape).
    const bool cpu = info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    const bool cpuLayout = b == DType::Q4_CPU || b == DType::Q8_CPU;
    if (cpuLayout && options.path != MatmulOptions::Path::Auto && options.path != MatmulOptions::Path::MatrixVectorRows)
        return makeError(ErrorCode::Unsupported, std::string("matmul: ") + dtypeName(b) + " weights have only the rows kernel");
    if (options.path == MatmulOptions::Path::MatrixVectorRows ||
        (options.path == MatmulOptions::Path::Auto && (cpu || cpuLayout) && rowsKernelFits(b, K) &&
         (b != DType::Q6_K || M > 1))) { // q6_k decode: 210-byte blocks realigned each time made it 0.9x of matvec.comp
        if (!rowsKernelFits(b, K))
            return makeError(ErrorCode::Unsupported, "matmul: the row-per-invocation kernel needs K % 4 == 0 and 16-byte rows");
        if (M > 1) {
            const RowsBatchShape s = rowsBatchShape(b);
            return Kernel{true, true, isQuantized(b), s.passRows, 16 * s.rowsOfB, {16, s.rowsOfB}};
        }
        // One row of a: every lane fetches the same texels of a, so more rows of b per invocation
        // share them. 32-value block types take 8 on wide matrices (Sapphire Rapids host, Mesa 22.3:
        // Gemma's LM head, Q8_CPU 262144 x 640, 21.6 -> 17.8 ms; q4_0 4096 x 4096 2.0 -> 1.3 ms),
        // and from 256 rows a host thread (two workgroups of 128 rows each): on 2 threads Gemma's
        // 640-row output projections with their residual seams took 5.1 ms a token at 2 rows, 4.4
        // at 4, 3.7 at 8 (GPU time). Narrower ones keep 2 so that every thread has workgroups.
        const uint32_t blockK = dtypeInfo(b).blockElements;
        const uint64_t wide = std::min<uint64_t>(4096, 256 * uint64_t(hostThreads()));
        const uint32_t rows = blockK == 256 ? 1 : blockK == 32 && N >= wide ? 8 : 2;
        return Kernel{true, true, false, 1, rows * 16, {16, rows}};
    }
    if (options.path == MatmulOptions::Path::MatrixVector ||
        (options.path == MatmulOptions::Path::Auto && M <= uint64_t(kMatrixVectorMaxRows))) {
        // CPU devices (lavapipe) run a workgroup's invocations as SIMD lanes of one thread: small
        // workgroups keep more threads busy (Gemma 3 270M decodes in 0.4 s/token instead of 1.05).
        const uint32_t invocations = cpu ? 32 : 128;
        return Kernel{true, false, false, uint32_t(kMatrixVectorPassRows), 2, {invocations, 2, isQuantized(b) ? 1u : 2u}};
    }
    const bool largeFits = info.maxSharedMemory >= 2 * 16 * 129 * 4 && info.maxWorkgroupInvocations >= 256;
    const uint64_t largeBlocks = ((M + 127) / 128) * ((N + 127) / 128);
    uint32_t rows = options.tileRows;
    if (rows == 0)
        rows = largeFits && (info.type == VK_PHYSICAL_DEVICE_TYPE_CPU || largeBlocks >= 512) ? 128 : M <= 32 ? 32 : 64;
    switch (rows) {
    case 32:
        return Kernel{false, false, false, 32, 64, {128, 32, 64, 16, 4, 4}};
    case 64:
        return Kernel{false, false, false, 64, 64, {256, 64, 64, 16, 4, 4}};
    case 128:
        if (largeFits)
            return Kernel{false, false, false, 128, 128, {256, 128, 128, 16, 8, 8}};
        return makeError(ErrorCode::Unsupported, "matmul: 128-row tiles need more shared memory than this device has");
    default:
        return makeError(ErrorCode::InvalidArgument, "matmul: tile rows must be 32, 64 or 128");
    }
}

Status checkShapes(const Tensor& a, const Tensor& b, const Tensor& out)
{
    const std::string what = "matmul of a " + a.shapeText() + " and b " + b.shapeText() + " into " + out.shapeText();
    if (a.dtype != DType::F32 || out.dtype != DType::F32)
        return makeError(ErrorCode::InvalidArgument, what + ": a and out must be f32");
    if (a.shape.empty() || b.shape.size() != 2)
        return makeError(ErrorCode::InvalidArgument, what + ": expected a [..., K] and b [N, K]");
    if (b.dim(1) != a.dim(-1))
        return makeError(ErrorCode::InvalidArgument, what + ": K differs between a and b");
    std::vector<int64_t> expected = a.shape;
    expected.back() = b.dim(0);
    if (out.shape != expected)
        return makeError(ErrorCode::InvalidArgument, what + ": out must have the shape of a with N last");
    return {};
}

// Where the epilogue's parts put columns [n0, n0 + nc) of rows [m0, m0 + mc): the first and one past
// the last element of out they touch.
std::pair<uint64_t, uint64_t> partSpan(const MatmulEpilogue& e, uint64_t N, uint64_t m0, uint64_t mc, uint64_t n0,
                                       uint64_t nc)
{
    const uint64_t columns = N / e.parts;
    const uint64_t p0 = n0 / columns, p1 = (n0 + nc - 1) / columns;
    const uint64_t first = p0 * e.partStride + m0 * columns + (p0 == p1 ? n0 % columns : 0);
    const uint64_t last = p1 * e.partStride + (m0 + mc - 1) * columns + (p0 == p1 ? (n0 + nc - 1) % columns : columns - 1);
    return {first, last + 1};
}

// One dispatch of the rows kernel with its epilogue over rows [m0, m0 + mc) and columns [n0, n0 + nc)
// of the whole product.
Status dispatchEpilogue(vk::CommandBatch& batch, const vk::Pipeline& pipeline, const MatmulEpilogue& e,
                        const ElementWindow& aw, const ElementWindow& bw, Tensor& out, uint64_t M, uint64_t N,
                        uint64_t K, uint64_t m0, uint64_t mc, uint64_t n0, uint64_t nc, uint32_t groupsN,
                        uint32_t passes)
{
    (void)M;
    vk::Device& device = batch.device();
    const uint64_t align = device.allocator().alignment();
    const uint64_t columns = N / e.parts;
    const auto [first, end] = partSpan(e, N, m0, mc, n0, nc);
    const ElementWindow ow = out.window(first, end - first, align);
    // Element 0 of part 0, row m0, relative to the window (wrapping below it: the shader adds it back).
    const uint32_t outOffset = uint32_t(uint64_t(ow.offset) - first + m0 * columns);
    vk::BufferRange biasRange = aw.range; // bound but unread without a bias
    uint32_t biasOffset = 0;
    if (e.bias) {
        const ElementWindow bias = e.bias->window(n0, nc, align);
        biasRange = bias.range;
        biasOffset = uint32_t(uint64_t(bias.offset) - n0);
    }
    const shader::MatmulEpiloguePush push{uint32_t(mc), uint32_t(nc),        uint32_t(K),       aw.offset,
                                          bw.offset,    outOffset,           uint32_t(columns), biasOffset,
                                          uint32_t(n0), uint32_t(columns),   uint32_t(e.partStride)};
    const vk::Binding outBinding = e.residual ? vk::readWriteOf(ow.range) : vk::writeOf(ow.range);
    const Grid g = grid1d(groupsN, 1, device.info().maxWorkgroupCount[0]);
    return batch.dispatch(pipeline, {vk::readOf(aw.range), vk::readOf(bw.range), outBinding, vk::readOf(biasRange)},
                          push, g.x, g.y, passes);
}

} // namespace

// Whether ops::matmul takes the int8 path (MatmulOptions::int8).
static bool takesInt8(const vk::DeviceInfo& info, DType b, uint64_t M, uint64_t K, const MatmulOptions& options)
{
    MatmulOptions::Int8 mode = options.int8;
    if (mode == MatmulOptions::Int8::Auto) {
        if (const auto env = int8MatvecFromEnvironment())
            mode = *env ? MatmulOptions::Int8::On : MatmulOptions::Int8::Off;
    }
    if (mode == MatmulOptions::Int8::Off || !int8MatvecCovers(b, K))
        return false;
    if (mode == MatmulOptions::Int8::On)
        return options.path == MatmulOptions::Path::Auto || options.path == MatmulOptions::Path::MatrixVector;
    return options.path == MatmulOptions::Path::Auto && M <= uint64_t(kMatrixVectorMaxRows) && int8MatvecPreferred(info);
}

bool rowsKernelFits(DType b, uint64_t K)
{
    return K % 4 == 0 && (isQuantized(b) || storageBytes(b, K) % 16 == 0);
}

// Bytes a binding may span from its aligned start: `data` for a and out (storage buffers, and a a
// texel buffer too in the rows kernel), `weights` for b, which the rows kernel reads through a
// texel buffer with a limit of its own (lavapipe: 2 GiB against 128 MiB for a storage buffer, so
// Gemma 3's 210 MB LM head is one dispatch instead of two).
struct BindingRoom {
    uint64_t data, weights;
};
static BindingRoom bindingRoom(const vk::DeviceInfo& info, bool rows, uint64_t align, uint64_t maxBindingBytes)
{
    const uint64_t texelLimit = info.maxTexelBufferElements * 16;
    uint64_t data = rows ? std::min(info.maxStorageBufferRange, texelLimit) : info.maxStorageBufferRange;
    uint64_t weights = rows ? texelLimit : info.maxStorageBufferRange;
    if (maxBindingBytes) {
        data = std::min(data, maxBindingBytes);
        weights = std::min(weights, maxBindingBytes);
    }
    return {data > align ? data - align : 0, weights > align ? weights - align : 0};
}

// The matmul and its optional epilogue (the rows kernel only).
static Status record(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out, const MatmulOptions& options,
              const MatmulEpilogue* epilogue)
{
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t K = uint64_t(a.dim(-1));
    const uint64_t N = uint64_t(b.dim(0));
    const uint64_t M = uint64_t(a.numel()) / K;
    ATELIER_ASSIGN(const Kernel kernel, chooseKernel(info, b.dtype, M, N, K, options));
    if (epilogue && (!kernel.rows || kernel.batch))
        return makeError(ErrorCode::Unsupported, "matmul: only the rows kernel over plain weights fuses an epilogue");
    batch.countFlops(2.0 * double(M) * double(N) * double(K));

    // Each binding may start up to align - 1 bytes before its data.
    const uint64_t align = device.allocator().alignment();
    const BindingRoom bound = bindingRoom(info, kernel.rows, align, options.maxBindingBytes);
    const uint64_t room = bound.data;
    uint64_t nStep = bound.weights / storageBytes(b.dtype, K);
    uint64_t mStep = room / (std::max(K, N) * 4);
    if (nStep == 0 || mStep == 0)
        return makeError(ErrorCode::Unsupported, "matmul: rows of K = " + std::to_string(K) + " or N = " +
                                                     std::to_string(N) + " are too long to bind");
    nStep = nStep >= kernel.blockN ? nStep / kernel.blockN * kernel.blockN : nStep;
    mStep = kernel.vec ? std::min<uint64_t>(mStep, kernel.blockM)
                       : mStep >= kernel.blockM ? mStep / kernel.blockM * kernel.blockM : mStep;

    const std::string type = dtypeName(b.dtype);
    const bool subgroups = info.subgroupArithmetic() && !options.sharedReduction;
    // The rows kernel: as many whole passes as one binding of a and out holds in one dispatch (one
    // pass per workgroup z; each dispatch cost lavapipe a thread wake-up, and prompts took thousands),
    // then the rest in passes of fewer rows.
    const uint64_t bindRows = room / (std::max(K, N) * 4);
    for (uint64_t m0 = 0, mc = 0, passes = 1; m0 < M; m0 += mc) {
        mc = std::min(mStep, M - m0);
        uint64_t passRows = mc;
        if (kernel.rows) {
            passRows = std::bit_floor(mc); // each count of rows is another pipeline to compile
            passes = passRows == kernel.blockM ? std::min<uint64_t>({(M - m0) / passRows, bindRows / passRows,
                                                                     info.maxWorkgroupCount[2]})
                                               : 1;
            mc = passRows * passes;
        }
        vk::PipelineDesc desc{"matmul_" + type, 3, sizeof(shader::MatmulPush), kernel.spec};
        if (epilogue) {
            desc = {"matvec_rows_epilogue_" + type, 4, sizeof(shader::MatmulEpiloguePush), kernel.spec};
            desc.specConstants.insert(desc.specConstants.begin() + 1, uint32_t(passRows));
            desc.specConstants.insert(desc.specConstants.end(), {epilogue->activation, epilogue->bias != nullptr,
                                                                 epilogue->residual});
            desc.texelBindings = 0b011;
        } else if (kernel.rows) {
            desc.shader = (kernel.batch ? "matvec_rows_batch_" : "matvec_rows_") + type;
            desc.specConstants.insert(desc.specConstants.begin() + 1, uint32_t(passRows));
            desc.texelBindings = 0b011; // a and b
            desc.sampledTexels = kernel.batch; // built with SAMPLED_TEXELS (shaders.cmake)
        } else if (kernel.vec) {
            // The matrix-vector kernel keeps one accumulator per row of a, so their count is a
            // constant; 16-byte loads need K (and so every row offset) to be a multiple of 4, which
            // rows of whole blocks are.
            desc.shader = "matvec_" + type + (subgroups ? "" : "_shared");
            desc.specConstants.insert(desc.specConstants.begin() + 2, {uint32_t(mc), K % 4 == 0});
        }
        ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get(desc));

        for (uint64_t n0 = 0; n0 < N; n0 += nStep) {
            const uint64_t nc = std::min(nStep, N - n0);
            const ElementWindow aw = a.window(m0 * K, mc * K, align);
            const ElementWindow bw = rowWindow(b, n0, nc, align);
            if (epilogue) {
                ATELIER_TRY(dispatchEpilogue(batch, *pipeline, *epilogue, aw, bw, out, M, N, K, m0, mc, n0, nc,
                                             uint32_t((nc + kernel.blockN - 1) / kernel.blockN), uint32_t(passes)));
                continue;
            }
            const ElementWindow ow = out.window(m0 * N + n0, (mc - 1) * N + nc, align);
            const shader::MatmulPush push{uint32_t(mc), uint32_t(nc), uint32_t(K), aw.offset,
                                          bw.offset,    ow.offset,    uint32_t(N)};
            const auto bindings = {vk::readOf(aw.range), vk::readOf(bw.range), vk::writeOf(ow.range)};
            const uint64_t groupsN = (nc + kernel.blockN - 1) / kernel.blockN;
            if (kernel.vec) {
                const Grid g = grid1d(groupsN, 1, info.maxWorkgroupCount[0]);
                ATELIER_TRY(batch.dispatch(*pipeline, bindings, push, g.x, g.y, uint32_t(passes)));
            } else {
                ATELIER_TRY(batch.dispatch(*pipeline, bindings, push, uint32_t(groupsN),
                                           uint32_t((mc + kernel.blockM - 1) / kernel.blockM)));
            }
        }
    }
    return {};
}

Status matmul(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out, const MatmulOptions& options)
{
    ATELIER_TRY(checkShapes(a, b, out));
    const uint64_t K = uint64_t(a.dim(-1));
    if (takesInt8(batch.device().info(), b.dtype, uint64_t(a.numel()) / K, K, options))
        return matmulInt8(batch, a, b, out, options.maxBindingBytes, options.sharedReduction);
    return record(batch, a, b, out, options, nullptr);
}

bool matmulFusesEpilogue(const vk::DeviceInfo& info, DType b, uint64_t M, uint64_t K)
{
    if (b != DType::F32 && b != DType::F16 && b != DType::BF16)
        return false;
    const auto kernel = chooseKernel(info, b, std::max<uint64_t>(M, 2), 1, K, {});
    return kernel.ok() && kernel->rows;
}

Status matmulEpilogue(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out,
                      const MatmulEpilogue& epilogue)
{
    const std::string what = "matmul epilogue of a " + a.shapeText() + " and b " + b.shapeText() + " into " +
                             out.shapeText();
    if (epilogue.parts <= 1) {
        ATELIER_TRY(checkShapes(a, b, out));
    } else {
        if (a.dtype != DType::F32 || out.dtype != DType::F32 || a.shape.empty() || b.shape.size() != 2 ||
            b.dim(1) != a.dim(-1))
            return makeError(ErrorCode::InvalidArgument, what + ": expected f32 a [..., K], b [N, K] and f32 out");
        const uint64_t M = uint64_t(a.numel() / a.dim(-1)), N = uint64_t(b.dim(0));
        if (N % epilogue.parts != 0)
            return makeError(ErrorCode::InvalidArgument, what + ": N does not split into the parts");
        const uint64_t stride = epilogue.partStride ? epilogue.partStride : M * N / epilogue.parts;
        if (stride < M * N / epilogue.parts || uint64_t(out.numel()) < (epilogue.parts - 1) * stride + M * N / epilogue.parts)
            return makeError(ErrorCode::InvalidArgument, what + ": out does not hold the parts");
    }
    if (epilogue.bias && (epilogue.bias->dtype != DType::F32 || epilogue.bias->numel() != b.dim(0)))
        return makeError(ErrorCode::InvalidArgument, what + ": the bias must be f32 [N], got " + epilogue.bias->shapeText());
    if (epilogue.activation > 3 || (epilogue.residual && epilogue.parts > 1))
        return makeError(ErrorCode::InvalidArgument, what + ": unknown activation, or a residual into parts");
    if (!matmulFusesEpilogue(batch.device().info(), b.dtype, uint64_t(a.numel() / a.dim(-1)), uint64_t(a.dim(-1))))
        return makeError(ErrorCode::Unsupported, what + ": this device's matmul does not fuse an epilogue");
    MatmulEpilogue e = epilogue;
    const uint64_t M = uint64_t(a.numel() / a.dim(-1)), N = uint64_t(b.dim(0));
    e.parts = std::max<uint64_t>(e.parts, 1);
    if (e.partStride == 0)
        e.partStride = M * N / e.parts;
    MatmulOptions options;
    options.path = MatmulOptions::Path::MatrixVectorRows;
    return record(batch, a, b, out, options, &e);
}

Status matmulGlu(vk::CommandBatch& batch, const Tensor& a, const Tensor& gate, const Tensor& up, Tensor& out,
                 Tensor& upScratch, GluActivation act)
{
    ATELIER_TRY(checkShapes(a, gate, out));
    ATELIER_TRY(checkShapes(a, up, upScratch));
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t K = uint64_t(a.dim(-1)), N = uint64_t(gate.dim(0)), M = uint64_t(a.numel()) / K;
    ATELIER_ASSIGN(const Kernel kernel, chooseKernel(info, gate.dtype, M, N, K, {}));
    // Prompts keep the three passes: two rows of b per invocation over 16 rows of a spill, which
    // made the fused pass 2.5x slower than two batch passes and ops::glu on lavapipe.
    // (The int8 path quantizes a once for both products: the second finds the workspace fresh.)
    if (!kernel.rows || M > 1 || up.dtype != gate.dtype || up.shape != gate.shape || takesInt8(info, gate.dtype, M, K, {})) {
        ATELIER_TRY(matmul(batch, a, gate, out));
        ATELIER_TRY(matmul(batch, a, up, upScratch));
        return glu(batch, out, upScratch, out, act);
    }
    // One row of a: one pass, in as many windows of gate and up rows as the bindings need.
    batch.countFlops(4.0 * double(N) * double(K));
    const uint64_t align = device.allocator().alignment();
    const BindingRoom bound = bindingRoom(info, true, align, 0);
    uint64_t nStep = bound.weights / storageBytes(gate.dtype, K);
    if (nStep == 0 || bound.data / (std::max(K, N) * 4) == 0)
        return makeError(ErrorCode::Unsupported, "matmulGlu: rows of K = " + std::to_string(K) + " or N = " +
                                                     std::to_string(N) + " are too long to bind");
    constexpr uint32_t kGroup = 16; // invocations
    // Rows of out per invocation: 2 share a's fetches among 4 rows of gate and up. Gemma 3 270M's FFN
    // (Q8_CPU, K = 640, N = 2048; Sapphire Rapids host, Mesa 22.3) 424-432 us a token and layer at
    // 1, 345-369 at 2, 367-377 at 4, 403-412 at 8; the 1B-shaped Llama's (Q4_CPU, 2048 x 8192)
    // 3.9 / 3.1 / 3.2 ms at 1 / 2 / 4. Narrower ones keep 1 so that every thread has workgroups.
    const uint32_t pairs = N >= 2048 ? 2 : 1;
    const uint64_t perGroup = uint64_t(kGroup) * pairs;
    nStep = nStep >= perGroup ? nStep / perGroup * perGroup : nStep;
    const uint32_t activation = act == GluActivation::SiLU ? 0 : 1; // activation.glsl's kinds
    vk::PipelineDesc desc{std::string("matvec_rows_glu_") + dtypeName(gate.dtype), 4, sizeof(shader::MatmulGluPush),
                          {kGroup, 1, 2 * pairs, activation}};
    desc.texelBindings = 0b1011; // a, gate and up
    ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get(desc));
    const ElementWindow aw = a.window(0, K, align);
    for (uint64_t n0 = 0; n0 < N; n0 += nStep) {
        const uint64_t nc = std::min(nStep, N - n0);
        const ElementWindow gw = rowWindow(gate, n0, nc, align);
        const ElementWindow uw = rowWindow(up, n0, nc, align);
        const ElementWindow ow = out.window(n0, nc, align);
        const shader::MatmulGluPush push{1, uint32_t(nc), uint32_t(K), aw.offset, gw.offset, ow.offset, uint32_t(N), uw.offset};
        const Grid g = grid1d((nc + perGroup - 1) / perGroup, 1, info.maxWorkgroupCount[0]);
        ATELIER_TRY(batch.dispatch(*pipeline,
                                   {vk::readOf(aw.range), vk::readOf(gw.range), vk::writeOf(ow.range), vk::readOf(uw.range)},
                                   push, g.x, g.y));
    }
    return {};
}

Result<bool> matmulResidualNorm(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out,
                                const ResidualNormSeam& seam)
{
    ATELIER_TRY(checkShapes(a, b, out));
    const std::string what = "matmulResidualNorm into " + out.shapeText();
    const uint64_t K = uint64_t(a.dim(-1)), N = uint64_t(b.dim(0)), M = uint64_t(a.numel()) / K;
    if (!seam.x || !seam.xn || !seam.nextWeight || seam.x->shape != out.shape || seam.xn->shape != out.shape ||
        seam.x->dtype != DType::F32 || seam.xn->dtype != DType::F32 || seam.finished.size < 4)
        return makeError(ErrorCode::InvalidArgument, what + ": x and xn must be f32 like out, with a finish counter");
    for (const Tensor* w : {seam.postWeight, seam.nextWeight})
        if (w && (w->dtype != DType::F32 || uint64_t(w->numel()) != N))
            return makeError(ErrorCode::InvalidArgument, what + ": a norm weight must be f32 [" + std::to_string(N) +
                                                             "], got " + w->shapeText());
    vk::Device& device = batch.device();
    const auto& info = device.info();
    // Subgroups of one size, whole parts of a workgroup, able to elect, broadcast and sum.
    const bool subgroupOps = info.subgroupArithmetic() && (info.subgroupOperations & VK_SUBGROUP_FEATURE_BALLOT_BIT) &&
                             info.fixedSubgroupSize();
    if (M != 1 || info.type != VK_PHYSICAL_DEVICE_TYPE_CPU || !subgroupOps || takesInt8(info, b.dtype, M, K, {}))
        return false;
    ATELIER_ASSIGN(const Kernel kernel, chooseKernel(info, b.dtype, M, N, K, {}));
    const uint64_t align = device.allocator().alignment();
    const BindingRoom bound = bindingRoom(info, kernel.rows, align, 0);
    if (!kernel.rows || kernel.batch || kernel.spec[0] % info.subgroupSize != 0 ||
        storageBytes(b.dtype, K) * N > bound.weights || std::max(K, N) * 4 > bound.data)
        return false;
    batch.countFlops(2.0 * double(N) * double(K));
    const uint32_t rowsOfB = kernel.spec[1];
    vk::PipelineDesc desc{std::string("matvec_rows_residual_norm_") + dtypeName(b.dtype), 8,
                          sizeof(shader::MatmulResidualNormPush), {kernel.spec[0], 1, rowsOfB}};
    desc.texelBindings = 0b011; // a and b
    ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get(desc));
    const ElementWindow aw = a.window(0, K, align);
    const ElementWindow bw = rowWindow(b, 0, N, align);
    const ElementWindow ow = out.window(0, N, align);
    const ElementWindow xw = seam.x->window(0, N, align);
    const ElementWindow nw = seam.xn->window(0, N, align);
    const Grid g = grid1d((N + kernel.blockN - 1) / kernel.blockN, 1, info.maxWorkgroupCount[0]);
    const uint32_t workgroup = kernel.spec[0];
    const uint64_t subgroups = uint64_t(g.x) * g.y * workgroup / info.subgroupSize;
    const shader::MatmulResidualNormPush push{1,         uint32_t(N), uint32_t(K), aw.offset,
                                              bw.offset, ow.offset,   uint32_t(N), xw.offset,
                                              nw.offset, uint32_t(subgroups), seam.postWeight ? 1u : 0u, seam.eps};
    // Without a post-norm the kernel never reads that binding; the next weight stands in for it.
    const auto postRange = (seam.postWeight ? *seam.postWeight : *seam.nextWeight).buffer.range(0, uint64_t(N) * 4);
    ATELIER_TRY(batch.dispatch(*pipeline,
                               {vk::readOf(aw.range), vk::readOf(bw.range), vk::readWriteOf(ow.range),
                                vk::readWriteOf(xw.range), vk::readOf(postRange),
                                vk::readOf(seam.nextWeight->buffer.range(0, uint64_t(N) * 4)), vk::writeOf(nw.range),
                                vk::readWriteOf(seam.finished)},
                               push, g.x, g.y));
    return true;
}

} // namespace atelier::ops
