#include "engine_jobs.h"

#include "vk/device.h"
#include "vk/instance.h"

#include <QSignalSpy>
#include <QTest>

#include <optional>

namespace atelier::test {

Result<QVariant> runOnEngine(engine::ComputeEngine& engine, const QString& name, engine::FunctionJob::Fn work, int timeoutMs)
{
    QSignalSpy finished(&engine, &engine::ComputeEngine::jobFinished);
    QSignalSpy failed(&engine, &engine::ComputeEngine::jobFailed);
    const engine::JobId id = engine.submit(std::make_unique<engine::FunctionJob>(name, std::move(work)));
    auto ended = [id](const QSignalSpy& spy) { // other jobs (the window's) may end meanwhile
        for (const QList<QVariant>& signal : spy)
            if (signal.at(0).value<engine::JobId>() == id)
                return std::optional<QVariant>(signal.at(1));
        return std::optional<QVariant>();
    };
    if (!QTest::qWaitFor([&] { return ended(finished) || ended(failed); }, timeoutMs))
        return makeError(ErrorCode::Cancelled, "the job '" + name.toStdString() + "' did not end in time");
    if (const auto message = ended(failed))
        return makeError(ErrorCode::InvalidArgument, message->toString().toStdString());
    return *ended(finished);
}

qint64 validationMessages(engine::ComputeEngine& engine)
{
    auto count = runOnEngine(engine, QStringLiteral("validation count"), [](engine::JobContext& ctx) -> Result<QVariant> {
        const vk::Instance& instance = ctx.device().instance();
        return QVariant::fromValue(quint64(instance.validationErrors() + instance.validationWarnings()));
    });
    return count ? qint64(count->value<quint64>()) : -1;
}

} // namespace atelier::test
