#include "engine/compute_engine.h"

#include "engine/compute_worker.h"

#include <QMetaObject>

namespace atelier::engine {

DeviceOptions DeviceOptions::fromEnvironment()
{
    DeviceOptions o;
    bool ok = false;
    const int index = qEnvironmentVariableIntValue("ATELIER_DEVICE", &ok);
    if (ok)
        o.deviceIndex = index;
    o.validation = qEnvironmentVariableIntValue("ATELIER_VK_VALIDATION") != 0;
    o.profile = qEnvironmentVariableIntValue("ATELIER_PROFILE") != 0;
    return o;
}

ComputeEngine::ComputeEngine(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<DeviceSummary>();
    qRegisterMetaType<JobId>("atelier::engine::JobId");

    mThread.setObjectName(QStringLiteral("atelier-compute"));
    mWorker = new ComputeWorker();
    mWorker->moveToThread(&mThread);
    // Worker signals cross threads, so these connections are queued: the UI never waits on the GPU.
    connect(mWorker, &ComputeWorker::deviceReady, this, &ComputeEngine::deviceReady);
    connect(mWorker, &ComputeWorker::deviceFailed, this, &ComputeEngine::deviceFailed);
    connect(mWorker, &ComputeWorker::jobStarted, this, &ComputeEngine::jobStarted);
    connect(mWorker, &ComputeWorker::jobProgress, this, &ComputeEngine::jobProgress);
    connect(mWorker, &ComputeWorker::jobPartial, this, &ComputeEngine::jobPartial);
    connect(mWorker, &ComputeWorker::jobFinished, this, &ComputeEngine::jobFinished);
    connect(mWorker, &ComputeWorker::jobFailed, this, &ComputeEngine::jobFailed);
    connect(mWorker, &ComputeWorker::jobCancelled, this, &ComputeEngine::jobCancelled);
    connect(mWorker, &ComputeWorker::memoryUsage, this, &ComputeEngine::memoryUsage);
    auto forget = [this](JobId id) { mCancelFlags.erase(id); };
    connect(this, &ComputeEngine::jobFinished, this, forget);
    connect(this, &ComputeEngine::jobFailed, this, forget);
    connect(this, &ComputeEngine::jobCancelled, this, forget);
    mThread.start();
}

ComputeEngine::~ComputeEngine()
{
    cancelAll();
    mThread.quit();
    mThread.wait();
    delete mWorker; // the thread has stopped: nothing else touches the worker or its device
}

void ComputeEngine::start(const DeviceOptions& options)
{
    QMetaObject::invokeMethod(mWorker, [w = mWorker, options] { w->openDevice(options); }, Qt::QueuedConnection);
}

JobId ComputeEngine::submit(std::unique_ptr<Job> job)
{
    const JobId id = mNextId++;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    mCancelFlags[id] = cancel;
    std::shared_ptr<Job> shared(std::move(job));
    QMetaObject::invokeMethod(
        mWorker, [w = mWorker, id, shared, cancel] { w->runJob(id, shared, cancel); }, Qt::QueuedConnection);
    return id;
}

void ComputeEngine::cancel(JobId id)
{
    if (auto it = mCancelFlags.find(id); it != mCancelFlags.end())
        it->second->store(true);
}

void ComputeEngine::cancelAll()
{
    for (auto& [id, flag] : mCancelFlags)
        flag->store(true);
}

} // namespace atelier::engine
