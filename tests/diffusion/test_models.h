#pragma once
// The pictures and loaded models several diffusion tests use: each checkpoint is loaded once per
// test process, whichever test asks first (a golden checkpoint takes seconds to load on lavapipe).

#include "diffusion/stable_diffusion.h"

#include <QString>

#include <vector>

namespace atelier::test {

// A golden checkpoint (goldenCheckpointPath: "sd1", "sd2", "sd1_inpaint") at its stored precision.
diffusion::StableDiffusion& goldenModel(const QString& family);

// A picture with structure everywhere (so a repaint cannot match it by chance), RGB in [-1, 1] HWC.
std::vector<float> structuredPicture(int width, int height);

// A mask [height, width]: 1 inside [x0, x1) x [y0, y1), 0 elsewhere.
std::vector<float> rectangleMask(int width, int height, int x0, int y0, int x1, int y1);

} // namespace atelier::test
