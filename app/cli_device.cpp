#include "cli_device.h"

#include "core/app_paths.h"

namespace atelier::app {

Result<std::unique_ptr<vk::Device>> openCliDevice(int deviceIndex, bool validation)
{
    vk::Device::Options options;
    options.deviceIndex = deviceIndex;
    options.validation = validation;
    options.pipelineCachePath = paths::pipelineCachePath().toStdString();
    return vk::Device::create(options);
}

} // namespace atelier::app
