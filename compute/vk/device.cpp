#include "vk/device.h"

#include "core/host_cpu.h"
#include "vk/check.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace atelier::vk {

namespace {
constexpr uint32_t kQueryCapacity = 8192; // timestamps per batch when profiling
constexpr uint64_t kStagingChunk = 64ull << 20;
} // namespace

Result<std::unique_ptr<Device>> Device::create(const Options& options)
{
    std::unique_ptr<Device> d(new Device());
    ATELIER_TRY(d->init(options));
    return d;
}

Status Device::init(const Options& options)
{
    ATELIER_ASSIGN(mInstance, Instance::create(options.validation));
    const auto devices = mInstance->devices();
    if (devices.empty())
        return makeError(ErrorCode::NoDevice,
                         "No Vulkan device was found. Install a GPU driver, or mesa-vulkan-drivers for the CPU device.");
    const auto chosen = chooseDevice(devices, options.deviceIndex);
    if (!chosen) {
        if (options.deviceIndex >= 0)
            return makeError(ErrorCode::NoDevice, "Vulkan device " + std::to_string(options.deviceIndex) +
                                                      " does not exist or cannot run compute (" +
                                                      std::to_string(devices.size()) + " devices found).");
        return makeError(ErrorCode::NoDevice, "No Vulkan device supports Vulkan 1.2 compute.");
    }
    mInfo = devices[*chosen];
    if (options.noPushDescriptors)
        mInfo.pushDescriptor = false;
    mStagedTransfers = options.stagedTransfers || options.asDiscreteGpu;
    if (options.asDiscreteGpu)
        mInfo.type = VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
    spdlog::info("Vulkan device:\n{}", mInfo.describe());

    // Queue and features: enable every optional capability the device offers that kernels use.
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo qi{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qi.queueFamilyIndex = mInfo.computeQueueFamily;
    qi.queueCount = 1;
    qi.pQueuePriorities = &priority;

    VkPhysicalDeviceFeatures2 feats{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
    VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceVulkan13Features f13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    feats.pNext = &f11;
    f11.pNext = &f12;
    f11.storageBuffer16BitAccess = mInfo.storage16Bit;
    f12.shaderFloat16 = mInfo.fp16Arithmetic;
    f12.shaderInt8 = mInfo.int8Arithmetic;
    f12.storageBuffer8BitAccess = mInfo.storage8Bit;
    if (mInfo.apiVersion >= VK_API_VERSION_1_3) {
        VkPhysicalDeviceFeatures2 q{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
        VkPhysicalDeviceVulkan13Features have{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
        q.pNext = &have;
        vkGetPhysicalDeviceFeatures2(mInfo.handle, &q);
        f12.pNext = &f13;
        f13.subgroupSizeControl = have.subgroupSizeControl;
        f13.computeFullSubgroups = have.computeFullSubgroups;
        f13.shaderIntegerDotProduct = have.shaderIntegerDotProduct;
        f13.maintenance4 = have.maintenance4;
    }
    VkPhysicalDeviceFeatures base{};
    vkGetPhysicalDeviceFeatures(mInfo.handle, &base);
    feats.features.shaderInt64 = base.shaderInt64;
    feats.features.shaderInt16 = base.shaderInt16;

    std::vector<const char*> extensions;
    if (mInfo.pushDescriptor)
        extensions.push_back(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
    if (mInfo.memoryBudget)
        extensions.push_back(VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);

    VkDeviceCreateInfo di{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    di.pNext = &feats;
    di.queueCreateInfoCount = 1;
    di.pQueueCreateInfos = &qi;
    di.enabledExtensionCount = uint32_t(extensions.size());
    di.ppEnabledExtensionNames = extensions.data();
    VK_CHECK(vkCreateDevice(mInfo.handle, &di, nullptr, &mDevice));
    vkGetDeviceQueue(mDevice, mInfo.computeQueueFamily, 0, &mQueue);
    if (mInfo.pushDescriptor)
        mPushDescriptor = reinterpret_cast<PFN_vkCmdPushDescriptorSetKHR>(
            vkGetDeviceProcAddr(mDevice, "vkCmdPushDescriptorSetKHR"));

    VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pi.queueFamilyIndex = mInfo.computeQueueFamily;
    VK_CHECK(vkCreateCommandPool(mDevice, &pi, nullptr, &mCommandPool));
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = mCommandPool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VK_CHECK(vkAllocateCommandBuffers(mDevice, &ai, &mCmd));
    VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VK_CHECK(vkCreateFence(mDevice, &fi, nullptr, &mFence));

    if (options.profile) {
        if (mInfo.timestampPeriod > 0) {
            VkQueryPoolCreateInfo qpi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
            qpi.queryType = VK_QUERY_TYPE_TIMESTAMP;
            qpi.queryCount = kQueryCapacity;
            VK_CHECK(vkCreateQueryPool(mDevice, &qpi, nullptr, &mQueryPool));
            mQueryCapacity = kQueryCapacity;
        } else {
            spdlog::warn("ATELIER_PROFILE: this device has no compute timestamps");
        }
    }

    mAllocator = std::make_unique<DeviceAllocator>(mDevice, mInfo);
    mPipelines = std::make_unique<PipelineLibrary>(mDevice, mInfo, options.pipelineCachePath);
    mBatch.reset(new CommandBatch(*this));
    return {};
}

Device::~Device()
{
    if (mDevice)
        vkDeviceWaitIdle(mDevice);
    mBatch.reset();
    mPipelines.reset();
    mAllocator.reset();
    if (mDevice) {
        for (VkDescriptorPool p : mDescriptorPools)
            vkDestroyDescriptorPool(mDevice, p, nullptr);
        if (mQueryPool)
            vkDestroyQueryPool(mDevice, mQueryPool, nullptr);
        if (mFence)
            vkDestroyFence(mDevice, mFence, nullptr);
        if (mCommandPool)
            vkDestroyCommandPool(mDevice, mCommandPool, nullptr);
        vkDestroyDevice(mDevice, nullptr);
    }
}

VkDescriptorSet Device::allocateDescriptorSet(VkDescriptorSetLayout layout)
{
    for (;;) {
        if (mActivePool == mDescriptorPools.size()) {
            const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 4096},
                                                  {VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER, 1024},
                                                  {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, 1024}};
            VkDescriptorPoolCreateInfo ci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
            ci.maxSets = 1024;
            ci.poolSizeCount = 3;
            ci.pPoolSizes = sizes;
            VkDescriptorPool pool = VK_NULL_HANDLE;
            if (vkCreateDescriptorPool(mDevice, &ci, nullptr, &pool) != VK_SUCCESS)
                return VK_NULL_HANDLE;
            mDescriptorPools.push_back(pool);
        }
        VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
        ai.descriptorPool = mDescriptorPools[mActivePool];
        ai.descriptorSetCount = 1;
        ai.pSetLayouts = &layout;
        VkDescriptorSet set = VK_NULL_HANDLE;
        const VkResult r = vkAllocateDescriptorSets(mDevice, &ai, &set);
        if (r == VK_SUCCESS)
            return set;
        if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
            return VK_NULL_HANDLE;
        ++mActivePool;
    }
}

Status Device::execute(const std::function<Status(CommandBatch&)>& record)
{
    VK_CHECK(vkResetCommandBuffer(mCmd, 0));
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VK_CHECK(vkBeginCommandBuffer(mCmd, &bi));
    if (mQueryPool)
        vkCmdResetQueryPool(mCmd, mQueryPool, 0, mQueryCapacity);
    mBatch->reset(mCmd);

    const Status recorded = record(*mBatch);
    mBatch->finish();
    VK_CHECK(vkEndCommandBuffer(mCmd));
    auto resetPools = [this] {
        for (VkDescriptorPool p : mDescriptorPools)
            vkResetDescriptorPool(mDevice, p, 0);
        mActivePool = 0;
    };
    if (!recorded) {
        resetPools();
        mBatch->releaseViews();
        return recorded;
    }

    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &mCmd;
    VK_CHECK(vkQueueSubmit(mQueue, 1, &si, mFence));
    ++mWorkCounts.batches;
    mWorkCounts.dispatches += mBatch->dispatchCount();
    mWorkCounts.barriers += mBatch->barrierCount();
    mWorkCounts.flops += mBatch->flopCount();
    const VkResult waited = vkWaitForFences(mDevice, 1, &mFence, VK_TRUE, UINT64_MAX);
    vkResetFences(mDevice, 1, &mFence);
    resetPools();
    mBatch->releaseViews();
    VK_CHECK(waited);

    const auto& labels = mBatch->mTimedLabels;
    if (mQueryPool && !labels.empty()) {
        std::vector<uint64_t> ticks(2 * labels.size());
        VK_CHECK(vkGetQueryPoolResults(mDevice, mQueryPool, 0, uint32_t(ticks.size()), ticks.size() * 8, ticks.data(), 8,
                                       VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
        for (size_t i = 0; i < labels.size(); ++i)
            mProfiler.add(labels[i], double(ticks[2 * i + 1] - ticks[2 * i]) * mInfo.timestampPeriod);
    }
    return {};
}

Status Device::upload(const Buffer& dst, const void* src, uint64_t bytes, uint64_t dstOffset)
{
    if (dstOffset + bytes > dst.size())
        return makeError(ErrorCode::InvalidArgument, "upload past the end of a buffer");
    if (dst.mapped() && !mStagedTransfers) {
        std::memcpy(static_cast<char*>(dst.mapped()) + dstOffset, src, bytes);
        return {};
    }
    ATELIER_ASSIGN(Buffer staging, allocate(std::min(bytes, kStagingChunk), MemoryKind::Staging));
    for (uint64_t done = 0; done < bytes;) {
        const uint64_t n = std::min(bytes - done, staging.size());
        std::memcpy(staging.mapped(), static_cast<const char*>(src) + done, n);
        ATELIER_TRY(execute([&](CommandBatch& b) {
            b.copy(staging.range(0, n), dst.range(dstOffset + done, n));
            return Status{};
        }));
        done += n;
    }
    return {};
}

Status Device::download(const Buffer& src, void* dst, uint64_t bytes, uint64_t srcOffset)
{
    if (srcOffset + bytes > src.size())
        return makeError(ErrorCode::InvalidArgument, "download past the end of a buffer");
    if (src.mapped() && !mStagedTransfers) {
        std::memcpy(dst, static_cast<const char*>(src.mapped()) + srcOffset, bytes);
        return {};
    }
    ATELIER_ASSIGN(Buffer readback, allocate(std::min(bytes, kStagingChunk), MemoryKind::Readback));
    for (uint64_t done = 0; done < bytes;) {
        const uint64_t n = std::min(bytes - done, readback.size());
        ATELIER_TRY(execute([&](CommandBatch& b) {
            b.copy(src.range(srcOffset + done, n), readback.range(0, n));
            return Status{};
        }));
        std::memcpy(static_cast<char*>(dst) + done, readback.mapped(), n);
        done += n;
    }
    return {};
}

Device::MemoryUsage Device::memoryUsage() const
{
    MemoryUsage u{mAllocator->bytesReserved(), mInfo.deviceLocalBytes};
    if (mInfo.memoryBudget) {
        VkPhysicalDeviceMemoryBudgetPropertiesEXT budget{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT};
        VkPhysicalDeviceMemoryProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2};
        props.pNext = &budget;
        vkGetPhysicalDeviceMemoryProperties2(mInfo.handle, &props);
        uint64_t total = 0;
        for (uint32_t i = 0; i < props.memoryProperties.memoryHeapCount; ++i) {
            if (props.memoryProperties.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
                total += budget.heapBudget[i];
        }
        if (total)
            u.totalBytes = total;
    }
    // lavapipe reports a 2 GiB heap but allocates from host memory, which may hold far more (an
    // SD 1.5 checkpoint alone fills that heap, and the VAE would decode in needlessly small tiles).
    if (mInfo.type == VK_PHYSICAL_DEVICE_TYPE_CPU)
        u.totalBytes = std::max(u.totalBytes, u.usedBytes + hostAvailableBytes());
    return u;
}

} // namespace atelier::vk
