#pragma once
// The picture sizes a checkpoint can make, read from its headers without loading weights: the side
// it was trained at and the multiple of pixels its VAE and UNet need (SD 1.5: 512 and 64; Atelier's
// shapes model: 128 and 32). The size fields step by that multiple and the presets start at the
// model's own side.

#include <QList>
#include <QSize>
#include <QString>

#include <optional>

namespace atelier::ui {

struct ModelSize {
    int native = 512;  // pixels per side it was trained at
    int multiple = 64; // width and height must be multiples of this
};

// Nothing when the file cannot be read as a checkpoint.
std::optional<ModelSize> readModelSize(const QString& path);

// The model's square, a portrait and a landscape of 1.5 its side, 1.5 x 1.5 and twice its side, all
// rounded to its multiple.
QList<QSize> sizePresets(const ModelSize& model);

// The nearest multiple of `multiple` to `side`, at least `multiple`.
int snapToMultiple(int side, int multiple);

} // namespace atelier::ui
