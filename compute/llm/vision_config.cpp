#include "llm/vision_config.h"

#include "io/gguf.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

namespace atelier::llm {

namespace {

Result<int> positive(const io::GgufFile& f, const std::string& key, uint32_t most = 1u << 20)
{
    ATELIER_ASSIGN(const uint32_t v, f.u32(key));
    if (v == 0 || v > most)
        return makeError(ErrorCode::Format, "vision projector: " + key + " = " + std::to_string(v) + " is not plausible");
    return int(v);
}

Result<std::array<float, 3>> triple(const io::GgufFile& f, const std::string& key)
{
    ATELIER_ASSIGN(const std::vector<float> v, f.f32Array(key));
    if (v.size() < 3)
        return makeError(ErrorCode::Format, "vision projector: " + key + " needs 3 values, not " + std::to_string(v.size()));
    for (size_t i = 0; i < 3; ++i)
        if (!(v[i] > -1e3f && v[i] < 1e3f) || (key.ends_with("std") && !(v[i] > 1e-6f)))
            return makeError(ErrorCode::Format, "vision projector: " + key + " holds an implausible value");
    return std::array<float, 3>{v[0], v[1], v[2]};
}

} // namespace

bool projectorFits(const VisionConfig& c, const std::string& architecture, int textDim)
{
    if (c.textDim != textDim)
        return false;
    switch (c.projector) {
    case Projector::Gemma3: return architecture == "gemma3";
    case Projector::Idefics3: return architecture == "llama";
    }
    return false;
}

std::string findVisionProjector(const std::string& modelPath, const std::string& architecture, int textDim)
{
    namespace fs = std::filesystem;
    std::error_code error;
    const fs::path folder = fs::path(modelPath).parent_path();
    std::vector<fs::path> candidates;
    for (fs::directory_iterator it(folder.empty() ? fs::path(".") : folder, error), end; !error && it != end;
         it.increment(error)) {
        const std::string name = it->path().filename().string();
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
        if (lower.rfind("mmproj", 0) == 0 && lower.ends_with(".gguf"))
            candidates.push_back(it->path());
        if (candidates.size() > 64)
            break;
    }
    std::sort(candidates.begin(), candidates.end());
    for (const fs::path& candidate : candidates) {
        auto file = io::GgufFile::open(candidate.string());
        if (!file)
            continue;
        auto config = VisionConfig::fromGguf(*file.value());
        if (config && projectorFits(config.value(), architecture, textDim))
            return candidate.string();
    }
    return {};
}

bool isVisionProjector(const io::GgufFile& f)
{
    if (f.architecture() != "clip")
        return false;
    auto vision = f.boolean("clip.has_vision_encoder");
    return vision.ok() && vision.value();
}

Result<VisionConfig> VisionConfig::fromGguf(const io::GgufFile& f)
{
    if (!isVisionProjector(f))
        return makeError(ErrorCode::Unsupported, "not a vision projector (an mmproj GGUF with a vision encoder)");
    VisionConfig c;
    auto type = f.string("clip.projector_type");
    if (!type.ok())
        type = f.string("clip.vision.projector_type");
    c.projectorName = type.ok() ? type.value() : std::string();
    if (c.projectorName == "gemma3")
        c.projector = Projector::Gemma3;
    else if (c.projectorName == "idefics3")
        c.projector = Projector::Idefics3;
    else
        return makeError(ErrorCode::Unsupported, "vision projectors of type '" +
                                                     (c.projectorName.empty() ? "?" : c.projectorName) +
                                                     "' are not supported (gemma3 and idefics3 are)");
    if (auto name = f.string("general.name"); name.ok())
        c.name = name.value();
    ATELIER_ASSIGN(c.imageSize, positive(f, "clip.vision.image_size", 4096));
    ATELIER_ASSIGN(c.patchSize, positive(f, "clip.vision.patch_size", 64));
    ATELIER_ASSIGN(c.dim, positive(f, "clip.vision.embedding_length"));
    ATELIER_ASSIGN(c.feedForward, positive(f, "clip.vision.feed_forward_length"));
    ATELIER_ASSIGN(c.layers, positive(f, "clip.vision.block_count", 1024));
    ATELIER_ASSIGN(c.heads, positive(f, "clip.vision.attention.head_count", 1024));
    ATELIER_ASSIGN(c.textDim, positive(f, "clip.vision.projection_dim"));
    if (auto eps = f.f32("clip.vision.attention.layer_norm_epsilon"); eps.ok())
        c.eps = eps.value();
    if (!(c.eps > 0.0f && c.eps < 1.0f))
        return makeError(ErrorCode::Format, "vision projector: layer_norm_epsilon is not plausible");
    ATELIER_ASSIGN(c.mean, triple(f, "clip.vision.image_mean"));
    ATELIER_ASSIGN(c.std, triple(f, "clip.vision.image_std"));
    // As llama.cpp: use_gelu is the tanh GELU, use_silu SiLU, neither CLIP's quick GELU.
    const bool gelu = f.boolean("clip.use_gelu").ok() && f.boolean("clip.use_gelu").value();
    const bool silu = f.boolean("clip.use_silu").ok() && f.boolean("clip.use_silu").value();
    if (gelu && silu)
        return makeError(ErrorCode::Format, "vision projector: both use_gelu and use_silu are set");
    c.activation = gelu ? VisionActivation::GeluTanh : silu ? VisionActivation::Silu : VisionActivation::GeluQuick;

    if (c.imageSize % c.patchSize != 0)
        return makeError(ErrorCode::Format, "vision projector: pictures of " + std::to_string(c.imageSize) +
                                                " pixels do not split into patches of " + std::to_string(c.patchSize));
    if (c.dim % c.heads != 0 || (c.dim / c.heads) % 4 != 0 || c.dim / c.heads > 256)
        return makeError(ErrorCode::Unsupported, "vision projector: heads of " + std::to_string(c.dim) + " / " +
                                                     std::to_string(c.heads) + " values are not supported");
    if (c.projector == Projector::Idefics3) {
        if (!f.find("clip.vision.projector.scale_factor") || !f.find("clip.vision.preproc_image_size"))
            return makeError(ErrorCode::Unsupported, "this SmolVLM / Idefics3 projector lacks projector.scale_factor or "
                                                     "preproc_image_size: convert it again with a current llama.cpp");
        ATELIER_ASSIGN(c.merge, positive(f, "clip.vision.projector.scale_factor", 64));
        ATELIER_ASSIGN(c.longestEdge, positive(f, "clip.vision.preproc_image_size", 8192));
        if (c.merge < 2 || c.patchesPerSide() % c.merge != 0)
            return makeError(ErrorCode::Format, "vision projector: a grid of " + std::to_string(c.patchesPerSide()) +
                                                    " patches does not merge by " + std::to_string(c.merge));
    }
    if (c.projector == Projector::Gemma3) {
        c.picturesBothWays = true;
        c.merge = 4; // Gemma 3's 64 x 64 patches pool to 16 x 16; a file may say otherwise (test models)
        if (f.find("clip.vision.projector.scale_factor")) {
            ATELIER_ASSIGN(c.merge, positive(f, "clip.vision.projector.scale_factor", 64));
        }
        if (c.patchesPerSide() % c.merge != 0)
            return makeError(ErrorCode::Format, "vision projector: a grid of " + std::to_string(c.patchesPerSide()) +
                                                    " patches does not pool by " + std::to_string(c.merge));
    }
    if (int64_t(c.patches()) > 65536)
        return makeError(ErrorCode::Unsupported, "vision projector: " + std::to_string(c.patches()) + " patches are too many");
    return c;
}

} // namespace atelier::llm
