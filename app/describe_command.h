#pragma once
// `atelier describe`: a picture's Stable Diffusion prompt, written by a vision model (issue 22's
// "Describe for Create" without the window).

#include <QStringList>

namespace atelier::app {

// arguments: what follows "describe"; deviceIndex/validation as for every command.
int runDescribe(const QStringList& arguments, int deviceIndex, bool validation);

} // namespace atelier::app
