#include "golden.h"

#include <QtTest>

#include <algorithm>
#include <cstring>
#include <utility>

namespace atelier::test {

std::string goldenCheckpointPath(const QString& family)
{
    return QStringLiteral(ATELIER_DIFFUSION_TEST_DIR "/fixtures/golden_%1.safetensors").arg(family).toStdString();
}

GoldenFile::GoldenFile(const QString& name)
{
    const std::string path = QStringLiteral(ATELIER_DIFFUSION_TEST_DIR "/goldens/%1.safetensors").arg(name).toStdString();
    auto file = io::SafetensorsFile::open(path);
    if (!file)
        qFatal("golden %s: %s", path.c_str(), file.error().message.c_str());
    mFile = std::move(*file);
}

const io::SafetensorsTensor& GoldenFile::find(const std::string& tensor) const
{
    const io::SafetensorsTensor* t = mFile->find(tensor);
    if (!t)
        qFatal("golden %s has no tensor '%s'", mFile->path().c_str(), tensor.c_str());
    return *t;
}

bool GoldenFile::has(const std::string& tensor) const { return mFile->find(tensor) != nullptr; }

std::vector<int64_t> GoldenFile::shape(const std::string& tensor) const { return find(tensor).shape; }

std::vector<float> GoldenFile::floats(const std::string& tensor) const
{
    const io::SafetensorsTensor& t = find(tensor);
    std::vector<float> out(size_t(t.elements()));
    for (size_t i = 0; i < out.size(); ++i) {
        if (t.dtype == io::SafetensorsDType::F32) {
            std::memcpy(&out[i], t.data.data() + 4 * i, 4);
        } else if (t.dtype == io::SafetensorsDType::F16 || t.dtype == io::SafetensorsDType::BF16) {
            uint16_t h;
            std::memcpy(&h, t.data.data() + 2 * i, 2);
            out[i] = t.dtype == io::SafetensorsDType::F16 ? halfToFloat(h) : bf16ToFloat(h);
        } else {
            qFatal("golden tensor '%s' is not a float tensor", tensor.c_str());
        }
    }
    return out;
}

std::vector<int32_t> GoldenFile::ints(const std::string& tensor) const
{
    const io::SafetensorsTensor& t = find(tensor);
    std::vector<int32_t> out(size_t(t.elements()));
    for (size_t i = 0; i < out.size(); ++i) {
        if (t.dtype == io::SafetensorsDType::I32) {
            std::memcpy(&out[i], t.data.data() + 4 * i, 4);
        } else if (t.dtype == io::SafetensorsDType::I64) {
            int64_t v;
            std::memcpy(&v, t.data.data() + 8 * i, 8);
            out[i] = int32_t(v);
        } else {
            qFatal("golden tensor '%s' is not an integer tensor", tensor.c_str());
        }
    }
    return out;
}

namespace {

std::vector<std::pair<const char*, std::function<std::unique_ptr<QObject>()>>>& registry()
{
    static std::vector<std::pair<const char*, std::function<std::unique_ptr<QObject>()>>> tests;
    return tests;
}

} // namespace

int registerDiffusionTest(const char* name, std::function<std::unique_ptr<QObject>()> make)
{
    registry().emplace_back(name, std::move(make));
    return int(registry().size());
}

// Runs every registered class (in name order, so runs are reproducible) with the command line's
// arguments, or only the one ATELIER_DIFFUSION_TEST names; the exit status is the number of failed
// classes.
int runDiffusionTests(int argc, char** argv)
{
    auto tests = registry();
    const QByteArray only = qgetenv("ATELIER_DIFFUSION_TEST");
    if (!only.isEmpty())
        std::erase_if(tests, [&](const auto& t) { return only != t.first; });
    std::sort(tests.begin(), tests.end(), [](const auto& a, const auto& b) { return std::strcmp(a.first, b.first) < 0; });
    int failed = 0;
    for (const auto& [name, make] : tests) {
        std::unique_ptr<QObject> test = make();
        if (QTest::qExec(test.get(), argc, argv) != 0)
            ++failed;
    }
    return failed;
}

} // namespace atelier::test
