#pragma once
// VK_CHECK: the one always-on check of a Vulkan call. It logs the call, file and line and
// returns the failure as an Error (out of memory and device lost keep their own codes).

#include "core/result.h"

#include <vulkan/vulkan.h>

namespace atelier::vk {

const char* resultName(VkResult result);
Error vulkanError(VkResult result, const char* call, const char* file, int line);

} // namespace atelier::vk

#define VK_CHECK(call)                                                              \
    do {                                                                            \
        const VkResult vkCheckResult_ = (call);                                     \
        if (vkCheckResult_ != VK_SUCCESS)                                           \
            return ::atelier::vk::vulkanError(vkCheckResult_, #call, __FILE__, __LINE__); \
    } while (0)
