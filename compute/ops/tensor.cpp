#include "ops/tensor.h"

#include "vk/device.h"

namespace atelier::ops {

int64_t Tensor::numel() const
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

std::string Tensor::shapeText() const
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "] " + dtypeName(dtype);
}

ElementWindow Tensor::window(uint64_t first, uint64_t count, uint64_t align) const
{
    const uint64_t es = dtypeSize(dtype);
    const uint64_t start = first * es / align * align;
    return {buffer.range(start, (first + count) * es - start), uint32_t((first * es - start) / es)};
}

Result<Tensor> Tensor::view(std::vector<int64_t> newShape) const
{
    Tensor t;
    t.dtype = dtype;
    t.shape = std::move(newShape);
    for (int64_t d : t.shape) {
        if (d <= 0)
            return makeError(ErrorCode::InvalidArgument, "invalid view shape " + t.shapeText());
    }
    if (t.shape.empty() || t.numel() > numel() ||
        (isQuantized(dtype) && t.dim(-1) % dtypeInfo(dtype).blockElements != 0))
        return makeError(ErrorCode::InvalidArgument, "cannot view " + shapeText() + " as " + t.shapeText());
    t.buffer = buffer.alias(t.bytes());
    return t;
}

Result<Tensor> Tensor::slice(uint64_t first, std::vector<int64_t> newShape, uint64_t align) const
{
    Tensor t;
    t.dtype = dtype;
    t.shape = std::move(newShape);
    const uint64_t offset = first * dtypeSize(dtype);
    bool valid = !t.shape.empty() && !isQuantized(dtype) && align > 0 && offset % align == 0;
    for (int64_t d : t.shape)
        valid = valid && d > 0;
    if (!valid || first + uint64_t(t.numel()) > uint64_t(numel()))
        return makeError(ErrorCode::InvalidArgument, "cannot slice " + t.shapeText() + " from element " +
                                                         std::to_string(first) + " of " + shapeText() +
                                                         " at a " + std::to_string(align) + "-byte alignment");
    t.buffer = buffer.alias(offset, t.bytes());
    return t;
}

Result<Tensor> Tensor::rows(int64_t first, int64_t count, uint64_t align) const
{
    const uint64_t rowBytes = shape.size() == 2 ? storageBytes(dtype, uint64_t(shape[1])) : 0;
    const uint64_t offset = uint64_t(first) * rowBytes;
    if (shape.size() != 2 || first < 0 || count < 1 || first + count > shape[0] || align == 0 || offset % align != 0)
        return makeError(ErrorCode::InvalidArgument, "cannot take rows " + std::to_string(first) + " to " +
                                                         std::to_string(first + count) + " of " + shapeText() +
                                                         " at a " + std::to_string(align) + "-byte alignment");
    Tensor t;
    t.dtype = dtype;
    t.shape = {count, shape[1]};
    t.buffer = buffer.alias(offset, t.bytes());
    return t;
}

Result<Tensor> Tensor::create(vk::Device& device, DType dtype, std::vector<int64_t> shape)
{
    Tensor t;
    t.dtype = dtype;
    t.shape = std::move(shape);
    if (t.shape.empty())
        return makeError(ErrorCode::InvalidArgument, "a tensor needs at least one dimension");
    for (int64_t d : t.shape) {
        if (d <= 0 || d > (int64_t(1) << 40))
            return makeError(ErrorCode::InvalidArgument, "invalid tensor shape " + t.shapeText());
    }
    if (isQuantized(dtype) && t.dim(-1) % dtypeInfo(dtype).blockElements != 0)
        return makeError(ErrorCode::InvalidArgument, "rows of " + t.shapeText() + " are not whole blocks of " +
                                                         std::to_string(dtypeInfo(dtype).blockElements));
    if (dtype != DType::F32 && !device.info().storage16Bit)
        return makeError(ErrorCode::Unsupported, "this device cannot read 16-bit values from buffers");
    ATELIER_ASSIGN(t.buffer, device.allocate(t.bytes()));
    return t;
}

Result<Tensor> Tensor::fromFloats(vk::Device& device, DType dtype, std::vector<int64_t> shape,
                                  std::span<const float> values)
{
    if (dtype != DType::F32 && dtype != DType::F16)
        return makeError(ErrorCode::InvalidArgument, std::string("cannot convert floats to ") + dtypeName(dtype));
    ATELIER_ASSIGN(Tensor t, create(device, dtype, std::move(shape)));
    if (int64_t(values.size()) != t.numel())
        return makeError(ErrorCode::InvalidArgument, "expected " + std::to_string(t.numel()) + " values for " +
                                                         t.shapeText() + ", got " + std::to_string(values.size()));
    if (dtype == DType::F32) {
        ATELIER_TRY(device.upload(t.buffer, values.data(), t.bytes()));
    } else {
        std::vector<uint16_t> half(values.size());
        for (size_t i = 0; i < values.size(); ++i)
            half[i] = floatToHalf(values[i]);
        ATELIER_TRY(device.upload(t.buffer, half.data(), t.bytes()));
    }
    return t;
}

Result<std::vector<float>> Tensor::toFloats(vk::Device& device) const
{
    if (dtype != DType::F32 && dtype != DType::F16)
        return makeError(ErrorCode::InvalidArgument, std::string("cannot read ") + dtypeName(dtype) + " as floats");
    std::vector<float> out(static_cast<size_t>(numel()));
    if (dtype == DType::F32) {
        ATELIER_TRY(device.download(buffer, out.data(), bytes()));
    } else {
        std::vector<uint16_t> half(out.size());
        ATELIER_TRY(device.download(buffer, half.data(), bytes()));
        for (size_t i = 0; i < out.size(); ++i)
            out[i] = halfToFloat(half[i]);
    }
    return out;
}

ElementWindow rowWindow(const Tensor& t, uint64_t first, uint64_t count, uint64_t align)
{
    if (!isQuantized(t.dtype))
        return t.window(first * uint64_t(t.dim(-1)), count * uint64_t(t.dim(-1)), align);
    const uint64_t rowBytes = storageBytes(t.dtype, uint64_t(t.dim(-1)));
    const uint64_t begin = first * rowBytes, start = begin / align * align;
    return {t.buffer.range(start, begin + count * rowBytes - start), uint32_t(begin - start)};
}

} // namespace atelier::ops
