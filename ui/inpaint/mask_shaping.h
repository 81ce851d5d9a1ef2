#pragma once
// The mask as the engine will use it, for the live preview on the canvas: grown (or shrunk, with a
// negative radius) by a square max/min filter, then feathered by a blur of about a Gaussian's sigma. The
// engine does the real feather on the GPU; this CPU version only has to look the same.

#include <QImage>

#include <vector>

namespace atelier::ui {

// `mask`: Format_Grayscale8, 255 = repaint. Radii in picture pixels.
QImage shapeMask(const QImage& mask, int grow, int feather);

// Grayscale8 [height, width] -> floats in [0, 1], as diffusion::InpaintRequest::mask wants them.
std::vector<float> maskToFloats(const QImage& mask);

} // namespace atelier::ui
