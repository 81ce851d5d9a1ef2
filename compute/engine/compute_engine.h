#pragma once
// The UI's handle on the compute thread: submit jobs, cancel them, hear back through queued signals.

#include "engine/job.h"

#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <map>
#include <memory>

namespace atelier::engine {

class ComputeWorker;

struct DeviceOptions {
    int deviceIndex = -1;          // -1: pick the best (discrete > integrated > virtual > CPU)
    bool validation = false;       // Khronos validation layer with a debug messenger
    bool profile = false;          // per-kernel timestamp table after each job
    QString pipelineCachePath;     // on-disk VkPipelineCache; empty: none
    static DeviceOptions fromEnvironment(); // ATELIER_DEVICE, ATELIER_VK_VALIDATION, ATELIER_PROFILE
};

struct DeviceSummary {
    int index = -1;
    QString name;             // "llvmpipe (LLVM 15.0.6, 256 bits)"
    QString type;             // "discrete", "integrated", "virtual", "cpu"
    QString driver;           // driver name and version
    QString apiVersion;       // "1.3.230"
    quint64 deviceLocalBytes = 0;
};

class ComputeEngine : public QObject {
    Q_OBJECT
public:
    explicit ComputeEngine(QObject* parent = nullptr);
    ~ComputeEngine() override; // cancels every job and joins the thread

    // Opens the device on the compute thread; answers with deviceReady or deviceFailed.
    void start(const DeviceOptions& options);
    // Queues a job; its id comes back in every signal about it. Jobs run one at a time, in order.
    JobId submit(std::unique_ptr<Job> job);
    // Cancels a queued or running job; a running one stops at its next check.
    void cancel(JobId id);
    void cancelAll();

signals:
    void deviceReady(const atelier::engine::DeviceSummary& summary);
    void deviceFailed(const QString& message);
    void jobStarted(atelier::engine::JobId id);
    void jobProgress(atelier::engine::JobId id, double fraction, const QString& text);
    void jobPartial(atelier::engine::JobId id, const QVariant& data);
    void jobFinished(atelier::engine::JobId id, const QVariant& result);
    void jobFailed(atelier::engine::JobId id, const QString& message);
    void jobCancelled(atelier::engine::JobId id);
    // Device memory this process holds, and the heap's size (or budget when the driver tells).
    void memoryUsage(quint64 usedBytes, quint64 totalBytes);

private:
    QThread mThread;
    ComputeWorker* mWorker = nullptr; // lives on mThread
    JobId mNextId = 1;
    std::map<JobId, std::shared_ptr<std::atomic<bool>>> mCancelFlags; // queued and running jobs
};

} // namespace atelier::engine

Q_DECLARE_METATYPE(atelier::engine::DeviceSummary)
