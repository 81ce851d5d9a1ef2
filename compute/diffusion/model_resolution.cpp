#include "diffusion/model_resolution.h"

#include "io/safetensors.h"

#include <charconv>

namespace atelier::diffusion {

std::optional<int> parseModelspecResolution(std::string_view text)
{
    const size_t x = text.find('x');
    if (x == std::string_view::npos)
        return std::nullopt;
    int width = 0, height = 0;
    const std::string_view w = text.substr(0, x), h = text.substr(x + 1);
    const auto [wEnd, wError] = std::from_chars(w.data(), w.data() + w.size(), width);
    const auto [hEnd, hError] = std::from_chars(h.data(), h.data() + h.size(), height);
    if (wError != std::errc() || hError != std::errc() || wEnd != w.data() + w.size() || hEnd != h.data() + h.size())
        return std::nullopt;
    if (width != height || width < 64 || width > 4096 || width % 64 != 0)
        return std::nullopt;
    return width;
}

std::optional<int> declaredResolution(const std::string& path)
{
    if (path.size() < 12 || path.compare(path.size() - 12, 12, ".safetensors") != 0)
        return std::nullopt;
    auto file = io::SafetensorsFile::open(path);
    if (!file)
        return std::nullopt;
    const auto text = (*file)->metadata("modelspec.resolution");
    return text ? parseModelspecResolution(*text) : std::nullopt;
}

} // namespace atelier::diffusion
