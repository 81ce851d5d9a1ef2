#pragma once
// Lives on the compute thread and owns the Vulkan device; runs jobs one at a time in the order
// they were queued. Talks to the UI only through queued signals (see ComputeEngine).

#include "engine/compute_engine.h"
#include "engine/job.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace atelier::vk {
class Device;
}

namespace atelier::engine {

class ComputeWorker : public QObject {
    Q_OBJECT
public:
    ComputeWorker();
    ~ComputeWorker() override;

    // Called through queued invocations from ComputeEngine; run on the compute thread.
    void openDevice(const DeviceOptions& options);
    void runJob(JobId id, std::shared_ptr<Job> job, std::shared_ptr<std::atomic<bool>> cancel);

signals:
    void deviceReady(const atelier::engine::DeviceSummary& summary);
    void deviceFailed(const QString& message);
    void jobStarted(atelier::engine::JobId id);
    void jobProgress(atelier::engine::JobId id, double fraction, const QString& text);
    void jobPartial(atelier::engine::JobId id, const QVariant& data);
    void jobFinished(atelier::engine::JobId id, const QVariant& result);
    void jobFailed(atelier::engine::JobId id, const QString& message);
    void jobCancelled(atelier::engine::JobId id);
    void memoryUsage(quint64 usedBytes, quint64 totalBytes);

private:
    void reportMemory();

    std::unique_ptr<vk::Device> mDevice;
    Residents mResidents; // destroyed before mDevice (see the destructor)
    QString mDeviceError = QStringLiteral("The GPU has not been opened yet.");
};

} // namespace atelier::engine
