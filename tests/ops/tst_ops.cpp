#include "tst_ops.h"

using namespace atelier;

void TestOps::initTestCase()
{
    vk::Device* device = test::testDevice();
    QVERIFY2(device, "no Vulkan device");
    qInfo("device: %s (%s), subgroup size %u, subgroup arithmetic %s", device->info().name.c_str(),
          device->info().driverName.c_str(), device->info().subgroupSize,
          device->info().subgroupArithmetic() ? "yes" : "no");
    QVERIFY(test::noValidationMessages());
}

QTEST_GUILESS_MAIN(TestOps)
