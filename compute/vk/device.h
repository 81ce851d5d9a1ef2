#pragma once
// The logical device Atelier computes on: one compute queue, the memory allocator, the pipeline
// library and the command batch. Owned by the compute thread; not for concurrent use.

#include "core/result.h"
#include "vk/command_batch.h"
#include "vk/device_info.h"
#include "vk/instance.h"
#include "vk/memory.h"
#include "vk/pipelines.h"
#include "vk/profiler.h"

#include <functional>
#include <memory>
#include <string>

namespace atelier::vk {

class Device {
public:
    struct Options {
        int deviceIndex = -1;          // -1: best ranked
        bool validation = false;
        bool profile = false;          // collect per-kernel timestamps into profiler()
        std::string pipelineCachePath; // empty: no on-disk cache
        // Paths every driver does not take, forced so tests reach them on any device:
        bool noPushDescriptors = false; // descriptor sets from pools instead of VK_KHR_push_descriptor
        bool stagedTransfers = false;   // uploads and downloads through staging buffers even on UMA
        // Every choice made as for a discrete GPU (its kernels, no CPU repacks or CPU-only fusions,
        // device-local memory, staged transfers), so that lavapipe checks the paths GPUs run.
        bool asDiscreteGpu = false;
    };
    static Result<std::unique_ptr<Device>> create(const Options& options);
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    const DeviceInfo& info() const { return mInfo; }
    Instance& instance() { return *mInstance; }
    VkDevice handle() const { return mDevice; }
    VkQueue queue() const { return mQueue; }
    VkCommandPool commandPool() const { return mCommandPool; }
    DeviceAllocator& allocator() { return *mAllocator; }
    PipelineLibrary& pipelines() { return *mPipelines; }
    Profiler& profiler() { return mProfiler; }
    bool profiling() const { return mQueryPool != VK_NULL_HANDLE; }
    // Transfers go through staging buffers (discrete GPUs, or forced by Options::stagedTransfers).
    bool stagedTransfers() const { return mStagedTransfers; }

    Result<Buffer> allocate(uint64_t bytes, MemoryKind kind = MemoryKind::DeviceLocal) { return mAllocator->allocate(bytes, kind); }
    Status upload(const Buffer& dst, const void* src, uint64_t bytes, uint64_t dstOffset = 0);
    Status download(const Buffer& src, void* dst, uint64_t bytes, uint64_t srcOffset = 0);

    // Records a batch with `record`, submits it and waits for the GPU. Errors from recording
    // abandon the batch; a lost device comes back as ErrorCode::DeviceLost.
    Status execute(const std::function<Status(CommandBatch&)>& record);

    // What the submitted batches recorded since the last reset (bench llm prints them per token).
    struct WorkCounts {
        uint64_t batches = 0;
        uint64_t dispatches = 0; // compute dispatches, copies excluded
        uint64_t barriers = 0;
        double flops = 0;        // CommandBatch::countFlops()
    };
    const WorkCounts& workCounts() const { return mWorkCounts; }
    void resetWorkCounts() { mWorkCounts = {}; }

    struct MemoryUsage {
        uint64_t usedBytes;  // device memory Atelier holds
        uint64_t totalBytes; // the driver's budget, or the device-local heap size
    };
    MemoryUsage memoryUsage() const;

    PFN_vkCmdPushDescriptorSetKHR pushDescriptorFn() const { return mPushDescriptor; }
    VkDescriptorSet allocateDescriptorSet(VkDescriptorSetLayout layout); // fallback without push descriptors
    VkQueryPool queryPool() const { return mQueryPool; }
    uint32_t queryCapacity() const { return mQueryCapacity; }

private:
    Device() = default;
    Status init(const Options& options);

    std::unique_ptr<Instance> mInstance;
    DeviceInfo mInfo;
    VkDevice mDevice = VK_NULL_HANDLE;
    VkQueue mQueue = VK_NULL_HANDLE;
    VkCommandPool mCommandPool = VK_NULL_HANDLE;
    VkCommandBuffer mCmd = VK_NULL_HANDLE;
    VkFence mFence = VK_NULL_HANDLE;
    std::vector<VkDescriptorPool> mDescriptorPools; // fallback path, reset after each batch
    size_t mActivePool = 0;
    VkQueryPool mQueryPool = VK_NULL_HANDLE;
    uint32_t mQueryCapacity = 0;
    PFN_vkCmdPushDescriptorSetKHR mPushDescriptor = nullptr;
    bool mStagedTransfers = false;
    std::unique_ptr<DeviceAllocator> mAllocator;
    std::unique_ptr<PipelineLibrary> mPipelines;
    std::unique_ptr<CommandBatch> mBatch;
    Profiler mProfiler;
    WorkCounts mWorkCounts;
};

} // namespace atelier::vk
