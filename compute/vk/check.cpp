#include "vk/check.h"

#include <spdlog/spdlog.h>

namespace atelier::vk {

const char* resultName(VkResult result)
{
    switch (result) {
#define CASE(x) case x: return #x;
        CASE(VK_SUCCESS)
        CASE(VK_NOT_READY)
        CASE(VK_TIMEOUT)
        CASE(VK_INCOMPLETE)
        CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
        CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        CASE(VK_ERROR_INITIALIZATION_FAILED)
        CASE(VK_ERROR_DEVICE_LOST)
        CASE(VK_ERROR_MEMORY_MAP_FAILED)
        CASE(VK_ERROR_LAYER_NOT_PRESENT)
        CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
        CASE(VK_ERROR_FEATURE_NOT_PRESENT)
        CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
        CASE(VK_ERROR_TOO_MANY_OBJECTS)
        CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
        CASE(VK_ERROR_FRAGMENTED_POOL)
        CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
        CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE)
        CASE(VK_ERROR_FRAGMENTATION)
        CASE(VK_PIPELINE_COMPILE_REQUIRED)
#undef CASE
    default: return "VK_ERROR_UNKNOWN";
    }
}

Error vulkanError(VkResult result, const char* call, const char* file, int line)
{
    spdlog::error("Vulkan call failed: {} returned {} ({}:{})", call, resultName(result), file, line);
    switch (result) {
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        return makeError(ErrorCode::OutOfDeviceMemory,
                         "The GPU ran out of memory. Close other GPU programs or use a smaller model or size.");
    case VK_ERROR_OUT_OF_HOST_MEMORY:
        return makeError(ErrorCode::OutOfHostMemory, "The system ran out of memory.");
    case VK_ERROR_DEVICE_LOST:
        return makeError(ErrorCode::DeviceLost,
                         "The GPU driver reset or the device was lost. Restart Atelier to continue.");
    default:
        return makeError(ErrorCode::Vulkan, std::string(call) + " failed with " + resultName(result));
    }
}

} // namespace atelier::vk
