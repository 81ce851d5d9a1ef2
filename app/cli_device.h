#pragma once
// The Vulkan device a command-line command computes on: the one `--device N` names (or the best),
// with validation when asked, sharing the window's pipeline cache so shaders compile once.

#include "core/result.h"
#include "vk/device.h"

#include <memory>

namespace atelier::app {

Result<std::unique_ptr<vk::Device>> openCliDevice(int deviceIndex, bool validation);

} // namespace atelier::app
