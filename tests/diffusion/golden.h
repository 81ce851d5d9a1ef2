#pragma once
// What the diffusion golden tests share: the two golden checkpoints (golden_models.py), the
// reference outputs the goldens_*.py scripts wrote (safetensors files of f32 tensors), the
// comparison, and the registry main.cpp runs the test classes from.

#include "core/result.h"
#include "io/safetensors.h"
#include "test_result.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace atelier::test {

// tests/diffusion/fixtures/golden_<family>.safetensors, family "sd1" or "sd2".
std::string goldenCheckpointPath(const QString& family);

// A reference file tests/diffusion/goldens/<name>.safetensors.
class GoldenFile {
public:
    // QFAIL-style: a missing or unreadable file is a fatal test error.
    explicit GoldenFile(const QString& name);
    bool has(const std::string& tensor) const;
    std::vector<float> floats(const std::string& tensor) const;  // any float dtype, as f32
    std::vector<int32_t> ints(const std::string& tensor) const;  // I32 or I64, as int32
    std::vector<int64_t> shape(const std::string& tensor) const;

private:
    const io::SafetensorsTensor& find(const std::string& tensor) const;
    std::unique_ptr<io::SafetensorsFile> mFile;
};

// Registers a test class for main.cpp; use ATELIER_DIFFUSION_TEST(Class) once per *_test.cpp.
int registerDiffusionTest(const char* name, std::function<std::unique_ptr<QObject>()> make);

} // namespace atelier::test

#define ATELIER_DIFFUSION_TEST(Class)                                                                       \
    [[maybe_unused]] static const int atelierRegistered##Class =                                            \
        atelier::test::registerDiffusionTest(#Class, [] { return std::unique_ptr<QObject>(new Class); });
