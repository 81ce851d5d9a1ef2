#pragma once
// The Vulkan instance, with the Khronos validation layer and a debug messenger when asked for.

#include "core/result.h"
#include "vk/device_info.h"

#include <vulkan/vulkan.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace atelier::vk {

class Instance {
public:
    // validation: enable VK_LAYER_KHRONOS_validation (with synchronization validation) and count
    // its messages; fails with Unsupported when the layer is not installed.
    static Result<std::unique_ptr<Instance>> create(bool validation);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    VkInstance handle() const { return mInstance; }
    bool validationEnabled() const { return mMessenger != VK_NULL_HANDLE; }
    std::vector<DeviceInfo> devices() const { return queryDevices(mInstance); }

    // Validation errors and warnings reported since creation; tests fail on any.
    uint64_t validationErrors() const { return mErrors.load(); }
    uint64_t validationWarnings() const { return mWarnings.load(); }
    std::string lastValidationMessage() const;

private:
    Instance() = default;
    static VKAPI_ATTR VkBool32 VKAPI_CALL onMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                    VkDebugUtilsMessageTypeFlagsEXT types,
                                                    const VkDebugUtilsMessengerCallbackDataEXT* data, void* user);

    VkInstance mInstance = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT mMessenger = VK_NULL_HANDLE;
    std::atomic<uint64_t> mErrors{0};
    std::atomic<uint64_t> mWarnings{0};
    mutable std::mutex mMessageMutex;
    std::string mLastMessage;
};

} // namespace atelier::vk
