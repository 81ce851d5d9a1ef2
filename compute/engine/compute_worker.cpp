#include "engine/compute_worker.h"

#include "vk/device.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <new>

namespace atelier::engine {

JobContext::JobContext(vk::Device& device, Residents& residents, const std::atomic<bool>& cancelFlag,
                       std::function<void(double, const QString&)> progress,
                       std::function<void(const QVariant&)> partial)
    : mDevice(device), mResidents(residents), mCancel(cancelFlag), mProgress(std::move(progress)), mPartial(std::move(partial))
{
}

ComputeWorker::ComputeWorker() = default;
ComputeWorker::~ComputeWorker()
{
    mResidents.clear(); // models hold device memory: free it while the device still exists
    mDevice.reset();
}

void ComputeWorker::openDevice(const DeviceOptions& options)
{
    vk::Device::Options o;
    o.deviceIndex = options.deviceIndex;
    o.validation = options.validation;
    o.profile = options.profile;
    o.pipelineCachePath = options.pipelineCachePath.toStdString();
    auto device = vk::Device::create(o);
    if (!device) {
        mDeviceError = QString::fromStdString(device.error().message);
        spdlog::error("could not open a Vulkan device: {}", device.error().message);
        emit deviceFailed(mDeviceError);
        return;
    }
    mDevice = std::move(device).value();
    const vk::DeviceInfo& info = mDevice->info();
    DeviceSummary s;
    s.index = int(info.index);
    s.name = QString::fromStdString(info.name);
    s.type = QString::fromStdString(info.typeName());
    s.driver = QString::fromStdString(info.driverName + (info.driverInfo.empty() ? "" : " " + info.driverInfo));
    s.apiVersion = QString::fromStdString(info.apiVersionText());
    s.deviceLocalBytes = info.deviceLocalBytes;
    emit deviceReady(s);
    reportMemory();
}

void ComputeWorker::runJob(JobId id, std::shared_ptr<Job> job, std::shared_ptr<std::atomic<bool>> cancel)
{
    if (cancel->load()) {
        emit jobCancelled(id);
        return;
    }
    if (!mDevice) {
        emit jobFailed(id, mDeviceError);
        return;
    }
    emit jobStarted(id);
    JobContext ctx(
        *mDevice, mResidents, *cancel, [this, id](double f, const QString& text) { emit jobProgress(id, f, text); },
        [this, id](const QVariant& data) { emit jobPartial(id, data); });

    Result<QVariant> result = makeError(ErrorCode::InvalidArgument, "job did not run");
    try {
        result = job->run(ctx);
    } catch (const std::bad_alloc&) {
        result = makeError(ErrorCode::OutOfHostMemory, "The system ran out of memory.");
    } catch (const std::exception& e) {
        result = makeError(ErrorCode::InvalidArgument, std::string("Internal error: ") + e.what());
    }

    if (mDevice->profiling() && !mDevice->profiler().empty()) {
        // ATELIER_PROFILE=1 is asked for on the command line: the table goes to stderr as well as the log.
        const std::string table = mDevice->profiler().table();
        std::fprintf(stderr, "GPU time per kernel, job '%s':\n%s", qPrintable(job->name()), table.c_str());
        spdlog::info("GPU time per kernel, job '{}':\n{}", job->name().toStdString(), table);
        mDevice->profiler().reset();
    }
    if (result.ok()) {
        emit jobFinished(id, result.value());
    } else if (result.error().code == ErrorCode::Cancelled || cancel->load()) {
        emit jobCancelled(id);
    } else {
        spdlog::warn("job '{}' failed: {}", job->name().toStdString(), result.error().message);
        emit jobFailed(id, QString::fromStdString(result.error().message));
    }
    reportMemory();
}

void ComputeWorker::reportMemory()
{
    if (!mDevice)
        return;
    const auto usage = mDevice->memoryUsage();
    emit memoryUsage(usage.usedBytes, usage.totalBytes);
}

} // namespace atelier::engine
