#pragma once
// What a physical device can do, as far as Atelier's kernels care.

#include <vulkan/vulkan.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace atelier::vk {

struct DeviceInfo {
    uint32_t index = 0;                 // position in vkEnumeratePhysicalDevices
    VkPhysicalDevice handle = VK_NULL_HANDLE;
    std::string name;
    VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
    uint32_t vendorId = 0;
    uint32_t apiVersion = 0;
    std::string driverName;             // "llvmpipe", "NVIDIA"
    std::string driverInfo;             // driver version text
    uint32_t computeQueueFamily = UINT32_MAX;

    // Arithmetic and storage
    bool fp16Arithmetic = false;        // shaderFloat16
    bool int8Arithmetic = false;        // shaderInt8
    bool storage16Bit = false;          // storageBuffer16BitAccess
    bool storage8Bit = false;           // storageBuffer8BitAccess
    bool int8DotProduct = false;        // shaderIntegerDotProduct
    // VkPhysicalDeviceShaderIntegerDotProductProperties: packed 4x8-bit dot products of signed, and
    // of signed by unsigned, bytes run as instructions of their own (lavapipe emulates them).
    bool int8DotSignedAccelerated = false;
    bool int8DotMixedAccelerated = false;
    bool cooperativeMatrix = false;     // VK_KHR_cooperative_matrix or VK_NV_cooperative_matrix
    std::string cooperativeMatrixExtension;

    // Subgroups
    uint32_t subgroupSize = 0;
    uint32_t minSubgroupSize = 0, maxSubgroupSize = 0;
    VkSubgroupFeatureFlags subgroupOperations = 0;
    bool subgroupInCompute = false;

    // Limits
    uint32_t maxSharedMemory = 0;       // maxComputeSharedMemorySize, bytes
    uint32_t maxWorkgroupInvocations = 0;
    uint32_t maxWorkgroupSize[3] = {};
    uint32_t maxWorkgroupCount[3] = {};
    uint64_t maxStorageBufferRange = 0; // bytes one descriptor may bind
    uint64_t maxTexelBufferElements = 0; // texels one texel-buffer view may span
    uint64_t maxMemoryAllocationSize = 0;
    uint64_t maxBufferSize = 0;         // 0 when the driver does not say (before Vulkan 1.3)
    uint64_t minStorageBufferOffsetAlignment = 0;
    uint32_t maxPushConstantsSize = 0;
    float timestampPeriod = 0.0f;       // ns per tick; 0: no compute timestamps
    bool pushDescriptor = false;        // VK_KHR_push_descriptor
    bool memoryBudget = false;          // VK_EXT_memory_budget
    uint64_t deviceLocalBytes = 0;      // sum of DEVICE_LOCAL heaps

    bool subgroupArithmetic() const { return subgroupInCompute && (subgroupOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT); }
    // Every subgroup of a compute dispatch has subgroupSize lanes (CPU devices' kernels without barriers rely on it).
    bool fixedSubgroupSize() const { return subgroupSize > 0 && minSubgroupSize == maxSubgroupSize; }
    bool usable() const { return apiVersion >= VK_API_VERSION_1_2 && computeQueueFamily != UINT32_MAX; }
    std::string typeName() const;
    std::string apiVersionText() const;
    // The multi-line capability listing printed by `atelier devices` and logged at start.
    std::string describe() const;
};

std::vector<DeviceInfo> queryDevices(VkInstance instance);

// discrete > integrated > virtual > CPU > other; -1 for unusable devices.
int deviceTypeRank(VkPhysicalDeviceType type);

// The device to use: `requested` when >= 0 (nullopt if it does not exist or cannot run compute),
// else the best-ranked usable one.
std::optional<size_t> chooseDevice(const std::vector<DeviceInfo>& devices, int requested);

} // namespace atelier::vk
