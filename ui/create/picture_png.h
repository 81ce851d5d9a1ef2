#pragma once
// Pictures on disk: a generated picture as PNG bytes with its `parameters` (A1111) and `atelier`
// (JSON) text chunks, and a picture file read as an init image for img2img.

#include "core/result.h"
#include "diffusion/generation.h"

#include <QByteArray>
#include <QString>

#include <vector>

namespace atelier::ui {

// RGB8 [height, width, 3] -> PNG with the chunks `parameters` = formatA1111(image.parameters) and
// `atelier` = atelierJson (left out when empty).
Result<QByteArray> encodePicturePng(const diffusion::GeneratedImage& image, const QByteArray& atelierJson);

// The picture at `path` scaled to width x height (smoothly, ignoring its aspect ratio, as A1111's
// "Just resize"), as RGB [height, width, 3] floats in [-1, 1]. Transparent pixels are composited
// over white first.
Result<std::vector<float>> loadInitImage(const QString& path, int width, int height);

} // namespace atelier::ui
