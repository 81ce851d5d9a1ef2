#pragma once
// The status bar's view of the compute engine: the active GPU, its memory and the running job.

#include "engine/compute_engine.h"

#include <QWidget>

#include <optional>

class QLabel;
class QProgressBar;

namespace atelier::ui {

// Listens to the engine's queued signals only; it never calls into the engine or waits on it.
class EngineStatus : public QWidget {
    Q_OBJECT
public:
    explicit EngineStatus(engine::ComputeEngine& engine, QWidget* parent = nullptr);

    // One line for the About box: the GPU and driver, or why there is none.
    QString deviceDescription() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void showDevice(const engine::DeviceSummary& summary);
    void showDeviceFailure(const QString& message);
    void showMemory(quint64 usedBytes, quint64 totalBytes);
    void showJobStarted(engine::JobId id);
    void showJobProgress(engine::JobId id, double fraction, const QString& text);
    void showJobEnded(engine::JobId id);
    void updateFailureColour();

    QLabel* mDevice = nullptr;
    QLabel* mMemory = nullptr;
    QLabel* mJob = nullptr;
    QProgressBar* mJobProgress = nullptr;
    std::optional<engine::DeviceSummary> mSummary;
    QString mFailure;
    engine::JobId mRunningJob = 0; // jobs run one at a time; 0: idle
};

} // namespace atelier::ui
