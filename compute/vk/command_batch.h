#pragma once
// Records dispatches into one command buffer, adding a barrier only where a dispatch touches a
// range an earlier one in the batch wrote (or writes a range one read), and timestamps when
// profiling.

#include "core/result.h"
#include "vk/memory.h"
#include "vk/pipelines.h"

#include <vulkan/vulkan.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace atelier::vk {

class Device;

enum class Access : uint8_t { Read, Write, ReadWrite };

struct Binding {
    BufferRange range;
    Access access = Access::Read;
};
inline Binding readOf(const BufferRange& r) { return {r, Access::Read}; }
inline Binding writeOf(const BufferRange& r) { return {r, Access::Write}; }
inline Binding readWriteOf(const BufferRange& r) { return {r, Access::ReadWrite}; }

class CommandBatch {
public:
    ~CommandBatch() { releaseViews(); }
    Device& device() { return mDevice; }

    // bindings go to set 0, bindings 0..n-1; each range must be within maxStorageBufferRange, or a
    // texel binding's within maxTexelBufferElements texels.
    Status dispatch(const Pipeline& pipeline, std::initializer_list<Binding> bindings, const void* push,
                    uint32_t groupsX, uint32_t groupsY = 1, uint32_t groupsZ = 1);
    template <typename Push>
    Status dispatch(const Pipeline& pipeline, std::initializer_list<Binding> bindings, const Push& push,
                    uint32_t groupsX, uint32_t groupsY = 1, uint32_t groupsZ = 1)
    {
        return dispatch(pipeline, bindings, static_cast<const void*>(&push), groupsX, groupsY, groupsZ);
    }
    // Lets a library that records its own dispatches (VkFFT) into this batch, with the same hazard
    // tracking: `bindings` are the ranges it will touch.
    Status recordExternal(std::initializer_list<Binding> bindings, const std::function<Status(VkCommandBuffer)>& record);
    void copy(const BufferRange& src, const BufferRange& dst);
    void fill(const BufferRange& dst, uint32_t value);
    // Device memory for data an op derives from one of its inputs (ops::matmul's 8-bit activations).
    // Every call returns the same region, grown when too small (the old one kept until the batch's
    // work is done), so reuse is ordered by the usual hazard barriers. `fresh`: the region still holds
    // what the last call derived under the same `kind` from `source`, and nothing recorded since has
    // written `source`, so the op may skip deriving it again.
    struct Workspace {
        BufferRange range;
        bool fresh = false;
    };
    Result<Workspace> workspace(uint64_t bytes, const BufferRange& source, uint64_t kind);
    uint32_t dispatchCount() const { return mDispatches; }
    uint32_t barrierCount() const { return mBarriers; }
    // Arithmetic the recorded ops do (2 per multiply-add), as matmul, conv2d and attention report
    // it, for benchmarks' GFLOP/s.
    void countFlops(double flops) { mFlops += flops; }
    double flopCount() const { return mFlops; }

private:
    friend class Device;
    struct Span {
        VkBuffer buffer;
        uint64_t begin, end;
    };
    explicit CommandBatch(Device& device) : mDevice(device) {}
    void reset(VkCommandBuffer cmd);
    void releaseViews(); // once the batch's work is done (or was never submitted); outgrown workspaces too
    void track(const BufferRange& r, Access access);
    void barrierIfHazard(const BufferRange* ranges, const Access* access, size_t n);
    void fullBarrier();
    void finish(); // makes results visible to the host
    Status bindDescriptors(const Pipeline& pipeline, std::initializer_list<Binding> bindings);

    Device& mDevice;
    VkCommandBuffer mCmd = VK_NULL_HANDLE;
    std::vector<Span> mPendingWrites;
    std::vector<Span> mPendingReads;
    uint32_t mDispatches = 0;
    uint32_t mBarriers = 0;
    double mFlops = 0;
    std::vector<std::string> mTimedLabels; // one per pair of timestamps
    std::vector<VkBufferView> mViews;      // texel views of this batch's texel bindings
    Buffer mWorkspace;                     // workspace(): kept from batch to batch
    std::vector<Buffer> mRetiredWorkspaces; // outgrown during this batch, freed once its work is done
    BufferRange mDerivedFrom{};            // what mWorkspace holds was derived from (buffer null: nothing)
    uint64_t mDerivedKind = 0;
};

} // namespace atelier::vk
