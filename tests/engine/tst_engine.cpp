// The compute thread: jobs run off the UI thread, report back through queued signals, can be
// cancelled, and failures leave the worker usable.

#include "engine/compute_engine.h"
#include "ops/elementwise.h"
#include "test_device.h"
#include "vk/device.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTimer>
#include <QtTest>

#include <thread>

using namespace atelier;
using namespace atelier::engine;
using namespace std::chrono_literals;

class TestEngine : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void jobRunsOnTheComputeThread();
    void gpuJobComputes();
    void progressAndPartialsArriveInOrder();
    void cancelQueuedJob();
    void cancelRunningJobKeepsWorkerUsable();
    void failureAndExceptionBecomeMessages();
    void uiStaysResponsiveDuringLongJob();
    void missingDeviceFailsJobsWithReason();

private:
    std::unique_ptr<ComputeEngine> mEngine;
};

namespace {
DeviceOptions testOptions()
{
    DeviceOptions o = DeviceOptions::fromEnvironment();
    o.validation = true;
    return o;
}

std::unique_ptr<Job> job(QString name, FunctionJob::Fn fn)
{
    return std::make_unique<FunctionJob>(std::move(name), std::move(fn));
}
} // namespace

void TestEngine::init()
{
    mEngine = std::make_unique<ComputeEngine>();
    QSignalSpy ready(mEngine.get(), &ComputeEngine::deviceReady);
    QSignalSpy memory(mEngine.get(), &ComputeEngine::memoryUsage);
    mEngine->start(testOptions());
    QVERIFY(ready.wait(30000));
    const auto summary = ready.at(0).at(0).value<DeviceSummary>();
    QVERIFY(!summary.name.isEmpty());
    QVERIFY(!summary.apiVersion.isEmpty());
    QTRY_VERIFY(memory.count() > 0);
    QVERIFY(memory.at(0).at(1).toULongLong() > 0);
}

void TestEngine::cleanup() { mEngine.reset(); }

void TestEngine::jobRunsOnTheComputeThread()
{
    QSignalSpy finished(mEngine.get(), &ComputeEngine::jobFinished);
    QThread* mainThread = QThread::currentThread();
    const JobId id = mEngine->submit(job("where", [mainThread](JobContext&) -> Result<QVariant> {
        return QVariant(QThread::currentThread() != mainThread);
    }));
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.at(0).at(0).value<JobId>(), id);
    QCOMPARE(finished.at(0).at(1).toBool(), true);
}

void TestEngine::gpuJobComputes()
{
    QSignalSpy finished(mEngine.get(), &ComputeEngine::jobFinished);
    mEngine->submit(job("add", [](JobContext& ctx) -> Result<QVariant> {
        vk::Device& d = ctx.device();
        const std::vector<float> x{1, 2, 3, 4, 5};
        ATELIER_ASSIGN(auto a, ops::Tensor::fromFloats(d, DType::F32, {5}, x));
        ATELIER_ASSIGN(auto c, ops::Tensor::create(d, DType::F32, {5}));
        ATELIER_TRY(d.execute([&](vk::CommandBatch& b) { return ops::add(b, a, a, c); }));
        ATELIER_ASSIGN(auto out, c.toFloats(d));
        QVariantList list;
        for (float v : out)
            list << double(v);
        return QVariant(list);
    }));
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.at(0).at(1).toList(), (QVariantList{2.0, 4.0, 6.0, 8.0, 10.0}));
}

void TestEngine::progressAndPartialsArriveInOrder()
{
    QStringList events;
    connect(mEngine.get(), &ComputeEngine::jobStarted, this, [&](JobId) { events << "started"; });
    connect(mEngine.get(), &ComputeEngine::jobProgress, this,
            [&](JobId, double f, const QString& t) { events << QString("progress %1 %2").arg(f).arg(t); });
    connect(mEngine.get(), &ComputeEngine::jobPartial, this,
            [&](JobId, const QVariant& v) { events << "partial " + v.toString(); });
    connect(mEngine.get(), &ComputeEngine::jobFinished, this,
            [&](JobId, const QVariant& v) { events << "finished " + v.toString(); });
    mEngine->submit(job("tokens", [](JobContext& ctx) -> Result<QVariant> {
        for (int i = 0; i < 3; ++i) {
            ctx.partial(QString("tok%1").arg(i));
            ctx.progress((i + 1) / 3.0, "step");
        }
        return QVariant("done");
    }));
    QTRY_COMPARE(events.size(), 8);
    QCOMPARE(events.first(), "started");
    QCOMPARE(events[1], "partial tok0");
    QCOMPARE(events[6], "progress 1 step");
    QCOMPARE(events.last(), "finished done");
}

void TestEngine::cancelQueuedJob()
{
    QSignalSpy started(mEngine.get(), &ComputeEngine::jobStarted);
    QSignalSpy cancelled(mEngine.get(), &ComputeEngine::jobCancelled);
    QSignalSpy finished(mEngine.get(), &ComputeEngine::jobFinished);
    std::atomic<bool> release{false};
    const JobId blocker = mEngine->submit(job("blocker", [&](JobContext&) -> Result<QVariant> {
        while (!release)
            std::this_thread::sleep_for(1ms);
        return QVariant(1);
    }));
    const JobId queued = mEngine->submit(job("queued", [](JobContext&) -> Result<QVariant> { return QVariant(2); }));
    mEngine->cancel(queued);
    release = true;
    QTRY_COMPARE(cancelled.count(), 1);
    QCOMPARE(cancelled.at(0).at(0).value<JobId>(), queued);
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).value<JobId>(), blocker);
    QCOMPARE(started.count(), 1); // the cancelled job never started
}

void TestEngine::cancelRunningJobKeepsWorkerUsable()
{
    QSignalSpy started(mEngine.get(), &ComputeEngine::jobStarted);
    QSignalSpy cancelled(mEngine.get(), &ComputeEngine::jobCancelled);
    QSignalSpy finished(mEngine.get(), &ComputeEngine::jobFinished);
    const JobId id = mEngine->submit(job("endless", [](JobContext& ctx) -> Result<QVariant> {
        while (!ctx.cancelled())
            std::this_thread::sleep_for(1ms);
        return makeError(ErrorCode::Cancelled, "cancelled");
    }));
    QVERIFY(started.wait(10000));
    mEngine->cancel(id);
    QVERIFY(cancelled.wait(10000));
    mEngine->submit(job("after", [](JobContext&) -> Result<QVariant> { return QVariant(42); }));
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.at(0).at(1).toInt(), 42);
}

void TestEngine::failureAndExceptionBecomeMessages()
{
    QSignalSpy failed(mEngine.get(), &ComputeEngine::jobFailed);
    QSignalSpy finished(mEngine.get(), &ComputeEngine::jobFinished);
    mEngine->submit(job("bad file", [](JobContext&) -> Result<QVariant> {
        return makeError(ErrorCode::Format, "model.gguf is truncated");
    }));
    mEngine->submit(job("throws", [](JobContext&) -> Result<QVariant> { throw std::runtime_error("boom"); }));
    mEngine->submit(job("oom", [](JobContext& ctx) -> Result<QVariant> {
        ATELIER_ASSIGN(auto b, ctx.device().allocate(1ull << 50));
        return QVariant();
    }));
    mEngine->submit(job("fine", [](JobContext&) -> Result<QVariant> { return QVariant("ok"); }));
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(failed.count(), 3);
    QCOMPARE(failed.at(0).at(1).toString(), "model.gguf is truncated");
    QVERIFY(failed.at(1).at(1).toString().contains("boom"));
    QVERIFY(failed.at(2).at(1).toString().contains("does not fit on this GPU"));
    QCOMPARE(finished.at(0).at(1).toString(), "ok");
}

void TestEngine::uiStaysResponsiveDuringLongJob()
{
    QSignalSpy finished(mEngine.get(), &ComputeEngine::jobFinished);
    int ticks = 0;
    QTimer timer;
    connect(&timer, &QTimer::timeout, this, [&] { ++ticks; });
    timer.start(10);
    QElapsedTimer clock;
    clock.start();
    mEngine->submit(job("slow", [](JobContext&) -> Result<QVariant> {
        std::this_thread::sleep_for(600ms);
        return QVariant();
    }));
    QVERIFY(clock.elapsed() < 50); // submit returns at once
    QVERIFY(finished.wait(10000));
    QVERIFY2(ticks >= 10, qPrintable(QString("only %1 timer ticks while the job ran").arg(ticks)));
}

void TestEngine::missingDeviceFailsJobsWithReason()
{
    ComputeEngine engine;
    QSignalSpy deviceFailed(&engine, &ComputeEngine::deviceFailed);
    QSignalSpy failed(&engine, &ComputeEngine::jobFailed);
    DeviceOptions o = testOptions();
    o.deviceIndex = 99;
    engine.start(o);
    QVERIFY(deviceFailed.wait(30000));
    QVERIFY(deviceFailed.at(0).at(0).toString().contains("99"));
    engine.submit(job("needs gpu", [](JobContext&) -> Result<QVariant> { return QVariant(); }));
    QVERIFY(failed.wait(10000));
    QVERIFY(failed.at(0).at(1).toString().contains("99"));
}

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
