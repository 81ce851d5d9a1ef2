// Host-side basics: half-precision conversion, results, data paths.

#include "core/app_paths.h"
#include "core/dtype.h"
#include "core/result.h"

#include <QtTest>

#include <cmath>
#include <cstring>

using namespace atelier;

class TestCore : public QObject {
    Q_OBJECT
private slots:
    void halfRoundTripsEveryValue();
    void floatToHalfRounds_data();
    void floatToHalfRounds();
    void bf16RoundsToNearestEven();
    void blockSizesMatchGgml();
    void resultCarriesValueOrError();
    void dataPathsFollowOverride();
};

void TestCore::halfRoundTripsEveryValue()
{
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = halfToFloat(uint16_t(h));
        if (std::isnan(f)) {
            QVERIFY((floatToHalf(f) & 0x7c00u) == 0x7c00u && (floatToHalf(f) & 0x3ffu));
            continue;
        }
        QCOMPARE(floatToHalf(f), uint16_t(h));
    }
}

void TestCore::floatToHalfRounds_data()
{
    QTest::addColumn<float>("value");
    QTest::addColumn<uint>("half");
    QTest::newRow("one") << 1.0f << 0x3c00u;
    QTest::newRow("minus two") << -2.0f << 0xc000u;
    QTest::newRow("max") << 65504.0f << 0x7bffu;
    QTest::newRow("overflow") << 65520.0f << 0x7c00u;
    QTest::newRow("just below overflow") << 65519.0f << 0x7bffu;
    QTest::newRow("smallest subnormal") << 5.9604645e-8f << 0x0001u;
    QTest::newRow("half of smallest rounds to even 0") << 2.9802322e-8f << 0x0000u;
    QTest::newRow("tie rounds down to even") << 1.00048828125f << 0x3c00u;  // 1 + 2^-11
    QTest::newRow("tie rounds up to even") << 1.00146484375f << 0x3c02u;    // 1 + 2^-10 + 2^-11
    QTest::newRow("third") << 1.0f / 3.0f << 0x3555u;
}

void TestCore::floatToHalfRounds()
{
    QFETCH(float, value);
    QFETCH(uint, half);
    QCOMPARE(uint(floatToHalf(value)), half);
}

void TestCore::bf16RoundsToNearestEven()
{
    QCOMPARE(floatToBf16(1.0f), uint16_t(0x3f80));
    QCOMPARE(bf16ToFloat(0x3f80), 1.0f);
    QCOMPARE(floatToBf16(1.00390625f), uint16_t(0x3f80)); // 1 + 2^-8: a tie, rounds to even
    QCOMPARE(floatToBf16(1.01171875f), uint16_t(0x3f82)); // 1 + 3 * 2^-8: a tie, rounds up to even
    QVERIFY(std::isnan(bf16ToFloat(floatToBf16(NAN))));
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = bf16ToFloat(uint16_t(h));
        if (!std::isnan(f))
            QCOMPARE(floatToBf16(f), uint16_t(h));
    }
}

void TestCore::blockSizesMatchGgml()
{
    // Bytes per block from the block structs in ggml-common.h.
    QCOMPARE(storageBytes(DType::Q4_0, 64), uint64_t(36));
    QCOMPARE(storageBytes(DType::Q4_1, 32), uint64_t(20));
    QCOMPARE(storageBytes(DType::Q5_0, 32), uint64_t(22));
    QCOMPARE(storageBytes(DType::Q5_1, 32), uint64_t(24));
    QCOMPARE(storageBytes(DType::Q8_0, 32), uint64_t(34));
    QCOMPARE(storageBytes(DType::Q4_K, 512), uint64_t(288));
    QCOMPARE(storageBytes(DType::Q5_K, 256), uint64_t(176));
    QCOMPARE(storageBytes(DType::Q6_K, 256), uint64_t(210));
    QCOMPARE(storageBytes(DType::BF16, 3), uint64_t(6));
    QVERIFY(isQuantized(DType::Q6_K) && !isQuantized(DType::F16));
    QCOMPARE(std::string(dtypeName(DType::Q5_K)), std::string("q5_k"));
}

void TestCore::resultCarriesValueOrError()
{
    Result<int> ok = 5;
    QVERIFY(ok.ok());
    QCOMPARE(ok.value(), 5);
    Result<int> bad = makeError(ErrorCode::Format, "bad header");
    QVERIFY(!bad);
    QCOMPARE(bad.error().message, std::string("bad header"));
    auto chain = [](bool fail) -> Result<int> {
        auto inner = [fail]() -> Result<int> {
            if (fail)
                return makeError(ErrorCode::Io, "disk full");
            return 7;
        };
        ATELIER_ASSIGN(int v, inner());
        return v * 2;
    };
    QCOMPARE(chain(false).value(), 14);
    QCOMPARE(chain(true).error().code, ErrorCode::Io);
}

void TestCore::dataPathsFollowOverride()
{
    qputenv("ATELIER_DATA_DIR", "/tmp/atelier-test-root/");
    QCOMPARE(paths::dataDir(), QString("/tmp/atelier-test-root"));
    QCOMPARE(paths::modelsDir(), QString("/tmp/atelier-test-root/models"));
    QCOMPARE(paths::databasePath(), QString("/tmp/atelier-test-root/atelier.sqlite3"));
    QVERIFY(paths::pipelineCachePath().startsWith("/tmp/atelier-test-root/cache/"));
}

QTEST_GUILESS_MAIN(TestCore)
#include "tst_core.moc"
