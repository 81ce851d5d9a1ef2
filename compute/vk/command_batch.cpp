#include "vk/command_batch.h"

#include "vk/check.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::vk {


void CommandBatch::reset(VkCommandBuffer cmd)
{
    mCmd = cmd;
    mPendingWrites.clear();
    mPendingReads.clear();
    mDispatches = 0;
    mFlops = 0;
    mBarriers = 0;
    mTimedLabels.clear();
    mDerivedFrom = {};
    releaseViews();
}

void CommandBatch::releaseViews()
{
    for (VkBufferView v : mViews)
        vkDestroyBufferView(mDevice.handle(), v, nullptr);
    mViews.clear();
    mRetiredWorkspaces.clear();
}

Result<CommandBatch::Workspace> CommandBatch::workspace(uint64_t bytes, const BufferRange& source, uint64_t kind)
{
    const bool fresh = mDerivedFrom.buffer != VK_NULL_HANDLE && mDerivedFrom.buffer == source.buffer &&
                       mDerivedFrom.offset == source.offset && mDerivedFrom.size == source.size &&
                       mDerivedKind == kind && mWorkspace.size() >= bytes;
    if (mWorkspace.size() < bytes) {
        if (mWorkspace.valid())
            mRetiredWorkspaces.push_back(std::move(mWorkspace));
        ATELIER_ASSIGN(mWorkspace, mDevice.allocate(std::max<uint64_t>(bytes, 64 << 10)));
    }
    mDerivedFrom = source;
    mDerivedKind = kind;
    return Workspace{mWorkspace.range(0, bytes), fresh};
}

void CommandBatch::fullBarrier()
{
    VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                       VK_ACCESS_TRANSFER_READ_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                       VK_ACCESS_TRANSFER_WRITE_BIT;
    const VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    vkCmdPipelineBarrier(mCmd, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
    mPendingWrites.clear();
    mPendingReads.clear();
    ++mBarriers;
}

void CommandBatch::barrierIfHazard(const BufferRange* ranges, const Access* access, size_t n)
{
    auto hits = [](const std::vector<Span>& spans, const BufferRange& r) {
        return std::any_of(spans.begin(), spans.end(), [&](const Span& s) {
            return s.buffer == r.buffer && s.begin < r.offset + r.size && r.offset < s.end;
        });
    };
    for (size_t i = 0; i < n; ++i) {
        const bool writes = access[i] != Access::Read;
        if (hits(mPendingWrites, ranges[i]) || (writes && hits(mPendingReads, ranges[i]))) {
            fullBarrier();
            return;
        }
    }
}

void CommandBatch::track(const BufferRange& r, Access access)
{
    const Span s{r.buffer, r.offset, r.offset + r.size};
    if (access != Access::Read && r.buffer == mDerivedFrom.buffer && r.offset < mDerivedFrom.offset + mDerivedFrom.size &&
        mDerivedFrom.offset < r.offset + r.size)
        mDerivedFrom = {}; // the workspace no longer matches its source
    if (access != Access::Write)
        mPendingReads.push_back(s);
    if (access != Access::Read)
        mPendingWrites.push_back(s);
}

Status CommandBatch::bindDescriptors(const Pipeline& pipeline, std::initializer_list<Binding> bindings)
{
    VkDescriptorBufferInfo infos[16];
    VkBufferView views[16];
    VkWriteDescriptorSet writes[16];
    if (bindings.size() != pipeline.bindings || bindings.size() > 16)
        return makeError(ErrorCode::InvalidArgument, pipeline.label + ": wrong number of buffer bindings");
    const uint64_t maxRange = mDevice.info().maxStorageBufferRange;
    uint32_t i = 0;
    for (const Binding& b : bindings) {
        // A texel buffer's limit is its own (maxTexelBufferElements texels, checked below).
        const bool texels = pipeline.texelBindings >> i & 1;
        if (b.range.size == 0 || (!texels && b.range.size > maxRange) || b.range.buffer == VK_NULL_HANDLE)
            return makeError(ErrorCode::InvalidArgument,
                             pipeline.label + ": binding " + std::to_string(i) + " has an invalid range of " +
                                 std::to_string(b.range.size) + " bytes (limit " + std::to_string(maxRange) + ")");
        infos[i] = {b.range.buffer, b.range.offset, b.range.size};
        writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
        writes[i].dstBinding = i;
        writes[i].descriptorCount = 1;
        if (pipeline.texelBindings >> i & 1) {
            // Whole texels: allocations are whole multiples of the (>= 16-byte) alignment, so
            // rounding the end up stays inside the buffer.
            const uint64_t texel = (pipeline.wordTexels >> i & 1) ? 4 : 16;
            if (b.range.offset % 16 != 0 || (b.range.size + texel - 1) / texel > mDevice.info().maxTexelBufferElements)
                return makeError(ErrorCode::InvalidArgument, pipeline.label + ": binding " + std::to_string(i) +
                                                                 " cannot be a texel buffer (offset or size)");
            VkBufferViewCreateInfo vi{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
            vi.buffer = b.range.buffer;
            vi.format = texel == 4 ? VK_FORMAT_R32_UINT : VK_FORMAT_R32G32B32A32_UINT;
            vi.offset = b.range.offset;
            vi.range = (b.range.size + texel - 1) / texel * texel;
            VK_CHECK(vkCreateBufferView(mDevice.handle(), &vi, nullptr, &views[i]));
            mViews.push_back(views[i]);
            writes[i].descriptorType = texelDescriptorType(pipeline.sampledTexels);
            writes[i].pTexelBufferView = &views[i];
        } else {
            writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
            writes[i].pBufferInfo = &infos[i];
        }
        ++i;
    }
    if (auto push = mDevice.pushDescriptorFn()) {
        push(mCmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout, 0, i, writes);
        return {};
    }
    VkDescriptorSet set = mDevice.allocateDescriptorSet(pipeline.setLayout);
    if (!set)
        return makeError(ErrorCode::OutOfDeviceMemory, "could not allocate a descriptor set");
    for (uint32_t k = 0; k < i; ++k)
        writes[k].dstSet = set;
    vkUpdateDescriptorSets(mDevice.handle(), i, writes, 0, nullptr);
    vkCmdBindDescriptorSets(mCmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout, 0, 1, &set, 0, nullptr);
    return {};
}

Status CommandBatch::dispatch(const Pipeline& pipeline, std::initializer_list<Binding> bindings, const void* push,
                              uint32_t groupsX, uint32_t groupsY, uint32_t groupsZ)
{
    const auto& maxCount = mDevice.info().maxWorkgroupCount;
    if (groupsX == 0 || groupsY == 0 || groupsZ == 0)
        return {}; // nothing to do
    if (groupsX > maxCount[0] || groupsY > maxCount[1] || groupsZ > maxCount[2])
        return makeError(ErrorCode::InvalidArgument, pipeline.label + ": workgroup count beyond the device limit");

    BufferRange ranges[16];
    Access access[16];
    size_t n = 0;
    for (const Binding& b : bindings) {
        if (n == 16)
            break;
        ranges[n] = b.range;
        access[n++] = b.access;
    }
    barrierIfHazard(ranges, access, n);

    vkCmdBindPipeline(mCmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.pipeline);
    ATELIER_TRY(bindDescriptors(pipeline, bindings));
    if (pipeline.pushConstantBytes)
        vkCmdPushConstants(mCmd, pipeline.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, pipeline.pushConstantBytes, push);

    const bool timed = mDevice.profiling() && 2 * (mTimedLabels.size() + 1) <= mDevice.queryCapacity();
    if (timed)
        vkCmdWriteTimestamp(mCmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, mDevice.queryPool(), uint32_t(2 * mTimedLabels.size()));
    vkCmdDispatch(mCmd, groupsX, groupsY, groupsZ);
    if (timed) {
        vkCmdWriteTimestamp(mCmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, mDevice.queryPool(),
                            uint32_t(2 * mTimedLabels.size() + 1));
        mTimedLabels.push_back(pipeline.label);
    }
    for (size_t i = 0; i < n; ++i)
        track(ranges[i], access[i]);
    ++mDispatches;
    return {};
}

Status CommandBatch::recordExternal(std::initializer_list<Binding> bindings,
                                    const std::function<Status(VkCommandBuffer)>& record)
{
    for (const Binding& b : bindings)
        barrierIfHazard(&b.range, &b.access, 1);
    ATELIER_TRY(record(mCmd));
    for (const Binding& b : bindings)
        track(b.range, b.access);
    ++mDispatches;
    return {};
}

void CommandBatch::copy(const BufferRange& src, const BufferRange& dst)
{
    const BufferRange ranges[2] = {src, dst};
    const Access access[2] = {Access::Read, Access::Write};
    barrierIfHazard(ranges, access, 2);
    const VkBufferCopy region{src.offset, dst.offset, std::min(src.size, dst.size)};
    vkCmdCopyBuffer(mCmd, src.buffer, dst.buffer, 1, &region);
    track(src, Access::Read);
    track(dst, Access::Write);
}

void CommandBatch::fill(const BufferRange& dst, uint32_t value)
{
    const Access access = Access::Write;
    barrierIfHazard(&dst, &access, 1);
    vkCmdFillBuffer(mCmd, dst.buffer, dst.offset, dst.size & ~uint64_t(3), value);
    track(dst, Access::Write);
}

void CommandBatch::finish()
{
    VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(mCmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

} // namespace atelier::vk
