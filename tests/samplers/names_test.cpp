#include "tst_samplers.h"

#include "diffusion/sampling/sampler_names.h"
#include "test_result.h"

using namespace atelier;
using namespace atelier::diffusion;

Q_DECLARE_METATYPE(atelier::diffusion::SamplerKind)
Q_DECLARE_METATYPE(atelier::diffusion::ScheduleKind)

void TestSamplers::parsesA1111Names_data()
{
    QTest::addColumn<QString>("sampler");
    QTest::addColumn<QString>("scheduleType");
    QTest::addColumn<SamplerKind>("kind");
    QTest::addColumn<ScheduleKind>("schedule");
    QTest::newRow("Euler a") << "Euler a" << "" << SamplerKind::EulerAncestral << ScheduleKind::Automatic;
    QTest::newRow("Euler") << "Euler" << "" << SamplerKind::Euler << ScheduleKind::Automatic;
    QTest::newRow("Heun") << "Heun" << "" << SamplerKind::Heun << ScheduleKind::Automatic;
    QTest::newRow("DDIM") << "DDIM" << "" << SamplerKind::Ddim << ScheduleKind::Automatic;
    QTest::newRow("LCM") << "LCM" << "" << SamplerKind::Lcm << ScheduleKind::Automatic;
    QTest::newRow("DPM++ 2M") << "DPM++ 2M" << "" << SamplerKind::DpmPp2M << ScheduleKind::Automatic;
    // 1.9+: separate field; Karras is DPM++ 2M's default, so it reads back as Automatic (A1111 does too).
    QTest::newRow("DPM++ 2M + Karras") << "DPM++ 2M" << "Karras" << SamplerKind::DpmPp2M << ScheduleKind::Automatic;
    QTest::newRow("DPM++ 2M + Uniform") << "DPM++ 2M" << "Uniform" << SamplerKind::DpmPp2M << ScheduleKind::Uniform;
    QTest::newRow("Euler + Karras") << "Euler" << "Karras" << SamplerKind::Euler << ScheduleKind::Karras;
    QTest::newRow("Euler a + Automatic") << "Euler a" << "Automatic" << SamplerKind::EulerAncestral << ScheduleKind::Automatic;
    QTest::newRow("Euler + Uniform") << "Euler" << "Uniform" << SamplerKind::Euler << ScheduleKind::Automatic;
    QTest::newRow("DDIM + Trailing") << "DDIM" << "Trailing" << SamplerKind::Ddim << ScheduleKind::Trailing;
    // Before 1.9, Fooocus: the schedule as a suffix; it wins over the field.
    QTest::newRow("DPM++ 2M Karras") << "DPM++ 2M Karras" << "" << SamplerKind::DpmPp2M << ScheduleKind::Automatic;
    QTest::newRow("Euler a Karras") << "Euler a Karras" << "" << SamplerKind::EulerAncestral << ScheduleKind::Karras;
    QTest::newRow("Heun Karras + Automatic") << "Heun Karras" << "Automatic" << SamplerKind::Heun << ScheduleKind::Karras;
    QTest::newRow("spaces") << "  Euler a " << " Karras " << SamplerKind::EulerAncestral << ScheduleKind::Karras;
    // A1111's aliases and internal scheduler names.
    QTest::newRow("k_euler_a") << "k_euler_a" << "" << SamplerKind::EulerAncestral << ScheduleKind::Automatic;
    QTest::newRow("k_dpmpp_2m + karras") << "k_dpmpp_2m" << "karras" << SamplerKind::DpmPp2M << ScheduleKind::Automatic;
    QTest::newRow("k_euler + karras") << "k_euler" << "karras" << SamplerKind::Euler << ScheduleKind::Karras;
}

void TestSamplers::parsesA1111Names()
{
    QFETCH(QString, sampler);
    QFETCH(QString, scheduleType);
    QFETCH(SamplerKind, kind);
    QFETCH(ScheduleKind, schedule);
    ASSIGN_OR_FAIL(const SamplerChoice choice, parseA1111Sampler(sampler.toStdString(), scheduleType.toStdString()));
    QCOMPARE(choice.sampler, kind);
    QCOMPARE(choice.schedule, schedule);
}

void TestSamplers::formatsA1111Names_data()
{
    QTest::addColumn<SamplerKind>("kind");
    QTest::addColumn<ScheduleKind>("schedule");
    QTest::addColumn<QString>("separateSampler");
    QTest::addColumn<QString>("separateSchedule");
    QTest::addColumn<QString>("combined");
    QTest::newRow("Euler a") << SamplerKind::EulerAncestral << ScheduleKind::Automatic << "Euler a" << "" << "Euler a";
    QTest::newRow("Euler Karras") << SamplerKind::Euler << ScheduleKind::Karras << "Euler" << "Karras" << "Euler Karras";
    QTest::newRow("Euler Uniform") << SamplerKind::Euler << ScheduleKind::Uniform << "Euler" << "Uniform" << "Euler";
    QTest::newRow("Heun") << SamplerKind::Heun << ScheduleKind::Automatic << "Heun" << "" << "Heun";
    // A1111 writes what Automatic resolved to when it is not the model's own schedule.
    QTest::newRow("DPM++ 2M") << SamplerKind::DpmPp2M << ScheduleKind::Automatic << "DPM++ 2M" << "Karras" << "DPM++ 2M Karras";
    QTest::newRow("DPM++ 2M Karras") << SamplerKind::DpmPp2M << ScheduleKind::Karras << "DPM++ 2M" << "Karras" << "DPM++ 2M Karras";
    QTest::newRow("DPM++ 2M Uniform") << SamplerKind::DpmPp2M << ScheduleKind::Uniform << "DPM++ 2M" << "Uniform" << "DPM++ 2M Uniform";
    QTest::newRow("DDIM") << SamplerKind::Ddim << ScheduleKind::Automatic << "DDIM" << "" << "DDIM";
    QTest::newRow("DDIM Trailing") << SamplerKind::Ddim << ScheduleKind::Trailing << "DDIM" << "Trailing" << "DDIM Trailing";
    QTest::newRow("LCM") << SamplerKind::Lcm << ScheduleKind::Automatic << "LCM" << "" << "LCM";
}

void TestSamplers::formatsA1111Names()
{
    QFETCH(SamplerKind, kind);
    QFETCH(ScheduleKind, schedule);
    QFETCH(QString, separateSampler);
    QFETCH(QString, separateSchedule);
    QFETCH(QString, combined);
    const A1111SamplerFields separate = formatA1111Sampler({kind, schedule}, A1111Style::Separate);
    QCOMPARE(QString::fromStdString(separate.sampler), separateSampler);
    QCOMPARE(QString::fromStdString(separate.scheduleType), separateSchedule);
    const A1111SamplerFields old = formatA1111Sampler({kind, schedule}, A1111Style::Combined);
    QCOMPARE(QString::fromStdString(old.sampler), combined);
    QVERIFY(old.scheduleType.empty());
}

// Whatever is written reads back as a choice that runs the same schedule.
void TestSamplers::namesRoundTrip()
{
    for (SamplerKind kind : {SamplerKind::Euler, SamplerKind::EulerAncestral, SamplerKind::Heun, SamplerKind::DpmPp2M,
                             SamplerKind::Ddim, SamplerKind::Lcm}) {
        for (ScheduleKind schedule : {ScheduleKind::Automatic, ScheduleKind::Uniform, ScheduleKind::Karras,
                                      ScheduleKind::Leading, ScheduleKind::Trailing, ScheduleKind::Lcm}) {
            const SamplerChoice choice{kind, schedule};
            for (A1111Style style : {A1111Style::Separate, A1111Style::Combined}) {
                const A1111SamplerFields fields = formatA1111Sampler(choice, style);
                ASSIGN_OR_FAIL(const SamplerChoice back, parseA1111Sampler(fields.sampler, fields.scheduleType));
                QCOMPARE(back.sampler, kind);
                QCOMPARE(resolveSchedule(back.sampler, back.schedule), resolveSchedule(kind, schedule));
            }
        }
    }
}

void TestSamplers::unknownNamesAreErrors()
{
    for (const char* name : {"", "Karras", "DPM++ 2M SDE", "UniPC", "euler a", "Euler a Exponential"}) {
        const auto r = parseA1111Sampler(name);
        QVERIFY2(!r.ok(), name);
        QCOMPARE(r.error().code, ErrorCode::Unsupported);
    }
    QVERIFY(!parseA1111Sampler("Euler", "Exponential").ok());
    QCOMPARE(std::string(a1111SamplerName(SamplerKind::EulerAncestral)), std::string("Euler a"));
    QCOMPARE(std::string(a1111ScheduleName(ScheduleKind::Karras)), std::string("Karras"));
}
