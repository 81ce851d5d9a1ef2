#include "engine_status.h"

#include "format_bytes.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>

namespace atelier::ui {

using engine::ComputeEngine;

EngineStatus::EngineStatus(ComputeEngine& engine, QWidget* parent)
    : QWidget(parent)
    , mDevice(new QLabel(tr("Starting Vulkan…"), this))
    , mMemory(new QLabel(this))
    , mJob(new QLabel(this))
    , mJobProgress(new QProgressBar(this))
{
    mDevice->setObjectName("gpuStatus");
    mMemory->setObjectName("vramStatus");
    mMemory->setToolTip(tr("Device memory Atelier holds / the GPU's memory heap (or its budget)"));
    mMemory->hide();
    mJob->setObjectName("jobStatus");
    mJob->hide();
    mJobProgress->setObjectName("jobProgress");
    mJobProgress->setRange(0, 1000);
    mJobProgress->setTextVisible(false);
    mJobProgress->setFixedWidth(120);
    // No taller than the labels: a job's bar coming and going must not change the status bar's
    // height, and with it every workspace's (Create's picture moved when a run ended).
    mJobProgress->setMaximumHeight(mDevice->sizeHint().height());
    mJobProgress->hide();

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(16);
    layout->addWidget(mJob);
    layout->addWidget(mJobProgress);
    layout->addWidget(mMemory);
    layout->addWidget(mDevice);

    connect(&engine, &ComputeEngine::deviceReady, this, &EngineStatus::showDevice);
    connect(&engine, &ComputeEngine::deviceFailed, this, &EngineStatus::showDeviceFailure);
    connect(&engine, &ComputeEngine::memoryUsage, this, &EngineStatus::showMemory);
    connect(&engine, &ComputeEngine::jobStarted, this, &EngineStatus::showJobStarted);
    connect(&engine, &ComputeEngine::jobProgress, this, &EngineStatus::showJobProgress);
    connect(&engine, &ComputeEngine::jobFinished, this, &EngineStatus::showJobEnded);
    connect(&engine, &ComputeEngine::jobFailed, this, &EngineStatus::showJobEnded);
    connect(&engine, &ComputeEngine::jobCancelled, this, &EngineStatus::showJobEnded);
}

QString EngineStatus::deviceDescription() const
{
    if (mSummary)
        return tr("%1 (%2), Vulkan %3, driver %4")
            .arg(mSummary->name, mSummary->type, mSummary->apiVersion, mSummary->driver);
    if (!mFailure.isEmpty())
        return tr("none: %1").arg(mFailure);
    return tr("not started yet");
}

void EngineStatus::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange && !mFailure.isEmpty())
        updateFailureColour();
    QWidget::changeEvent(event);
}

void EngineStatus::showDevice(const engine::DeviceSummary& summary)
{
    mSummary = summary;
    mFailure.clear();
    mDevice->setStyleSheet({});
    mDevice->setText(tr("GPU: %1 · %2").arg(summary.name, summary.type));
    mDevice->setToolTip(tr("Vulkan %1\nDriver: %2\nDevice memory: %3")
                            .arg(summary.apiVersion, summary.driver, formatBytes(summary.deviceLocalBytes)));
}

void EngineStatus::showDeviceFailure(const QString& message)
{
    mSummary.reset();
    mFailure = message;
    mDevice->setText(tr("GPU unavailable: Vulkan could not start"));
    mDevice->setToolTip(message);
    mMemory->hide();
    updateFailureColour();
}

void EngineStatus::showMemory(quint64 usedBytes, quint64 totalBytes)
{
    mMemory->setText(tr("VRAM: %1 / %2").arg(formatBytes(usedBytes), formatBytes(totalBytes)));
    mMemory->show();
}

void EngineStatus::showJobStarted(engine::JobId id)
{
    mRunningJob = id;
    mJob->setText(tr("Working…"));
    mJob->show();
    mJobProgress->setRange(0, 0); // busy until the job reports a fraction
    mJobProgress->show();
}

void EngineStatus::showJobProgress(engine::JobId id, double fraction, const QString& text)
{
    if (id != mRunningJob)
        return;
    if (!text.isEmpty())
        mJob->setText(text);
    if (fraction >= 0.0) {
        mJobProgress->setRange(0, 1000);
        mJobProgress->setValue(qRound(qBound(0.0, fraction, 1.0) * 1000.0));
    }
}

void EngineStatus::showJobEnded(engine::JobId id)
{
    if (id != mRunningJob)
        return;
    mRunningJob = 0;
    mJob->hide();
    mJobProgress->hide();
}

void EngineStatus::updateFailureColour()
{
    // A red that keeps its contrast on both dark and light windows.
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    mDevice->setStyleSheet(QStringLiteral("color: %1;").arg(dark ? "#f28b82" : "#c5221f"));
}

} // namespace atelier::ui
