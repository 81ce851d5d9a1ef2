#pragma once
// `atelier generate`: a picture from a prompt (txt2img, or img2img with --init-image) with a Stable
// Diffusion checkpoint, written as a PNG carrying A1111's `parameters` chunk and Atelier's JSON.

#include <QStringList>

namespace atelier::app {

// arguments: what follows "generate"; deviceIndex/validation as for every command.
int runGenerate(const QStringList& arguments, int deviceIndex, bool validation);

} // namespace atelier::app
