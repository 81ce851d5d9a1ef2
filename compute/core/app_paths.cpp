#include "core/app_paths.h"

#include <QDir>
#include <QStandardPaths>

namespace atelier::paths {

namespace {
QString overrideRoot() { return qEnvironmentVariable("ATELIER_DATA_DIR"); }
}

QString dataDir()
{
    const QString root = overrideRoot();
    if (!root.isEmpty())
        return QDir::cleanPath(root);
    QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir::cleanPath(dir + "/Atelier");
}

QString modelsDir() { return dataDir() + "/models"; }
QString lorasDir() { return modelsDir() + "/loras"; }
QString galleryDir() { return dataDir() + "/gallery"; }
QString databasePath() { return dataDir() + "/atelier.sqlite3"; }
QString logsDir() { return dataDir() + "/logs"; }

QString cacheDir()
{
    if (!overrideRoot().isEmpty())
        return dataDir() + "/cache";
    return QDir::cleanPath(QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) + "/Atelier");
}

QString pipelineCachePath() { return cacheDir() + "/vulkan-pipelines.bin"; }
QString thumbnailsDir() { return cacheDir() + "/thumbnails"; }

bool ensureDir(const QString& path) { return QDir().mkpath(path); }

} // namespace atelier::paths
