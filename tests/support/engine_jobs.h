#pragma once
// Work a test runs on the compute engine's thread, waited for while the test's event loop turns:
// a reference answer on the engine's own device, residents put in place, the validation count.

#include "core/result.h"
#include "engine/compute_engine.h"
#include "engine/job.h"

#include <QString>
#include <QVariant>

namespace atelier::test {

// Runs `work` as a job on `engine` and waits for that job: its result, or why it failed (also a
// job that did not end within timeoutMs).
Result<QVariant> runOnEngine(engine::ComputeEngine& engine, const QString& name, engine::FunctionJob::Fn work,
                             int timeoutMs = 120000);

// Validation errors and warnings the engine's device has reported so far (every test unit runs
// with validation on and expects none); -1 when the count could not be had.
qint64 validationMessages(engine::ComputeEngine& engine);

} // namespace atelier::test
