#include "vk/instance.h"

#include "vk/check.h"

#include <spdlog/spdlog.h>

#include <cstring>

namespace atelier::vk {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

bool layerAvailable(const char* name)
{
    uint32_t count = 0;
    vkEnumerateInstanceLayerProperties(&count, nullptr);
    std::vector<VkLayerProperties> layers(count);
    vkEnumerateInstanceLayerProperties(&count, layers.data());
    for (const auto& l : layers) {
        if (std::strcmp(l.layerName, name) == 0)
            return true;
    }
    return false;
}

bool instanceExtensionAvailable(const char* name)
{
    uint32_t count = 0;
    vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> exts(count);
    vkEnumerateInstanceExtensionProperties(nullptr, &count, exts.data());
    for (const auto& e : exts) {
        if (std::strcmp(e.extensionName, name) == 0)
            return true;
    }
    return false;
}

} // namespace

Result<std::unique_ptr<Instance>> Instance::create(bool validation)
{
    std::unique_ptr<Instance> self(new Instance());

    uint32_t loaderVersion = VK_API_VERSION_1_0;
    if (vkEnumerateInstanceVersion(&loaderVersion) != VK_SUCCESS || loaderVersion < VK_API_VERSION_1_2)
        return makeError(ErrorCode::NoDevice, "The Vulkan loader is older than 1.2; update the GPU driver.");

    if (validation && !layerAvailable(kValidationLayer))
        return makeError(ErrorCode::Unsupported,
                         "Vulkan validation was requested but VK_LAYER_KHRONOS_validation is not installed "
                         "(Debian package vulkan-validationlayers).");

    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "Atelier";
    app.pEngineName = "Atelier";
    app.apiVersion = VK_API_VERSION_1_3;

    std::vector<const char*> extensions;
    std::vector<const char*> layers;
    VkInstanceCreateFlags flags = 0;
    if (instanceExtensionAvailable(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) { // MoltenVK
        extensions.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
        flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }
    if (validation) {
        layers.push_back(kValidationLayer);
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    }

    VkDebugUtilsMessengerCreateInfoEXT messengerInfo{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    messengerInfo.messageSeverity =
        VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    messengerInfo.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                                VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                                VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    messengerInfo.pfnUserCallback = &Instance::onMessage;
    messengerInfo.pUserData = self.get();

    // Synchronization validation catches a missing barrier between two dispatches.
    const VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
    features.enabledValidationFeatureCount = 1;
    features.pEnabledValidationFeatures = enables;
    features.pNext = &messengerInfo;

    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.flags = flags;
    info.pApplicationInfo = &app;
    info.enabledLayerCount = uint32_t(layers.size());
    info.ppEnabledLayerNames = layers.data();
    info.enabledExtensionCount = uint32_t(extensions.size());
    info.ppEnabledExtensionNames = extensions.data();
    if (validation)
        info.pNext = &features;
    VK_CHECK(vkCreateInstance(&info, nullptr, &self->mInstance));

    if (validation) {
        auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(self->mInstance, "vkCreateDebugUtilsMessengerEXT"));
        if (!create)
            return makeError(ErrorCode::Unsupported, "VK_EXT_debug_utils is not available");
        VK_CHECK(create(self->mInstance, &messengerInfo, nullptr, &self->mMessenger));
        spdlog::info("Vulkan validation layer enabled (with synchronization validation)");
    }
    return self;
}

Instance::~Instance()
{
    if (mMessenger) {
        auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(mInstance, "vkDestroyDebugUtilsMessengerEXT"));
        if (destroy)
            destroy(mInstance, mMessenger, nullptr);
    }
    if (mInstance)
        vkDestroyInstance(mInstance, nullptr);
}

std::string Instance::lastValidationMessage() const
{
    std::lock_guard lock(mMessageMutex);
    return mLastMessage;
}

VKAPI_ATTR VkBool32 VKAPI_CALL Instance::onMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                   VkDebugUtilsMessageTypeFlagsEXT types,
                                                   const VkDebugUtilsMessengerCallbackDataEXT* data, void* user)
{
    auto* self = static_cast<Instance*>(user);
    const char* text = data && data->pMessage ? data->pMessage : "";
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        ++self->mErrors;
        spdlog::error("[vulkan validation] {}", text);
    } else {
        ++self->mWarnings;
        spdlog::warn("[vulkan validation] {}", text);
    }
    {
        std::lock_guard lock(self->mMessageMutex);
        self->mLastMessage = text;
    }
    return VK_FALSE;
}

} // namespace atelier::vk
