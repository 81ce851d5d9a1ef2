#include "test_device.h"

#include "core/dtype.h"

#include <QFileInfo>
#include <QStandardPaths>
#include <QtTest>

#include <cmath>
#include <cstdlib>

namespace atelier::test {

namespace {
std::unique_ptr<vk::Device>& holder()
{
    static std::unique_ptr<vk::Device> device;
    return device;
}

std::unique_ptr<vk::Device>& gpuPathsHolder()
{
    static std::unique_ptr<vk::Device> device;
    return device;
}

// Opens the device `held` keeps, once, with the environment's validation and device index.
template <std::unique_ptr<vk::Device>& (*held)()>
vk::Device* openOnce(bool asDiscreteGpu)
{
    auto& device = held();
    if (!device) {
        vk::Device::Options o;
        o.validation = qEnvironmentVariableIntValue("ATELIER_VK_VALIDATION") != 0;
        bool ok = false;
        const int index = qEnvironmentVariableIntValue("ATELIER_DEVICE", &ok);
        if (ok)
            o.deviceIndex = index;
        o.asDiscreteGpu = asDiscreteGpu;
        auto created = vk::Device::create(o);
        if (!created) {
            qWarning("cannot open a Vulkan device: %s", created.error().message.c_str());
            return nullptr;
        }
        device = std::move(created).value();
        // Close the device before static destruction: a driver may already have torn itself down
        // by then (NVIDIA's did: every test unit ended in SIGSEGV after its last test). An
        // exit handler registered now runs before the destructors of statics made earlier.
        std::atexit([] { held().reset(); });
        if (o.validation && !device->instance().validationEnabled())
            qWarning("validation was requested but is not active");
    }
    return device.get();
}
} // namespace

vk::Device* testDevice() { return openOnce<holder>(false); }

vk::Device* gpuPathsDevice()
{
    vk::Device* shared = testDevice();
    if (!shared || shared->info().type != VK_PHYSICAL_DEVICE_TYPE_CPU)
        return shared;
    return openOnce<gpuPathsHolder>(true);
}

bool noValidationMessages(vk::Device* device)
{
    static std::map<vk::Device*, uint64_t> seen;
    if (!device)
        return false;
    const uint64_t total = device->instance().validationErrors() + device->instance().validationWarnings();
    const bool clean = total == seen[device];
    if (!clean)
        qWarning("validation: %s", device->instance().lastValidationMessage().c_str());
    seen[device] = total;
    return clean;
}

bool noValidationMessages() { return noValidationMessages(testDevice()); }

std::vector<float> randomFloats(size_t n, uint32_t seed, float lo, float hi)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v)
        x = dist(rng);
    return v;
}

double normalisedError(const std::vector<float>& actual, const std::vector<float>& expected)
{
    if (actual.size() != expected.size())
        return INFINITY;
    double maxRef = 1e-30, maxDiff = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
        if (!std::isfinite(actual[i]))
            return INFINITY;
        maxRef = std::max(maxRef, double(std::fabs(expected[i])));
        maxDiff = std::max(maxDiff, double(std::fabs(actual[i] - expected[i])));
    }
    return maxDiff / maxRef;
}

std::string installedModel(const char* fileName)
{
    QString dir = qEnvironmentVariable("ATELIER_MODELS_DIR");
    if (dir.isEmpty())
        dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + "/Atelier/models";
    const QString path = dir + "/" + QString::fromUtf8(fileName);
    return QFileInfo::exists(path) ? path.toStdString() : std::string();
}

bool modelsRequired() { return qEnvironmentVariable("CI") == "true"; }

std::vector<float> roundToHalf(std::vector<float> v)
{
    for (auto& x : v)
        x = halfToFloat(floatToHalf(x));
    return v;
}

} // namespace atelier::test
