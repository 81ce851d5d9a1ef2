#include "tst_diffusion_ops.h"

using namespace atelier;

void TestDiffusionOps::initTestCase()
{
    vk::Device* device = test::testDevice();
    QVERIFY2(device, "no Vulkan device");
    qInfo("device: %s (%s), shared memory %u bytes", device->info().name.c_str(), device->info().driverName.c_str(),
          device->info().maxSharedMemory);
    QVERIFY(test::noValidationMessages());
}

QTEST_GUILESS_MAIN(TestDiffusionOps)
