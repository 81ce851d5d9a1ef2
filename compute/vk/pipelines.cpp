#include "vk/pipelines.h"

#include "vk/check.h"
#include "vk/embedded_shaders.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <tuple>

namespace atelier::vk {

const EmbeddedShader* findEmbeddedShader(std::string_view name)
{
    for (const auto& s : embeddedShaders()) {
        if (name == s.name)
            return &s;
    }
    return nullptr;
}

bool PipelineDesc::operator<(const PipelineDesc& o) const
{
    return std::tie(shader, bindings, texelBindings, wordTexels, sampledTexels, pushConstantBytes, specConstants) <
           std::tie(o.shader, o.bindings, o.texelBindings, o.wordTexels, o.sampledTexels, o.pushConstantBytes,
                    o.specConstants);
}

namespace {

std::vector<char> readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

// A cache written by another driver or device is ignored rather than handed to the driver.
bool cacheMatches(const std::vector<char>& data, VkPhysicalDevice pd)
{
    if (data.size() < 16 + VK_UUID_SIZE)
        return false;
    VkPhysicalDeviceProperties props{};
    vkGetPhysicalDeviceProperties(pd, &props);
    uint32_t header[4];
    std::memcpy(header, data.data(), 16);
    return header[1] == VK_PIPELINE_CACHE_HEADER_VERSION_ONE && header[2] == props.vendorID &&
           header[3] == props.deviceID && std::memcmp(data.data() + 16, props.pipelineCacheUUID, VK_UUID_SIZE) == 0;
}

} // namespace

PipelineLibrary::PipelineLibrary(VkDevice device, const DeviceInfo& info, std::string cachePath)
    : mDevice(device), mInfo(info), mCachePath(std::move(cachePath))
{
    std::vector<char> data;
    if (!mCachePath.empty()) {
        data = readFile(mCachePath);
        if (!data.empty() && !cacheMatches(data, info.handle)) {
            spdlog::info("pipeline cache {} is from another device or driver; starting a new one", mCachePath);
            data.clear();
        }
    }
    VkPipelineCacheCreateInfo ci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    ci.initialDataSize = data.size();
    ci.pInitialData = data.empty() ? nullptr : data.data();
    if (vkCreatePipelineCache(mDevice, &ci, nullptr, &mCache) != VK_SUCCESS) {
        ci.initialDataSize = 0;
        ci.pInitialData = nullptr;
        vkCreatePipelineCache(mDevice, &ci, nullptr, &mCache);
    }
}

PipelineLibrary::~PipelineLibrary()
{
    if (auto s = saveCache(); !s)
        spdlog::warn("could not save the pipeline cache: {}", s.error().message);
    for (auto& [desc, p] : mPipelines) {
        vkDestroyPipeline(mDevice, p->pipeline, nullptr);
        vkDestroyPipelineLayout(mDevice, p->layout, nullptr);
        vkDestroyDescriptorSetLayout(mDevice, p->setLayout, nullptr);
    }
    for (auto& [name, module] : mModules)
        vkDestroyShaderModule(mDevice, module, nullptr);
    if (mCache)
        vkDestroyPipelineCache(mDevice, mCache, nullptr);
}

Status PipelineLibrary::saveCache() const
{
    if (mCachePath.empty() || !mCache)
        return {};
    size_t size = 0;
    VK_CHECK(vkGetPipelineCacheData(mDevice, mCache, &size, nullptr));
    std::vector<char> data(size);
    VK_CHECK(vkGetPipelineCacheData(mDevice, mCache, &size, data.data()));
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(mCachePath).parent_path(), ec);
    const std::string tmp = mCachePath + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(data.data(), std::streamsize(size));
        if (!out)
            return makeError(ErrorCode::Io, "cannot write " + tmp);
    }
    std::filesystem::rename(tmp, mCachePath, ec); // atomic: a crash never leaves half a cache
    if (ec)
        return makeError(ErrorCode::Io, "cannot replace " + mCachePath + ": " + ec.message());
    return {};
}

Result<const Pipeline*> PipelineLibrary::get(const PipelineDesc& desc)
{
    std::lock_guard lock(mMutex);
    if (auto it = mPipelines.find(desc); it != mPipelines.end())
        return it->second.get();
    ATELIER_ASSIGN(auto pipeline, build(desc));
    const Pipeline* raw = pipeline.get();
    mPipelines.emplace(desc, std::move(pipeline));
    return raw;
}

Result<std::unique_ptr<Pipeline>> PipelineLibrary::build(const PipelineDesc& desc)
{
    const EmbeddedShader* shader = findEmbeddedShader(desc.shader);
    if (!shader)
        return makeError(ErrorCode::Unsupported, "no shader named '" + desc.shader + "' is built into Atelier");
    if (desc.pushConstantBytes > mInfo.maxPushConstantsSize)
        return makeError(ErrorCode::Unsupported, desc.shader + ": push constants exceed the device limit");

    VkShaderModule& module = mModules[desc.shader];
    if (!module) {
        VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
        mi.codeSize = shader->code.size_bytes();
        mi.pCode = shader->code.data();
        VK_CHECK(vkCreateShaderModule(mDevice, &mi, nullptr, &module));
    }

    auto p = std::make_unique<Pipeline>();
    p->label = desc.shader;
    p->bindings = desc.bindings;
    p->texelBindings = desc.texelBindings;
    p->wordTexels = desc.wordTexels;
    p->sampledTexels = desc.sampledTexels;
    p->pushConstantBytes = desc.pushConstantBytes;

    std::vector<VkDescriptorSetLayoutBinding> bindings(desc.bindings);
    for (uint32_t i = 0; i < desc.bindings; ++i)
        bindings[i] = {i,
                       (desc.texelBindings >> i & 1) ? vk::texelDescriptorType(desc.sampledTexels)
                                                     : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                       1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    VkDescriptorSetLayoutCreateInfo dl{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    if (mInfo.pushDescriptor)
        dl.flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR;
    dl.bindingCount = desc.bindings;
    dl.pBindings = bindings.data();
    VK_CHECK(vkCreateDescriptorSetLayout(mDevice, &dl, nullptr, &p->setLayout));

    VkPushConstantRange pcr{VK_SHADER_STAGE_COMPUTE_BIT, 0, desc.pushConstantBytes};
    VkPipelineLayoutCreateInfo pl{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pl.setLayoutCount = 1;
    pl.pSetLayouts = &p->setLayout;
    pl.pushConstantRangeCount = desc.pushConstantBytes ? 1 : 0;
    pl.pPushConstantRanges = &pcr;
    if (VkResult r = vkCreatePipelineLayout(mDevice, &pl, nullptr, &p->layout); r != VK_SUCCESS) {
        vkDestroyDescriptorSetLayout(mDevice, p->setLayout, nullptr);
        return vulkanError(r, "vkCreatePipelineLayout", __FILE__, __LINE__);
    }

    std::vector<VkSpecializationMapEntry> entries(desc.specConstants.size());
    for (uint32_t i = 0; i < entries.size(); ++i)
        entries[i] = {i, i * 4u, 4};
    VkSpecializationInfo spec{uint32_t(entries.size()), entries.data(), desc.specConstants.size() * 4,
                              desc.specConstants.data()};

    VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    ci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = module;
    ci.stage.pName = "main";
    ci.stage.pSpecializationInfo = entries.empty() ? nullptr : &spec;
    ci.layout = p->layout;
    if (VkResult r = vkCreateComputePipelines(mDevice, mCache, 1, &ci, nullptr, &p->pipeline); r != VK_SUCCESS) {
        vkDestroyPipelineLayout(mDevice, p->layout, nullptr);
        vkDestroyDescriptorSetLayout(mDevice, p->setLayout, nullptr);
        return vulkanError(r, "vkCreateComputePipelines", __FILE__, __LINE__);
    }
    spdlog::debug("built pipeline {}", desc.shader);
    return p;
}

} // namespace atelier::vk
