#pragma once
// Compute pipelines made from embedded SPIR-V, keyed by shader name and specialization constants,
// backed by an on-disk VkPipelineCache.

#include "core/result.h"
#include "vk/device_info.h"

#include <vulkan/vulkan.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace atelier::vk {

struct PipelineDesc {
    std::string shader;                  // embedded shader name
    uint32_t bindings = 0;               // storage buffers at set 0, bindings 0..n-1
    uint32_t pushConstantBytes = 0;
    std::vector<uint32_t> specConstants; // constant_id 0..n-1 (id 0 is the workgroup size by convention)
    // Bit i: binding i is a texel buffer instead, of uvec4 (R32G32B32A32_UINT) texels, or of uint
    // (R32_UINT) ones where bit i of wordTexels is set too. CPU drivers (lavapipe) load texels with
    // vector gathers but storage buffers lane by lane. They are storage texel buffers (imageLoad),
    // or uniform texel buffers (texelFetch) for shaders built with SAMPLED_TEXELS (texels.glsl).
    uint32_t texelBindings = 0;
    uint32_t wordTexels = 0;
    bool sampledTexels = false;

    bool operator<(const PipelineDesc& o) const;
};

struct Pipeline {
    std::string label;                   // shader name, for profiles and errors
    VkPipeline pipeline = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
    uint32_t bindings = 0;
    uint32_t texelBindings = 0;
    uint32_t wordTexels = 0;
    bool sampledTexels = false;
    uint32_t pushConstantBytes = 0;
};

// The descriptor type of a pipeline's texel bindings (PipelineDesc::sampledTexels).
inline VkDescriptorType texelDescriptorType(bool sampledTexels)
{
    return sampledTexels ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER;
}

class PipelineLibrary {
public:
    PipelineLibrary(VkDevice device, const DeviceInfo& info, std::string cachePath);
    ~PipelineLibrary(); // saves the cache
    PipelineLibrary(const PipelineLibrary&) = delete;
    PipelineLibrary& operator=(const PipelineLibrary&) = delete;

    Result<const Pipeline*> get(const PipelineDesc& desc);
    Status saveCache() const;
    size_t size() const { return mPipelines.size(); }

private:
    Result<std::unique_ptr<Pipeline>> build(const PipelineDesc& desc);

    VkDevice mDevice;
    const DeviceInfo& mInfo;
    std::string mCachePath;
    VkPipelineCache mCache = VK_NULL_HANDLE;
    std::mutex mMutex;
    std::map<PipelineDesc, std::unique_ptr<Pipeline>> mPipelines;
    std::map<std::string, VkShaderModule> mModules;
};

} // namespace atelier::vk
