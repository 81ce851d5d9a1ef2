#include "vk/device_info.h"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace atelier::vk {

namespace {

bool hasExtension(const std::vector<VkExtensionProperties>& exts, const char* name)
{
    return std::any_of(exts.begin(), exts.end(),
                       [&](const VkExtensionProperties& e) { return std::strcmp(e.extensionName, name) == 0; });
}

std::string bytesText(uint64_t bytes)
{
    char buf[64];
    if (bytes >= (1ull << 30))
        std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / double(1ull << 30));
    else
        std::snprintf(buf, sizeof buf, "%.0f MiB", double(bytes) / double(1ull << 20));
    return buf;
}

std::string subgroupOpsText(VkSubgroupFeatureFlags ops)
{
    static const std::pair<VkSubgroupFeatureFlagBits, const char*> names[] = {
        {VK_SUBGROUP_FEATURE_BASIC_BIT, "basic"},       {VK_SUBGROUP_FEATURE_VOTE_BIT, "vote"},
        {VK_SUBGROUP_FEATURE_ARITHMETIC_BIT, "arithmetic"}, {VK_SUBGROUP_FEATURE_BALLOT_BIT, "ballot"},
        {VK_SUBGROUP_FEATURE_SHUFFLE_BIT, "shuffle"},   {VK_SUBGROUP_FEATURE_SHUFFLE_RELATIVE_BIT, "shuffle-relative"},
        {VK_SUBGROUP_FEATURE_CLUSTERED_BIT, "clustered"}, {VK_SUBGROUP_FEATURE_QUAD_BIT, "quad"},
    };
    std::string out;
    for (const auto& [bit, name] : names) {
        if (ops & bit)
            out += (out.empty() ? "" : " ") + std::string(name);
    }
    return out.empty() ? "none" : out;
}

DeviceInfo queryDevice(VkPhysicalDevice pd, uint32_t index)
{
    DeviceInfo d;
    d.index = index;
    d.handle = pd;

    uint32_t extCount = 0;
    vkEnumerateDeviceExtensionProperties(pd, nullptr, &extCount, nullptr);
    std::vector<VkExtensionProperties> exts(extCount);
    vkEnumerateDeviceExtensionProperties(pd, nullptr, &extCount, exts.data());

    VkPhysicalDeviceProperties base{};
    vkGetPhysicalDeviceProperties(pd, &base);
    d.apiVersion = base.apiVersion;
    const bool v12 = base.apiVersion >= VK_API_VERSION_1_2;
    const bool v13 = base.apiVersion >= VK_API_VERSION_1_3;

    // Properties (only structs the device's version knows go in the chain).
    VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    VkPhysicalDeviceVulkan11Properties p11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES};
    VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceSubgroupSizeControlProperties sizeControl{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
    VkPhysicalDeviceMaintenance4Properties maint4{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_4_PROPERTIES};
    VkPhysicalDeviceShaderIntegerDotProductProperties dotProduct{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES};
    if (v12) {
        props.pNext = &p11;
        p11.pNext = &driver;
        if (v13) {
            driver.pNext = &sizeControl;
            sizeControl.pNext = &maint4;
            maint4.pNext = &dotProduct;
        }
    }
    vkGetPhysicalDeviceProperties2(pd, &props);

    d.name = base.deviceName;
    d.type = base.deviceType;
    d.vendorId = base.vendorID;
    if (v12) {
        d.driverName = driver.driverName;
        d.driverInfo = driver.driverInfo;
        d.subgroupSize = p11.subgroupSize;
        d.subgroupOperations = p11.subgroupSupportedOperations;
        d.subgroupInCompute = (p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0;
        d.maxMemoryAllocationSize = p11.maxMemoryAllocationSize;
    }
    d.minSubgroupSize = v13 ? sizeControl.minSubgroupSize : d.subgroupSize;
    d.maxSubgroupSize = v13 ? sizeControl.maxSubgroupSize : d.subgroupSize;
    d.maxBufferSize = v13 ? maint4.maxBufferSize : 0;
    d.int8DotSignedAccelerated = v13 && dotProduct.integerDotProduct4x8BitPackedSignedAccelerated;
    d.int8DotMixedAccelerated = v13 && dotProduct.integerDotProduct4x8BitPackedMixedSignednessAccelerated;

    const VkPhysicalDeviceLimits& lim = base.limits;
    d.maxSharedMemory = lim.maxComputeSharedMemorySize;
    d.maxWorkgroupInvocations = lim.maxComputeWorkGroupInvocations;
    for (int i = 0; i < 3; ++i) {
        d.maxWorkgroupSize[i] = lim.maxComputeWorkGroupSize[i];
        d.maxWorkgroupCount[i] = lim.maxComputeWorkGroupCount[i];
    }
    d.maxStorageBufferRange = lim.maxStorageBufferRange;
    d.maxTexelBufferElements = lim.maxTexelBufferElements;
    d.minStorageBufferOffsetAlignment = lim.minStorageBufferOffsetAlignment;
    d.maxPushConstantsSize = lim.maxPushConstantsSize;

    // Features.
    if (v12) {
        VkPhysicalDeviceFeatures2 feats{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
        VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
        VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
        VkPhysicalDeviceVulkan13Features f13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
        feats.pNext = &f11;
        f11.pNext = &f12;
        if (v13)
            f12.pNext = &f13;
        vkGetPhysicalDeviceFeatures2(pd, &feats);
        d.storage16Bit = f11.storageBuffer16BitAccess;
        d.fp16Arithmetic = f12.shaderFloat16;
        d.int8Arithmetic = f12.shaderInt8;
        d.storage8Bit = f12.storageBuffer8BitAccess;
        d.int8DotProduct = v13 && f13.shaderIntegerDotProduct;
    }
    if (hasExtension(exts, "VK_KHR_cooperative_matrix")) {
        d.cooperativeMatrix = true;
        d.cooperativeMatrixExtension = "VK_KHR_cooperative_matrix";
    } else if (hasExtension(exts, "VK_NV_cooperative_matrix")) {
        d.cooperativeMatrix = true;
        d.cooperativeMatrixExtension = "VK_NV_cooperative_matrix";
    }
    d.pushDescriptor = hasExtension(exts, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
    d.memoryBudget = hasExtension(exts, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);

    // Queues: prefer a compute queue family that has timestamps.
    uint32_t qCount = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &qCount, nullptr);
    std::vector<VkQueueFamilyProperties> queues(qCount);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &qCount, queues.data());
    for (uint32_t i = 0; i < qCount; ++i) {
        if (!(queues[i].queueFlags & VK_QUEUE_COMPUTE_BIT))
            continue;
        if (d.computeQueueFamily == UINT32_MAX || (queues[i].timestampValidBits > 0 &&
                                                   queues[d.computeQueueFamily].timestampValidBits == 0))
            d.computeQueueFamily = i;
    }
    if (d.computeQueueFamily != UINT32_MAX && queues[d.computeQueueFamily].timestampValidBits > 0 &&
        lim.timestampComputeAndGraphics)
        d.timestampPeriod = lim.timestampPeriod;

    VkPhysicalDeviceMemoryProperties mem{};
    vkGetPhysicalDeviceMemoryProperties(pd, &mem);
    for (uint32_t i = 0; i < mem.memoryHeapCount; ++i) {
        if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
            d.deviceLocalBytes += mem.memoryHeaps[i].size;
    }
    return d;
}

} // namespace

std::string DeviceInfo::typeName() const
{
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

std::string DeviceInfo::apiVersionText() const
{
    return std::to_string(VK_API_VERSION_MAJOR(apiVersion)) + "." + std::to_string(VK_API_VERSION_MINOR(apiVersion)) +
           "." + std::to_string(VK_API_VERSION_PATCH(apiVersion));
}

std::string DeviceInfo::describe() const
{
    auto yes = [](bool b) { return b ? "yes" : "no"; };
    std::ostringstream o;
    o << "[" << index << "] " << name << " (" << typeName() << ")\n"
      << "    Vulkan " << apiVersionText() << ", driver " << (driverName.empty() ? "?" : driverName)
      << (driverInfo.empty() ? "" : " " + driverInfo) << (usable() ? "" : "  [not usable: needs Vulkan 1.2 and a compute queue]") << "\n"
      << "    fp16 arithmetic: " << yes(fp16Arithmetic) << ", int8 arithmetic: " << yes(int8Arithmetic)
      << ", 16-bit storage: " << yes(storage16Bit) << ", 8-bit storage: " << yes(storage8Bit)
      << ", int8 dot product: " << yes(int8DotProduct)
      << (int8DotSignedAccelerated || int8DotMixedAccelerated ? " (accelerated)" : "") << "\n"
      << "    subgroup size: " << subgroupSize << " (" << minSubgroupSize << ".." << maxSubgroupSize << ")"
      << ", operations: " << subgroupOpsText(subgroupInCompute ? subgroupOperations : 0) << "\n"
      << "    shared memory: " << maxSharedMemory / 1024 << " KiB, max workgroup: " << maxWorkgroupInvocations
      << " invocations (" << maxWorkgroupSize[0] << "x" << maxWorkgroupSize[1] << "x" << maxWorkgroupSize[2] << ")\n"
      << "    maxStorageBufferRange: " << bytesText(maxStorageBufferRange)
      << ", maxMemoryAllocationSize: " << bytesText(maxMemoryAllocationSize)
      << ", maxBufferSize: " << (maxBufferSize ? bytesText(maxBufferSize) : std::string("?")) << "\n"
      << "    cooperative matrix: " << (cooperativeMatrix ? cooperativeMatrixExtension : std::string("no"))
      << ", push descriptors: " << yes(pushDescriptor) << ", memory budget: " << yes(memoryBudget)
      << ", timestamps: " << yes(timestampPeriod > 0) << "\n"
      << "    device-local memory: " << bytesText(deviceLocalBytes) << "\n";
    return o.str();
}

std::vector<DeviceInfo> queryDevices(VkInstance instance)
{
    uint32_t count = 0;
    if (vkEnumeratePhysicalDevices(instance, &count, nullptr) != VK_SUCCESS)
        return {};
    std::vector<VkPhysicalDevice> handles(count);
    vkEnumeratePhysicalDevices(instance, &count, handles.data());
    std::vector<DeviceInfo> out;
    for (uint32_t i = 0; i < count; ++i)
        out.push_back(queryDevice(handles[i], i));
    return out;
}

int deviceTypeRank(VkPhysicalDeviceType type)
{
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
    default: return 0;
    }
}

std::optional<size_t> chooseDevice(const std::vector<DeviceInfo>& devices, int requested)
{
    if (requested >= 0) {
        if (size_t(requested) < devices.size() && devices[size_t(requested)].usable())
            return size_t(requested);
        return std::nullopt;
    }
    std::optional<size_t> best;
    for (size_t i = 0; i < devices.size(); ++i) {
        if (!devices[i].usable())
            continue;
        if (!best || deviceTypeRank(devices[i].type) > deviceTypeRank(devices[*best].type))
            best = i;
    }
    return best;
}

} // namespace atelier::vk
