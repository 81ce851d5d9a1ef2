#pragma once
// The files each workspace works from: where they live and how the UI speaks of them.

#include "widgets/empty_state.h"

namespace atelier::ui {

AwaitedFiles languageModels();   // *.gguf in paths::modelsDir()
AwaitedFiles imageCheckpoints(); // *.safetensors in paths::modelsDir()
AwaitedFiles galleryPictures();  // PNG, JPEG and WebP in paths::galleryDir()

} // namespace atelier::ui
