#include "window_fixture.h"

#include "core/app_paths.h"

#include <QFile>
#include <QSettings>
#include <QSignalSpy>

namespace atelier::test {

void useFreshSettings()
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
    QSettings().clear();
}

bool installModel(const QString& source, const QString& target)
{
    if (!paths::ensureDir(paths::modelsDir()))
        return false;
    QFile::remove(target);
    return QFile::copy(source, target);
}

bool startEngine(engine::ComputeEngine& engine, int timeoutMs)
{
    QSignalSpy ready(&engine, &engine::ComputeEngine::deviceReady);
    engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
    options.validation = true;
    engine.start(options);
    return ready.wait(timeoutMs);
}

} // namespace atelier::test
