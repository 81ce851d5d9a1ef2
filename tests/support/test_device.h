#pragma once
// The Vulkan device tests run on: validation on (ATELIER_VK_VALIDATION=1 from CTest), the device
// from ATELIER_DEVICE or the best one. checkValidation() fails the test on any validation message.

#include "vk/device.h"

#include <QtGlobal>

#include <map>
#include <memory>
#include <string>
#include <random>
#include <vector>

namespace atelier::test {

// Opens the device once per test executable; QFAIL-style null when none can be opened.
vk::Device* testDevice();

// The device the paths of GPUs run on: the test device itself on a GPU; on a CPU device (lavapipe) a
// second device of it with every choice made as for a discrete GPU (vk::Device::Options::asDiscreteGpu),
// so that the kernels, layouts and transfers GPUs take are checked without one.
vk::Device* gpuPathsDevice();

// One model per key per test run, made by load(device) on the device deviceOf() opens; null (with
// a warning) where it fails. The map is made after the device, so it is freed before the device
// closes at exit (a model outliving its device crashes there).
template <typename Model, vk::Device* (*deviceOf)() = testDevice, typename Load>
Model* loadedOnce(const std::string& key, Load load)
{
    vk::Device* device = deviceOf();
    static std::map<std::string, std::unique_ptr<Model>> models;
    auto& model = models[key];
    if (!model && device) {
        auto made = load(*device);
        if (made)
            model = std::move(made).value();
        else
            qWarning("%s", made.error().message.c_str());
    }
    return model.get();
}

// Validation errors/warnings on the test device (or `device`) since the last call for it; a test
// calls QVERIFY(noValidationMessages()).
bool noValidationMessages();
bool noValidationMessages(vk::Device* device);

std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

// max |a - b| / max(max |b|, tiny): the normalised error the op tests bound.
double normalisedError(const std::vector<float>& actual, const std::vector<float>& expected);

// A model the setup script installs (installer/models.sh) into the user's models folder, which
// tests find even though ATELIER_DATA_DIR points elsewhere; ATELIER_MODELS_DIR overrides it.
// Empty when absent: tests QSKIP then, except under CI (CI=true), where they must fail.
std::string installedModel(const char* fileName);
bool modelsRequired();

// Rounds each value through f16 (for CPU references of f16 kernels).
std::vector<float> roundToHalf(std::vector<float> v);

} // namespace atelier::test
