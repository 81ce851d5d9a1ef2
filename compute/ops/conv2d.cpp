#include "ops/conv2d.h"

#include "core/host_cpu.h"
#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <cstring>

namespace atelier::ops {

namespace {

constexpr uint32_t kTileK = 16;

// A BM x BN block of out per workgroup, TM x TN per invocation: (BM / TM) * (BN / TN) invocations
// (256; 128 for narrow tiles, 64 for 16 x 16 micro-tiles).
struct Tiles {
    uint32_t bm, bn, tm, tn;
    uint32_t invocations() const { return (bm / tm) * (bn / tn); }
};

uint64_t sharedBytes(const Tiles& t) { return uint64_t(t.bm + t.bn) * (kTileK / 4 + 1) * 16; }

// 128 x 128 blocks on CPU devices and on GPUs with many blocks (as matmul), 64 x 64 blocks otherwise;
// 128 x 16 for the few output channels of conv_out layers, where a wide block would be mostly
// padding. CPU devices take 16 x 16 outputs per invocation: there each shared-memory load is a loop
// over the SIMD lanes and a larger micro-tile needs fewer per multiply-add (lavapipe: a 3x3
// 320->320 convolution at 32x32 in 0.29-0.32 s of CPU, against 0.36-0.38 s with 256 x 128 blocks of
// 16 x 8 and 0.51 s with 8 x 8; 32 x 16 was faster still, 0.26 s, but LLVM took 44 s to compile it,
// against 8 s).
Result<Tiles> chooseTiles(const vk::DeviceInfo& info, uint64_t M, uint64_t outC, uint32_t tileRows,
                          uint32_t microTile)
{
    const bool cpu = info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    if (tileRows == 0) {
        const uint64_t largeBlocks = ((M + 127) / 128) * ((outC + 127) / 128);
        const bool largeFits = sharedBytes({128, 128, 8, 8}) <= info.maxSharedMemory;
        tileRows = outC <= 16 ? 16 : largeFits && (cpu || largeBlocks >= 512) ? 128 : 64;
    }
    switch (tileRows) {
    case 16:
        return Tiles{128, 16, 4, 4};
    case 64:
        return Tiles{64, 64, 4, 4};
    case 128: {
        if (microTile == 0)
            microTile = cpu ? 16 : 8;
        if (microTile != 8 && microTile != 16)
            return makeError(ErrorCode::InvalidArgument, "conv2d: micro-tiles of 128-row blocks are 8 or 16");
        const Tiles t{128, 128, microTile, microTile};
        if (sharedBytes(t) > info.maxSharedMemory)
            return makeError(ErrorCode::Unsupported, "conv2d: 128-row tiles need more shared memory than this device has");
        return t;
    }
    default:
        return makeError(ErrorCode::InvalidArgument, "conv2d: tile rows must be 16, 64 or 128");
    }
}

bool isFloat(DType t) { return t == DType::F32 || t == DType::F16; }

Status checkShapes(const Tensor& in, const Tensor& weight, const Tensor& out, const Conv2dOptions& o)
{
    const std::string what = "conv2d of " + in.shapeText() + " with " + weight.shapeText() + " into " + out.shapeText();
    if (!isFloat(in.dtype) || out.dtype != in.dtype || !isFloat(weight.dtype))
        return makeError(ErrorCode::InvalidArgument, what + ": expected f32 or f16 in and out of one dtype, f32 or f16 weights");
    if (in.shape.size() != 4 || weight.shape.size() != 4 || out.shape.size() != 4)
        return makeError(ErrorCode::InvalidArgument,
                         what + ": expected in [batch, height, width, inC], weight [outC, kh, kw, inC], out NHWC");
    if (o.stride == 0 || o.stride > 16 || o.pad > 16)
        return makeError(ErrorCode::InvalidArgument, what + ": stride must be 1..16 and padding at most 16");
    const int64_t up = o.upsample ? 2 : 1;
    if (weight.dim(3) != in.dim(3) || in.dim(1) * up + 2 * o.pad < weight.dim(1) ||
        in.dim(2) * up + 2 * o.pad < weight.dim(2))
        return makeError(ErrorCode::InvalidArgument, what + ": channels differ or the kernel is larger than the padded input");
    const std::vector<int64_t> expected = {in.dim(0),
                                           conv2dOutputSize(in.dim(1), weight.dim(1), o.stride, o.pad, o.upsample),
                                           conv2dOutputSize(in.dim(2), weight.dim(2), o.stride, o.pad, o.upsample),
                                           weight.dim(0)};
    if (out.shape != expected)
        return makeError(ErrorCode::InvalidArgument, what + ": out must be [" + std::to_string(expected[0]) + ", " +
                                                         std::to_string(expected[1]) + ", " +
                                                         std::to_string(expected[2]) + ", " +
                                                         std::to_string(expected[3]) + "]");
    if (o.bias && (o.bias->dtype != weight.dtype || o.bias->numel() != weight.dim(0)))
        return makeError(ErrorCode::InvalidArgument, what + ": bias " + o.bias->shapeText() +
                                                         " must have outC elements of the weight's dtype");
    if (o.residual && (o.residual->dtype != out.dtype || o.residual->shape != out.shape))
        return makeError(ErrorCode::InvalidArgument, what + ": residual " + o.residual->shapeText() + " must match out");
    return {};
}

} // namespace

int64_t conv2dOutputSize(int64_t in, int64_t kernel, uint32_t stride, uint32_t pad, bool upsample)
{
    return ((upsample ? 2 * in : in) + 2 * int64_t(pad) - kernel) / int64_t(stride) + 1;
}

Status conv2d(vk::CommandBatch& batch, const Tensor& in, const Tensor& weight, Tensor& out, const Conv2dOptions& options)
{
    ATELIER_TRY(checkShapes(in, weight, out, options));
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t images = uint64_t(in.dim(0)), inH = uint64_t(in.dim(1)), inW = uint64_t(in.dim(2));
    const uint64_t inC = uint64_t(in.dim(3)), outH = uint64_t(out.dim(1)), outW = uint64_t(out.dim(2));
    const uint64_t outC = uint64_t(out.dim(3)), kh = uint64_t(weight.dim(1)), kw = uint64_t(weight.dim(2));
    const uint64_t up = options.upsample ? 1 : 0;
    batch.countFlops(2.0 * double(images * outH * outW) * double(outC) * double(kh * kw * inC));
    ATELIER_ASSIGN(const Tiles tiles, chooseTiles(info, images * outH * outW, outC, options.tileRows, options.microTile));

    // Bindings: whole images of in and out when they fit, else bands of output rows of one image
    // with the input rows under them. The weights are bound whole.
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = options.maxBindingBytes ? std::min(options.maxBindingBytes, info.maxStorageBufferRange)
                                                   : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    const uint64_t es = dtypeSize(in.dtype);
    const uint64_t inRow = inW * inC * es, outRow = outW * outC * es;
    if (weight.bytes() > room)
        return makeError(ErrorCode::Unsupported, "conv2d: weights " + weight.shapeText() + " exceed one binding");
    const uint64_t maxPixels = uint64_t(std::min<uint32_t>(info.maxWorkgroupCount[1], 65535)) * tiles.bm;
    uint64_t imageStep = std::min({room / (inH * inRow), room / (outH * outRow), maxPixels / (outH * outW)});
    uint64_t bandRows = outH;
    if (imageStep == 0) {
        imageStep = 1;
        // Output rows r need (r - 1) * stride + kh rows of the upsampled input: at most half that
        // plus one of the source.
        const uint64_t source = room / inRow;
        const uint64_t logical = up ? (source >= 1 ? 2 * (source - 1) : 0) : source;
        bandRows = std::min({outH, room / outRow, maxPixels / outW,
                             logical >= kh ? (logical - kh) / options.stride + 1 : 0});
        if (bandRows == 0)
            return makeError(ErrorCode::Unsupported, "conv2d: rows of " + in.shapeText() + " or " + out.shapeText() +
                                                         " are too long to bind");
    }

    // CPU devices: conv2d_rows.comp, when its texel reads apply (f16 weights, 8-channel runs).
    const bool rowsApply = weight.dtype == DType::F16 && inC % 8 == 0 && align % 16 == 0;
    const bool forcedRows = options.kernel == Conv2dKernel::Rows || options.kernel == Conv2dKernel::RowsPixelsFastest;
    if (forcedRows && !rowsApply)
        return makeError(ErrorCode::InvalidArgument, "conv2d: the rows kernel needs f16 weights and a multiple of 8 input channels");
    const bool rowsKernel = forcedRows || (options.kernel == Conv2dKernel::Auto && info.type == VK_PHYSICAL_DEVICE_TYPE_CPU &&
                                           options.tileRows == 0 && options.microTile == 0 && rowsApply);
    const vk::Pipeline* pipeline = nullptr;
    uint32_t rowsPixels = 0, rowsChannels = 0; // per invocation of the rows kernel
    if (rowsKernel) {
        // 4 pixels x 8 channels a invocation (32 accumulators) where the host has 32 vector
        // registers, 4 x 4 otherwise. lavapipe, AVX-512 host, 3x3 320 -> 320 at 64 x 64: 4 x 4 31
        // GFLOP/s, 8 x 4 37, 4 x 8 43, 2 x 16 35, 4 x 16 34 (the old shared-memory kernel: 14).
        rowsPixels = 4;
        rowsChannels = hostVectorRegisters() >= 32 ? 8 : 4;
        // Pixel groups fastest keeps a group of weight rows in cache while it meets every pixel;
        // where the input is much larger than the weights, channel groups fastest keeps pixels
        // (3x3 320 -> 320 at 64 x 64: 43 against 40 GFLOP/s; 1x1 640 -> 320: 35 against 39).
        const bool pixelsFastest = options.kernel == Conv2dKernel::RowsPixelsFastest ||
                                   (options.kernel != Conv2dKernel::Rows && weight.bytes() * 4 >= in.bytes() / images);
        vk::PipelineDesc desc{std::string("conv2d_rows_") + dtypeName(in.dtype), 5, sizeof(shader::Conv2dPush),
                              {64, rowsPixels, rowsChannels, uint32_t(kh), uint32_t(kw), pixelsFastest ? 1u : 0u}};
        desc.texelBindings = 0b00011;
        ATELIER_ASSIGN(pipeline, device.pipelines().get(desc));
    } else {
        // 4 channels per load when every window of the input starts 4-aligned: inC % 4 == 0 makes
        // each window's first element a multiple of 4, and the binding alignment keeps it one in
        // the window.
        const bool vec4Loads = inC % 4 == 0 && align % (4 * es) == 0;
        const std::string name = std::string("conv2d_") + dtypeName(in.dtype) + "_" + dtypeName(weight.dtype);
        ATELIER_ASSIGN(pipeline, device.pipelines().get({name, 5, sizeof(shader::Conv2dPush),
                                                         {tiles.invocations(), tiles.bm, tiles.bn, kTileK, tiles.tm,
                                                          tiles.tn, uint32_t(kh), uint32_t(kw), vec4Loads ? 1u : 0u}}));
    }
    const auto wRange = weight.buffer.range();
    const auto bRange = options.bias ? options.bias->buffer.range() : wRange;
    const int64_t height = int64_t(inH << up);

    for (uint64_t n0 = 0; n0 < images; n0 += imageStep) {
        const uint64_t nc = std::min(imageStep, images - n0);
        for (uint64_t oy0 = 0; oy0 < outH; oy0 += bandRows) {
            const uint64_t rows = std::min(bandRows, outH - oy0);
            // Input rows [first, last] under this band (all of them for whole images).
            uint64_t first = 0, last = inH - 1;
            if (rows < outH) {
                const int64_t top = int64_t(oy0 * options.stride) - int64_t(options.pad);
                const int64_t bottom = int64_t((oy0 + rows - 1) * options.stride + kh) - int64_t(options.pad) - 1;
                first = uint64_t(std::clamp<int64_t>(top, 0, height - 1)) >> up;
                last = uint64_t(std::clamp<int64_t>(bottom, 0, height - 1)) >> up;
            }
            const uint64_t inFirst = (n0 * inH + first) * inW * inC;
            const uint64_t inCount = nc == 1 ? (last - first + 1) * inW * inC : nc * inH * inW * inC;
            const uint64_t outFirst = (n0 * outH + oy0) * outW * outC;
            const uint64_t outCount = nc * rows * outW * outC;
            const ElementWindow iw = in.window(inFirst, inCount, align);
            const ElementWindow ow = out.window(outFirst, outCount, align);
            const ElementWindow rw = options.residual ? options.residual->window(outFirst, outCount, align)
                                                      : ElementWindow{wRange, 0};
            const shader::Conv2dPush push{uint32_t(nc),
                                          uint32_t(inH),
                                          uint32_t(inW),
                                          uint32_t(inC),
                                          uint32_t(rows),
                                          uint32_t(outW),
                                          uint32_t(outC),
                                          uint32_t(oy0),
                                          uint32_t(first),
                                          options.stride,
                                          options.pad,
                                          uint32_t(up),
                                          options.bias ? 1u : 0u,
                                          options.residual ? 1u : 0u,
                                          iw.offset,
                                          0,
                                          0,
                                          rw.offset,
                                          ow.offset};
            const uint64_t pixels = nc * rows * outW;
            if (rowsKernel && iw.offset % 8 != 0)
                return makeError(ErrorCode::Unsupported, "conv2d: an input window is not texel-aligned");
            // Rows kernel: a 1-D run of (pixel group, channel group) invocations; tiled: blocks.
            const Grid g = rowsKernel ? grid1d((pixels + rowsPixels - 1) / rowsPixels *
                                                   ((outC + rowsChannels - 1) / rowsChannels),
                                               64, info.maxWorkgroupCount[0])
                                      : Grid{uint32_t((outC + tiles.bn - 1) / tiles.bn),
                                             uint32_t((pixels + tiles.bm - 1) / tiles.bm)};
            ATELIER_TRY(batch.dispatch(*pipeline,
                                       {vk::readOf(iw.range), vk::readOf(wRange), vk::readOf(bRange),
                                        vk::readOf(rw.range), vk::writeOf(ow.range)},
                                       push, g.x, g.y));
        }
    }
    return {};
}

void repackConvWeight(const void* oihw, void* ohwi, size_t elementBytes, int64_t outC, int64_t inC, int64_t kh,
                      int64_t kw)
{
    const auto* src = static_cast<const uint8_t*>(oihw);
    auto* dst = static_cast<uint8_t*>(ohwi);
    for (int64_t o = 0; o < outC; ++o)
        for (int64_t i = 0; i < inC; ++i)
            for (int64_t y = 0; y < kh; ++y)
                for (int64_t x = 0; x < kw; ++x)
                    std::memcpy(dst + ((((o * kh + y) * kw + x) * inC) + i) * elementBytes,
                                src + ((((o * inC + i) * kh + y) * kw) + x) * elementBytes, elementBytes);
}

} // namespace atelier::ops
