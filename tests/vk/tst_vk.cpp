// The Vulkan core: device choice, memory, pipelines and their cache, barriers, profiling, errors.

#include "core/app_paths.h"
#include "ops/elementwise.h"
#include "test_device.h"
#include "vk/device.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

using namespace atelier;

class TestVk : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void chooseDevicePrefersDiscrete_data();
    void chooseDevicePrefersDiscrete();
    void describeListsCapabilities();
    void subAllocationSharesBlocks();
    void transfersReuseTheirStagingBlocks();
    void freedRangesAreReused();
    void hugeAllocationFailsCleanly();
    void oversizedBindingIsAnError();
    void unknownShaderIsAnError();
    void barriersOnlyOnHazards();
    void pipelineCacheRoundTrip();
    void profilerTimesKernels();
    void descriptorPoolsWithoutPushDescriptors();
    void stagedTransfersRoundTrip();
    void cleanupTestCase();
};

namespace {
// A second device with validation on and one option changed, beside the shared test device.
std::unique_ptr<vk::Device> deviceWith(void (*change)(vk::Device::Options&))
{
    vk::Device::Options o;
    o.validation = true;
    change(o);
    auto device = vk::Device::create(o);
    return device.ok() ? std::move(device).value() : nullptr;
}
} // namespace

void TestVk::initTestCase()
{
    QVERIFY2(test::testDevice(), "no Vulkan device");
    QVERIFY(test::testDevice()->instance().validationEnabled());
}

namespace {
vk::DeviceInfo fakeDevice(VkPhysicalDeviceType type, bool usable = true)
{
    vk::DeviceInfo d;
    d.type = type;
    d.apiVersion = usable ? VK_API_VERSION_1_3 : VK_API_VERSION_1_1;
    d.computeQueueFamily = 0;
    return d;
}
} // namespace

void TestVk::chooseDevicePrefersDiscrete_data()
{
    QTest::addColumn<QList<int>>("types"); // VkPhysicalDeviceType per device; negative: unusable
    QTest::addColumn<int>("requested");
    QTest::addColumn<int>("expected");     // -1: none
    const int cpu = VK_PHYSICAL_DEVICE_TYPE_CPU, igpu = VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU,
              dgpu = VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, virt = VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU;
    QTest::newRow("cpu only") << QList<int>{cpu} << -1 << 0;
    QTest::newRow("discrete beats integrated") << QList<int>{cpu, igpu, dgpu} << -1 << 2;
    QTest::newRow("integrated beats virtual") << QList<int>{virt, igpu, cpu} << -1 << 1;
    QTest::newRow("virtual beats cpu") << QList<int>{cpu, virt} << -1 << 1;
    QTest::newRow("user pick wins") << QList<int>{dgpu, cpu} << 1 << 1;
    QTest::newRow("missing pick") << QList<int>{dgpu} << 3 << -1;
    QTest::newRow("unusable skipped") << QList<int>{-dgpu, cpu} << -1 << 1;
    QTest::newRow("unusable pick") << QList<int>{-dgpu, cpu} << 0 << -1;
    QTest::newRow("none") << QList<int>{} << -1 << -1;
}

void TestVk::chooseDevicePrefersDiscrete()
{
    QFETCH(QList<int>, types);
    QFETCH(int, requested);
    QFETCH(int, expected);
    std::vector<vk::DeviceInfo> devices;
    for (int t : types)
        devices.push_back(fakeDevice(VkPhysicalDeviceType(std::abs(t)), t > 0));
    const auto chosen = vk::chooseDevice(devices, requested);
    QCOMPARE(chosen ? int(*chosen) : -1, expected);
}

void TestVk::describeListsCapabilities()
{
    const std::string text = test::testDevice()->info().describe();
    for (const char* needle : {"fp16 arithmetic", "16-bit storage", "int8 dot product", "subgroup size",
                               "shared memory", "max workgroup", "maxStorageBufferRange", "maxMemoryAllocationSize",
                               "cooperative matrix", "device-local memory"})
        QVERIFY2(text.find(needle) != std::string::npos, needle);
    QVERIFY(text.find(test::testDevice()->info().name) != std::string::npos);
}

void TestVk::subAllocationSharesBlocks()
{
    vk::Device& d = *test::testDevice();
    const uint64_t before = d.allocator().bytesReserved();
    auto a = d.allocate(1000);
    auto b = d.allocate(3000);
    QVERIFY(a.ok() && b.ok());
    QCOMPARE(a->vkBuffer(), b->vkBuffer()); // one VkBuffer over the block
    QVERIFY(a->blockOffset() % d.allocator().alignment() == 0);
    QVERIFY(b->blockOffset() % d.allocator().alignment() == 0);
    QVERIFY(a->blockOffset() + a->size() <= b->blockOffset() || b->blockOffset() + b->size() <= a->blockOffset());
    QVERIFY(d.allocator().bytesReserved() - before <= 256ull << 20);
    std::vector<uint8_t> src(3000), dst(3000);
    for (size_t i = 0; i < src.size(); ++i)
        src[i] = uint8_t(i * 7);
    QVERIFY(d.upload(*b, src.data(), src.size()).ok());
    QVERIFY(d.download(*b, dst.data(), dst.size()).ok());
    QCOMPARE(dst, src);
    QVERIFY(!d.upload(*a, src.data(), src.size()).ok()); // 3000 bytes do not fit in 1000
    QVERIFY(test::noValidationMessages());
}

void TestVk::transfersReuseTheirStagingBlocks()
{
    // Staged, as on a discrete GPU (lavapipe's memory would otherwise be copied into directly).
    auto device = deviceWith([](vk::Device::Options& o) { o.stagedTransfers = true; });
    QVERIFY(device);
    vk::Device& d = *device;
    auto tensor = d.allocate(4096);
    QVERIFY(tensor.ok());
    std::vector<uint8_t> src(4096, 7), dst(4096);
    QVERIFY(d.upload(*tensor, src.data(), src.size()).ok());
    QVERIFY(d.download(*tensor, dst.data(), dst.size()).ok());
    // A forward pass uploads its tokens and downloads its logits: after the first transfer each
    // way, none asks the driver for memory again.
    const uint64_t created = d.allocator().blocksCreated();
    for (int i = 0; i < 20; ++i) {
        src[size_t(i)] = uint8_t(i);
        QVERIFY(d.upload(*tensor, src.data(), src.size()).ok());
        QVERIFY(d.download(*tensor, dst.data(), dst.size()).ok());
        QCOMPARE(dst, src);
    }
    QCOMPARE(d.allocator().blocksCreated(), created);
    QCOMPARE(d.instance().validationErrors() + d.instance().validationWarnings(), 0ull);
}

void TestVk::freedRangesAreReused()
{
    vk::Device& d = *test::testDevice();
    uint64_t offset = 0;
    {
        auto a = d.allocate(1 << 20);
        QVERIFY(a.ok());
        offset = a->blockOffset();
        const uint64_t inUse = d.allocator().bytesInUse();
        QVERIFY(d.allocator().peakBytesInUse() >= inUse);
        a->release();
        QCOMPARE(d.allocator().bytesInUse(), inUse - (1 << 20));
        QVERIFY(d.allocator().peakBytesInUse() >= inUse); // the peak stays where it was
    }
    auto again = d.allocate(1 << 20);
    QVERIFY(again.ok());
    QCOMPARE(again->blockOffset(), offset);
}

void TestVk::hugeAllocationFailsCleanly()
{
    vk::Device& d = *test::testDevice();
    auto huge = d.allocate(1ull << 50); // a petabyte
    QVERIFY(!huge.ok());
    QCOMPARE(huge.error().code, ErrorCode::OutOfDeviceMemory);
    QVERIFY(huge.error().message.find("does not fit") != std::string::npos);
    auto small = d.allocate(4096); // the device still works
    QVERIFY(small.ok());
    QVERIFY(test::noValidationMessages());
}

void TestVk::oversizedBindingIsAnError()
{
    vk::Device& d = *test::testDevice();
    const uint64_t range = d.info().maxStorageBufferRange;
    // NVIDIA binds up to 4 GiB, as much as one allocation may hold: no buffer reaches past the range.
    if (range + 4096 > d.info().maxMemoryAllocationSize)
        QSKIP("this device cannot allocate more than its binding range");
    auto big = d.allocate(range + 4096);
    QVERIFY(big.ok());
    auto pipeline = d.pipelines().get({"scale_f32", 2, 16, {256}});
    QVERIFY(pipeline.ok());
    const float push[4] = {1, 1, 0, 1};
    const Status s = d.execute([&](vk::CommandBatch& b) {
        return b.dispatch(*pipeline.value(), {vk::readOf(big->range()), vk::writeOf(big->range())}, push, 1);
    });
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.find("invalid range") != std::string::npos);
    QVERIFY(test::noValidationMessages());
}

void TestVk::unknownShaderIsAnError()
{
    auto p = test::testDevice()->pipelines().get({"no_such_kernel", 1, 0, {}});
    QVERIFY(!p.ok());
    QCOMPARE(p.error().code, ErrorCode::Unsupported);
}

void TestVk::barriersOnlyOnHazards()
{
    vk::Device& d = *test::testDevice();
    std::vector<float> ones(1000, 1.0f);
    auto a = ops::Tensor::fromFloats(d, DType::F32, {1000}, ones);
    auto b = ops::Tensor::fromFloats(d, DType::F32, {1000}, ones);
    auto c = ops::Tensor::create(d, DType::F32, {1000});
    auto e = ops::Tensor::create(d, DType::F32, {1000});
    QVERIFY(a.ok() && b.ok() && c.ok() && e.ok());
    uint32_t independent = 99, dependent = 99;
    QVERIFY(d.execute([&](vk::CommandBatch& batch) -> Status {
                 ATELIER_TRY(ops::add(batch, *a, *b, *c)); // c = a + b
                 ATELIER_TRY(ops::mul(batch, *a, *b, *e)); // e = a * b: independent of c
                 independent = batch.barrierCount();
                 ATELIER_TRY(ops::add(batch, *c, *e, *a)); // reads c and e, writes a (read before)
                 dependent = batch.barrierCount();
                 return Status{};
             }).ok());
    QCOMPARE(independent, 0u);
    QCOMPARE(dependent, 1u);
    auto out = a->toFloats(d);
    QVERIFY(out.ok());
    QCOMPARE(out.value()[999], 3.0f); // (1 + 1) + (1 * 1)
    QVERIFY(test::noValidationMessages()); // synchronization validation agrees
}

void TestVk::pipelineCacheRoundTrip()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/cache/pipelines.bin").toStdString();
    vk::Device& d = *test::testDevice();
    {
        vk::PipelineLibrary lib(d.handle(), d.info(), path);
        QVERIFY(lib.get({"add_f32", 3, 16, {256}}).ok());
        QVERIFY(lib.saveCache().ok());
    }
    const QFileInfo saved(QString::fromStdString(path));
    QVERIFY(saved.exists());
    QVERIFY(saved.size() >= 32); // at least the header: vendor, device and cache UUID
    vk::PipelineLibrary reloaded(d.handle(), d.info(), path); // a cache from this device is accepted
    QVERIFY(reloaded.get({"add_f32", 3, 16, {256}}).ok());
    QFile garbage(QString::fromStdString(path)); // a corrupt cache is ignored, never trusted
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    garbage.write(QByteArray(100, 'x'));
    garbage.close();
    vk::PipelineLibrary fresh(d.handle(), d.info(), path);
    QVERIFY(fresh.get({"mul_f32", 3, 16, {256}}).ok());
    QVERIFY(test::noValidationMessages());
}

void TestVk::profilerTimesKernels()
{
    vk::Device::Options o;
    o.profile = true;
    auto device = vk::Device::create(o);
    QVERIFY(device.ok());
    vk::Device& d = *device.value();
    if (!d.profiling())
        QSKIP("this device has no compute timestamps");
    std::vector<float> ones(4096, 1.0f);
    auto a = ops::Tensor::fromFloats(d, DType::F32, {4096}, ones);
    auto c = ops::Tensor::create(d, DType::F32, {4096});
    QVERIFY(a.ok() && c.ok());
    QVERIFY(d.execute([&](vk::CommandBatch& b) -> Status {
                 ATELIER_TRY(ops::add(b, *a, *a, *c));
                 return ops::scale(b, *c, 0.5f, *c);
             }).ok());
    const auto& entries = d.profiler().entries();
    QVERIFY(entries.count("add_f32") && entries.count("scale_f32"));
    QCOMPARE(entries.at("add_f32").calls, 1ull);
    QVERIFY(entries.at("add_f32").totalNs > 0);
    QVERIFY(d.profiler().table().find("add_f32") != std::string::npos);
}

void TestVk::descriptorPoolsWithoutPushDescriptors()
{
    auto device = deviceWith([](vk::Device::Options& o) { o.noPushDescriptors = true; });
    QVERIFY(device);
    vk::Device& d = *device;
    QVERIFY(!d.info().pushDescriptor);
    std::vector<float> ones(64, 1.0f);
    auto a = ops::Tensor::fromFloats(d, DType::F32, {64}, ones);
    auto c = ops::Tensor::fromFloats(d, DType::F32, {64}, std::vector<float>(64, 0.0f));
    QVERIFY(a.ok() && c.ok());
    // More dispatches than one pool holds sets (1024), twice, so pools are added and reset.
    for (int round = 0; round < 2; ++round) {
        QVERIFY(d.execute([&](vk::CommandBatch& b) -> Status {
                     for (int i = 0; i < 1500; ++i)
                         ATELIER_TRY(ops::add(b, *c, *a, *c)); // c += 1
                     return Status{};
                 }).ok());
    }
    auto out = c->toFloats(d);
    QVERIFY(out.ok());
    QCOMPARE(out.value()[63], 3000.0f);
    QCOMPARE(d.instance().validationErrors() + d.instance().validationWarnings(), 0ull);
}

void TestVk::stagedTransfersRoundTrip()
{
    auto device = deviceWith([](vk::Device::Options& o) { o.stagedTransfers = true; });
    QVERIFY(device);
    vk::Device& d = *device;
    // 70 MiB: more than one 64 MiB staging chunk each way.
    const size_t n = (70u << 20) / 4;
    std::vector<uint32_t> src(n), dst(n, 0);
    for (size_t i = 0; i < n; ++i)
        src[i] = uint32_t(i * 2654435761u);
    auto buffer = d.allocate(n * 4);
    QVERIFY(buffer.ok());
    QVERIFY(d.upload(*buffer, src.data(), n * 4).ok());
    QVERIFY(d.download(*buffer, dst.data(), n * 4).ok());
    QVERIFY(src == dst);
    QCOMPARE(d.instance().validationErrors() + d.instance().validationWarnings(), 0ull);
}

void TestVk::cleanupTestCase()
{
    QVERIFY(test::noValidationMessages());
}

QTEST_GUILESS_MAIN(TestVk)
#include "tst_vk.moc"
