#pragma once
// A unit of work run on the compute thread: loading a model, generating tokens, denoising.

#include "core/result.h"
#include "engine/residents.h"

#include <QString>
#include <QVariant>

#include <atomic>
#include <functional>

namespace atelier::vk {
class Device;
}

namespace atelier::engine {

using JobId = quint64;

// What a running job may touch: the device, its cancel flag and the channels back to the UI.
class JobContext {
public:
    JobContext(vk::Device& device, Residents& residents, const std::atomic<bool>& cancelFlag,
               std::function<void(double, const QString&)> progress,
               std::function<void(const QVariant&)> partial);

    vk::Device& device() { return mDevice; }
    // What earlier jobs left loaded (a model); see Residents.
    Residents& residents() { return mResidents; }
    // Polled between tokens and between denoising steps.
    bool cancelled() const { return mCancel.load(std::memory_order_relaxed); }
    const std::atomic<bool>& cancelFlag() const { return mCancel; }
    // fraction in [0, 1], or < 0 when unknown.
    void progress(double fraction, const QString& text = {}) { mProgress(fraction, text); }
    // A partial result: a streamed token, a preview image.
    void partial(const QVariant& data) { mPartial(data); }

private:
    vk::Device& mDevice;
    Residents& mResidents;
    const std::atomic<bool>& mCancel;
    std::function<void(double, const QString&)> mProgress;
    std::function<void(const QVariant&)> mPartial;
};

class Job {
public:
    virtual ~Job() = default;
    virtual QString name() const = 0;
    // Runs on the compute thread. Returns the final result, or an error for the user.
    // A job that sees ctx.cancelled() returns an Error with ErrorCode::Cancelled.
    virtual Result<QVariant> run(JobContext& ctx) = 0;
};

// A job from a lambda, for small tasks and tests.
class FunctionJob final : public Job {
public:
    using Fn = std::function<Result<QVariant>(JobContext&)>;
    FunctionJob(QString name, Fn fn) : mName(std::move(name)), mFn(std::move(fn)) {}
    QString name() const override { return mName; }
    Result<QVariant> run(JobContext& ctx) override { return mFn(ctx); }

private:
    QString mName;
    Fn mFn;
};

} // namespace atelier::engine
