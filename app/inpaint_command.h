#pragma once
// `atelier inpaint`: repaint the white area of a mask in a picture with a Stable Diffusion
// checkpoint (a regular one or a 9-channel inpainting one), keeping every other pixel, written as a
// PNG carrying A1111's `parameters` chunk and Atelier's JSON.

#include <QStringList>

namespace atelier::app {

// arguments: what follows "inpaint"; deviceIndex/validation as for every command.
int runInpaint(const QStringList& arguments, int deviceIndex, bool validation);

} // namespace atelier::app
