#include "create/model_size.h"

#include "diffusion/checkpoint.h"

namespace atelier::ui {

std::optional<ModelSize> readModelSize(const QString& path)
{
    if (path.isEmpty())
        return std::nullopt;
    auto checkpoint = diffusion::Checkpoint::open(path.toStdString());
    if (!checkpoint)
        return std::nullopt;
    const diffusion::CheckpointConfig& config = checkpoint.value()->config();
    ModelSize size;
    size.native = config.defaultResolution;
    size.multiple = config.vae.downscale() << (config.unet.levels() - 1);
    if (size.multiple <= 0 || size.native <= 0)
        return std::nullopt;
    size.native = snapToMultiple(size.native, size.multiple);
    return size;
}

int snapToMultiple(int side, int multiple)
{
    if (multiple <= 0)
        return side;
    return std::max(multiple, (side + multiple / 2) / multiple * multiple);
}

QList<QSize> sizePresets(const ModelSize& model)
{
    const int n = model.native;
    const int wide = snapToMultiple(n * 3 / 2, model.multiple);
    const int twice = snapToMultiple(n * 2, model.multiple);
    QList<QSize> presets{{n, n}, {n, wide}, {wide, n}, {wide, wide}, {twice, twice}};
    presets.erase(std::unique(presets.begin(), presets.end()), presets.end());
    return presets;
}

} // namespace atelier::ui
