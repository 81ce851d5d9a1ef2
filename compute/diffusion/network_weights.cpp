#include "diffusion/network_weights.h"

#include "diffusion/checkpoint.h"
#include "ops/conv2d.h"
#include "vk/device.h"

#include <cstring>

namespace atelier::diffusion {

namespace {

float sourceValue(const CheckpointTensor& t, size_t i)
{
    switch (t.dtype) {
    case io::SafetensorsDType::F16: {
        uint16_t h;
        std::memcpy(&h, t.data.data() + 2 * i, 2);
        return halfToFloat(h);
    }
    case io::SafetensorsDType::BF16: {
        uint16_t h;
        std::memcpy(&h, t.data.data() + 2 * i, 2);
        return bf16ToFloat(h);
    }
    default: {
        float f;
        std::memcpy(&f, t.data.data() + 4 * i, 4);
        return f;
    }
    }
}

// The source's elements as `dtype` (F32 or F16) bytes, copied as they are when the types agree.
std::vector<uint8_t> convert(const CheckpointTensor& t, DType dtype)
{
    const size_t count = t.data.size() / (t.dtype == io::SafetensorsDType::F32 ? 4 : 2);
    const bool same = (dtype == DType::F32 && t.dtype == io::SafetensorsDType::F32) ||
                      (dtype == DType::F16 && t.dtype == io::SafetensorsDType::F16);
    if (same)
        return {t.data.begin(), t.data.end()};
    std::vector<uint8_t> out(count * (dtype == DType::F32 ? 4 : 2));
    for (size_t i = 0; i < count; ++i) {
        const float v = sourceValue(t, i);
        if (dtype == DType::F32) {
            std::memcpy(out.data() + 4 * i, &v, 4);
        } else {
            const uint16_t h = floatToHalf(v);
            std::memcpy(out.data() + 2 * i, &h, 2);
        }
    }
    return out;
}

// The bytes of `source` as the device holds them: `dtype`, and OHWI when `repackConv`.
std::vector<uint8_t> deviceBytes(const CheckpointTensor& source, const std::vector<int64_t>& shape, DType dtype,
                                 bool repackConv)
{
    std::vector<uint8_t> bytes = convert(source, dtype);
    if (repackConv) {
        std::vector<uint8_t> repacked(bytes.size());
        ops::repackConvWeight(bytes.data(), repacked.data(), dtype == DType::F32 ? 4 : 2, shape[0], shape[3], shape[1],
                              shape[2]);
        bytes = std::move(repacked);
    }
    return bytes;
}

} // namespace

Status restoreMatrix(vk::Device& device, const BoundMatrix& m)
{
    const std::vector<int64_t> shape{m.out, m.kernel, m.kernel, m.in};
    const std::vector<uint8_t> bytes = deviceBytes(*m.source, shape, m.weight.dtype, m.kernel > 1);
    if (bytes.size() != m.weight.bytes())
        return makeError(ErrorCode::Format, m.source->source + " holds the wrong number of bytes");
    return device.upload(m.weight.buffer, bytes.data(), bytes.size());
}

WeightBinder::WeightBinder(vk::Device& device, const Checkpoint& checkpoint, std::string prefix,
                           WeightPrecision precision)
    : mDevice(device), mCheckpoint(checkpoint), mPrefix(std::move(prefix)), mPrecision(precision)
{
}

Result<const CheckpointTensor*> WeightBinder::find(std::string_view name, const std::vector<int64_t>& shape) const
{
    return mCheckpoint.require(mPrefix + std::string(name), std::span<const int64_t>(shape));
}

Result<ops::Tensor> WeightBinder::upload(const CheckpointTensor& source, std::vector<int64_t> shape, DType dtype,
                                         bool repackConv)
{
    const std::vector<uint8_t> bytes = deviceBytes(source, shape, dtype, repackConv);
    ATELIER_ASSIGN(ops::Tensor tensor, ops::Tensor::create(mDevice, dtype, std::move(shape)));
    if (tensor.bytes() != bytes.size())
        return makeError(ErrorCode::Format, source.source + " holds the wrong number of bytes");
    ATELIER_TRY(mDevice.upload(tensor.buffer, bytes.data(), bytes.size()));
    mBytes += bytes.size();
    return tensor;
}

Result<ConvWeights> WeightBinder::conv(std::string_view name, int64_t out, int64_t in, int64_t kernel)
{
    const std::string n(name);
    ATELIER_ASSIGN(const CheckpointTensor* w, find(n + ".weight", {out, in, kernel, kernel}));
    ATELIER_ASSIGN(const CheckpointTensor* b, find(n + ".bias", {out}));
    const DType type =
        mPrecision == WeightPrecision::F16 || w->dtype == io::SafetensorsDType::F16 ? DType::F16 : DType::F32;
    ConvWeights conv;
    ATELIER_ASSIGN(conv.weight, upload(*w, {out, kernel, kernel, in}, type, true));
    ATELIER_TRY(remember(n, conv.weight, out, in, kernel, w));
    ATELIER_ASSIGN(conv.bias, upload(*b, {out}, type, false));
    return conv;
}

Result<LinearWeights> WeightBinder::linear(std::string_view name, int64_t out, int64_t in, bool bias)
{
    const std::string n(name);
    const CheckpointTensor* w = mCheckpoint.find(mPrefix + n + ".weight");
    if (!w || w->shape != std::vector<int64_t>{out, in, 1, 1}) {
        ATELIER_ASSIGN(w, find(n + ".weight", {out, in}));
    }
    const DType type =
        mPrecision == WeightPrecision::F16 || w->dtype == io::SafetensorsDType::F16 ? DType::F16 : DType::F32;
    LinearWeights linear;
    ATELIER_ASSIGN(linear.weight, upload(*w, {out, in}, type, false));
    ATELIER_TRY(remember(n, linear.weight, out, in, 1, w));
    if (bias) {
        ATELIER_ASSIGN(const CheckpointTensor* b, find(n + ".bias", {out}));
        ATELIER_ASSIGN(ops::Tensor t, upload(*b, {out}, DType::F32, false));
        linear.bias = std::move(t);
    }
    return linear;
}

Result<LinearWeights> WeightBinder::stackedLinear(std::span<const std::string> names, int64_t out, int64_t in)
{
    const int64_t parts = int64_t(names.size());
    std::vector<const CheckpointTensor*> weights, biases;
    bool allHalf = true;
    for (const std::string& n : names) {
        ATELIER_ASSIGN(const CheckpointTensor* w, find(n + ".weight", {out, in}));
        ATELIER_ASSIGN(const CheckpointTensor* b, find(n + ".bias", {out}));
        weights.push_back(w);
        biases.push_back(b);
        allHalf = allHalf && w->dtype == io::SafetensorsDType::F16;
    }
    const DType type = mPrecision == WeightPrecision::F16 || allHalf ? DType::F16 : DType::F32;
    const uint64_t partBytes = storageBytes(type, uint64_t(out * in));
    const uint64_t align = mDevice.allocator().alignment();
    if (partBytes % align != 0)
        return makeError(ErrorCode::Unsupported, "cannot stack " + names.front() + " and the others: a [" +
                                                     std::to_string(out) + ", " + std::to_string(in) +
                                                     "] part is not a multiple of " + std::to_string(align) + " bytes");
    LinearWeights linear;
    ATELIER_ASSIGN(linear.weight, ops::Tensor::create(mDevice, type, {parts * out, in}));
    ATELIER_ASSIGN(ops::Tensor bias, ops::Tensor::create(mDevice, DType::F32, {parts * out}));
    for (int64_t p = 0; p < parts; ++p) {
        const std::vector<uint8_t> w = deviceBytes(*weights[size_t(p)], {out, in}, type, false);
        const std::vector<uint8_t> b = deviceBytes(*biases[size_t(p)], {out}, DType::F32, false);
        if (w.size() != partBytes || b.size() != uint64_t(out) * 4)
            return makeError(ErrorCode::Format, weights[size_t(p)]->source + " holds the wrong number of bytes");
        ATELIER_TRY(mDevice.upload(linear.weight.buffer, w.data(), w.size(), uint64_t(p) * partBytes));
        ATELIER_TRY(mDevice.upload(bias.buffer, b.data(), b.size(), uint64_t(p * out) * 4));
        ATELIER_ASSIGN(ops::Tensor part, linear.weight.slice(uint64_t(p * out * in), {out, in}, align));
        mMatrices.push_back({mPrefix + names[size_t(p)], std::move(part), out, in, 1, weights[size_t(p)]});
        mBytes += w.size() + b.size();
    }
    linear.bias = std::move(bias);
    return linear;
}

Status WeightBinder::remember(const std::string& name, const ops::Tensor& weight, int64_t out, int64_t in,
                              int64_t kernel, const CheckpointTensor* source)
{
    ATELIER_ASSIGN(ops::Tensor view, weight.view({out, kernel * kernel * in}));
    mMatrices.push_back({mPrefix + name, std::move(view), out, in, kernel, source});
    return {};
}

Result<NormWeights> WeightBinder::norm(std::string_view name, int64_t channels)
{
    const std::string n(name);
    ATELIER_ASSIGN(const CheckpointTensor* g, find(n + ".weight", {channels}));
    ATELIER_ASSIGN(const CheckpointTensor* b, find(n + ".bias", {channels}));
    NormWeights norm;
    ATELIER_ASSIGN(norm.gamma, upload(*g, {channels}, DType::F32, false));
    ATELIER_ASSIGN(norm.beta, upload(*b, {channels}, DType::F32, false));
    return norm;
}

Result<ops::Tensor> WeightBinder::tensor(std::string_view name, const std::vector<int64_t>& shape, DType dtype)
{
    if (dtype != DType::F32 && dtype != DType::F16)
        return makeError(ErrorCode::InvalidArgument, "weights are bound as f32 or f16");
    ATELIER_ASSIGN(const CheckpointTensor* t, find(name, shape));
    return upload(*t, shape, dtype, false);
}

} // namespace atelier::diffusion
