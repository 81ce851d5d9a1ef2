#include "tst_samplers.h"

#include "diffusion/sampling/gaussian_noise.h"
#include "golden.h"

#include <QCryptographicHash>

#include <bit>
#include <cstring>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

QByteArray sha256Hex(const std::vector<float>& values)
{
    static_assert(std::endian::native == std::endian::little, "the digests are of little-endian float32");
    QByteArray bytes(reinterpret_cast<const char*>(values.data()), qsizetype(values.size() * sizeof(float)));
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

uint64_t seedOf(const QJsonObject& c) { return uint64_t(c.value("seed").toDouble()); }

// Every bit of every value, through the digest; first and last values make a failure readable.
void verifyDraw(const std::vector<float>& drawn, const QJsonObject& expected)
{
    QCOMPARE(qsizetype(drawn.size()), qsizetype(expected.value("count").toInt()));
    const auto first = test::floats(expected.value("first"));
    const auto last = test::floats(expected.value("last"));
    for (size_t i = 0; i < first.size(); ++i)
        QCOMPARE(drawn[i], first[i]);
    for (size_t i = 0; i < last.size(); ++i)
        QCOMPARE(drawn[drawn.size() - last.size() + i], last[i]);
    QCOMPARE(sha256Hex(drawn), expected.value("sha256").toString().toLatin1());
}

void addNoiseRows(bool continuation)
{
    QTest::addColumn<int>("kernel");
    QTest::addColumn<QJsonObject>("expected");
    const QJsonObject golden = test::loadGolden("noise");
    for (const char* kernel : {"avx2", "generic"}) {
        for (const QJsonValue& v : golden.value(kernel).toArray()) {
            const QJsonObject c = v.toObject();
            if (c.contains("draws") != continuation)
                continue;
            QString shape;
            for (const QJsonValue& d : c.value("shape").toArray())
                shape += (shape.isEmpty() ? "" : "x") + QString::number(d.toInt());
            const QString name = QString("%1 seed %2 %3").arg(kernel).arg(seedOf(c)).arg(continuation ? "draws" : shape);
            QTest::newRow(qPrintable(name)) << int(kernel[0] == 'a' ? NormalKernel::Avx2 : NormalKernel::Generic) << c;
        }
    }
}

void skipGenericWithoutGlibc(NormalKernel kernel)
{
#ifndef __GLIBC__
    if (kernel == NormalKernel::Generic)
        QSKIP("the generic kernel is bit-exact only where libm's logf/cosf/sinf are glibc's");
#else
    Q_UNUSED(kernel);
#endif
}

} // namespace

void TestSamplers::noiseMatchesTorch_data() { addNoiseRows(false); }

void TestSamplers::noiseMatchesTorch()
{
    QFETCH(int, kernel);
    QFETCH(QJsonObject, expected);
    skipGenericWithoutGlibc(NormalKernel(kernel));
    GaussianNoise noise(seedOf(expected), NormalKernel(kernel));
    verifyDraw(noise.draw(size_t(expected.value("count").toInt())), expected);
}

void TestSamplers::noiseContinuesLikeOneGenerator_data() { addNoiseRows(true); }

void TestSamplers::noiseContinuesLikeOneGenerator()
{
    QFETCH(int, kernel);
    QFETCH(QJsonObject, expected);
    skipGenericWithoutGlibc(NormalKernel(kernel));
    GaussianNoise noise(seedOf(expected), NormalKernel(kernel));
    for (const QJsonValue& draw : expected.value("draws").toArray()) {
        verifyDraw(noise.draw(size_t(draw.toObject().value("count").toInt())), draw.toObject());
        if (QTest::currentTestFailed())
            return;
    }
}
