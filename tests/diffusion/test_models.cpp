#include "test_models.h"

#include "golden.h"
#include "test_device.h"

#include <QtGlobal>

#include <map>
#include <memory>

namespace atelier::test {

diffusion::StableDiffusion& goldenModel(const QString& family)
{
    static std::map<QString, std::unique_ptr<diffusion::StableDiffusion>> models;
    auto& model = models[family];
    if (!model) {
        diffusion::StableDiffusionOptions options;
        options.precision = diffusion::WeightPrecision::AsStored;
        auto loaded = diffusion::StableDiffusion::load(*testDevice(), goldenCheckpointPath(family), options);
        if (!loaded)
            qFatal("cannot load the golden %s: %s", qPrintable(family), loaded.error().message.c_str());
        model = std::move(*loaded);
    }
    return *model;
}

std::vector<float> structuredPicture(int width, int height)
{
    std::vector<float> rgb(size_t(width) * size_t(height) * 3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c) {
                const int byte = (c == 0 ? x * 255 / width : c == 1 ? y * 255 / height : (x * 7 + y * 13) % 256);
                rgb[(size_t(y) * size_t(width) + size_t(x)) * 3 + size_t(c)] = float(byte) / 127.5f - 1.0f;
            }
    return rgb;
}

std::vector<float> rectangleMask(int width, int height, int x0, int y0, int x1, int y1)
{
    std::vector<float> mask(size_t(width) * size_t(height), 0.0f);
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
            mask[size_t(y) * size_t(width) + size_t(x)] = 1.0f;
    return mask;
}

} // namespace atelier::test
