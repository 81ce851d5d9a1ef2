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
