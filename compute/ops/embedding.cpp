#include "ops/embedding.h"

#include "ops/matmul.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

namespace {

constexpr uint32_t kWorkgroup = 64;

Status checkArguments(const Tensor& table, const TokenIds& ids, const Tensor& out)
{
    const std::string what = "embedding of " + std::to_string(ids.size()) + " ids from " + table.shapeText() +
                             " into " + out.shapeText();
    if (table.shape.size() != 2)
        return makeError(ErrorCode::InvalidArgument, what + ": the table must be [vocab, dim]");
    if (ids.host.empty() || !ids.buffer.valid() || ids.buffer.size() < ids.size() * sizeof(int32_t))
        return makeError(ErrorCode::InvalidArgument, what + ": no ids on the device");
    if (out.dtype != DType::F32 || out.shape != std::vector<int64_t>{int64_t(ids.size()), table.dim(1)})
        return makeError(ErrorCode::InvalidArgument, what + ": out must be f32 [ids, dim]");
    for (size_t i = 0; i < ids.size(); ++i) {
        if (ids.host[i] < 0 || ids.host[i] >= table.dim(0))
            return makeError(ErrorCode::InvalidArgument, what + ": token id " + std::to_string(ids.host[i]) +
                                                             " at position " + std::to_string(i) +
                                                             " is outside the table's " +
                                                             std::to_string(table.dim(0)) + " rows");
    }
    return {};
}

} // namespace

Result<TokenIds> TokenIds::upload(vk::Device& device, std::span<const int32_t> ids)
{
    if (ids.empty())
        return makeError(ErrorCode::InvalidArgument, "token ids: none to upload");
    TokenIds t;
    t.host.assign(ids.begin(), ids.end());
    ATELIER_ASSIGN(t.buffer, device.allocate(ids.size_bytes()));
    ATELIER_TRY(device.upload(t.buffer, ids.data(), ids.size_bytes()));
    return t;
}

Status embedding(vk::CommandBatch& batch, const Tensor& table, const TokenIds& ids, Tensor& out, float scale,
                 uint64_t maxBindingBytes)
{
    ATELIER_TRY(checkArguments(table, ids, out));
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t vocab = uint64_t(table.dim(0));
    const uint64_t dim = uint64_t(table.dim(1));
    const uint64_t n = ids.size();

    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = maxBindingBytes ? std::min(maxBindingBytes, info.maxStorageBufferRange)
                                           : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    const uint64_t rowStep = room / storageBytes(table.dtype, dim);
    const uint64_t idStep = std::min<uint64_t>(info.maxWorkgroupCount[1], room / (dim * sizeof(float)));
    if (rowStep == 0 || idStep == 0)
        return makeError(ErrorCode::Unsupported, "embedding: rows of " + std::to_string(dim) + " are too long to bind");

    const uint64_t perGroup = kWorkgroup * (isQuantized(table.dtype) ? 4 : 1);
    const uint64_t groupsX = (dim + perGroup - 1) / perGroup;
    if (groupsX > info.maxWorkgroupCount[0])
        return makeError(ErrorCode::Unsupported, "embedding: rows of " + std::to_string(dim) + " are too long");
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({std::string("get_rows_") + dtypeName(table.dtype), 3,
                                           sizeof(shader::GetRowsPush), {kWorkgroup}}));

    for (uint64_t r0 = 0; r0 < vocab; r0 += rowStep) {
        const uint64_t rows = std::min(rowStep, vocab - r0);
        const ElementWindow tw = rowWindow(table, r0, rows, align);
        for (uint64_t i0 = 0; i0 < n; i0 += idStep) {
            const uint64_t count = std::min(idStep, n - i0);
            const auto first = ids.host.begin() + ptrdiff_t(i0);
            const bool needed = std::any_of(first, first + ptrdiff_t(count), [&](int32_t id) {
                return uint64_t(id) >= r0 && uint64_t(id) < r0 + rows;
            });
            if (!needed)
                continue;
            const uint64_t idBegin = i0 * sizeof(int32_t), idStart = idBegin / align * align;
            const vk::BufferRange idRange = ids.buffer.range(idStart, idBegin + count * sizeof(int32_t) - idStart);
            const ElementWindow ow = out.window(i0 * dim, count * dim, align);
            const shader::GetRowsPush push{uint32_t(dim),  uint32_t((idBegin - idStart) / sizeof(int32_t)),
                                           uint32_t(r0),   uint32_t(rows),
                                           tw.offset,      ow.offset,
                                           scale};
            ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(tw.range), vk::readOf(idRange), vk::writeOf(ow.range)},
                                       push, uint32_t(groupsX), uint32_t(count)));
        }
    }
    return {};
}

} // namespace atelier::ops
