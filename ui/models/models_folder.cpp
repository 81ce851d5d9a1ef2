#include "models_folder.h"

#include "core/app_paths.h"
#include "file_hash.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace atelier::models {

namespace {

bool isModelFileName(const QString& name)
{
    return name.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive) ||
           name.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive);
}

Error refuse(const QString& message) { return makeError(ErrorCode::InvalidArgument, message.toStdString()); }

} // namespace

QList<InstalledFile> installedFiles()
{
    QList<InstalledFile> files;
    const QDir dir(paths::modelsDir());
    const QStringList filters{QStringLiteral("*.gguf"), QStringLiteral("*.safetensors"), QStringLiteral("*.gguf.part"),
                              QStringLiteral("*.safetensors.part")};
    for (const QFileInfo& info : dir.entryInfoList(filters, QDir::Files, QDir::Name)) {
        InstalledFile f;
        f.path = info.absoluteFilePath();
        f.partial = info.fileName().endsWith(QLatin1String(".part"));
        f.fileName = f.partial ? info.fileName().chopped(5) : info.fileName();
        f.size = info.size();
        files << f;
    }
    return files;
}

QString installPath(const CatalogueModel& model) { return QDir(paths::modelsDir()).filePath(model.file); }

bool isInstalled(const CatalogueModel& model) { return QFileInfo(installPath(model)).isFile(); }

Status removeModelFile(const QString& fileName)
{
    if (fileName.isEmpty() || fileName.contains('/') || fileName.contains('\\') || fileName.startsWith('.') ||
        !isModelFileName(fileName))
        return refuse(QStringLiteral("%1 is not the name of a model file in the models folder").arg(fileName));
    const QDir dir(paths::modelsDir());
    const QString path = dir.filePath(fileName);
    const bool whole = QFileInfo(path).isFile();
    const bool part = QFileInfo(path + QStringLiteral(".part")).exists() || QFileInfo(path + QStringLiteral(".part")).isSymLink();
    if (!whole && !part)
        return refuse(QStringLiteral("there is no %1 in %2").arg(fileName, QDir::toNativeSeparators(dir.path())));
    if (whole && !QFile::remove(path))
        return makeError(ErrorCode::Io, QStringLiteral("cannot delete %1").arg(QDir::toNativeSeparators(path)).toStdString());
    if (part)
        QFile::remove(path + QStringLiteral(".part"));
    QFile::remove(recordedHashPath(path));
    return {};
}

Result<QString> importModelFile(const QString& sourcePath)
{
    const QFileInfo source(sourcePath);
    if (!source.isFile())
        return refuse(QStringLiteral("%1 is not a file").arg(QDir::toNativeSeparators(sourcePath)));
    if (!isModelFileName(source.fileName()))
        return refuse(QStringLiteral("%1 is not a model file (Atelier reads .gguf and .safetensors)").arg(source.fileName()));
    if (!paths::ensureDir(paths::modelsDir()))
        return makeError(ErrorCode::Io, "cannot create the models folder");
    const QString target = QDir(paths::modelsDir()).filePath(source.fileName());
    if (QFileInfo(target).canonicalFilePath() == source.canonicalFilePath())
        return target; // already there
    if (QFileInfo::exists(target))
        return refuse(QStringLiteral("the models folder already holds a %1").arg(source.fileName()));
    QFile::remove(recordedHashPath(target)); // a download's record says nothing about this file
    if (!QFile::copy(sourcePath, target)) {
        QFile::remove(target);
        return makeError(ErrorCode::Io, QStringLiteral("cannot copy %1 into %2 (is the disk full?)")
                                            .arg(QDir::toNativeSeparators(sourcePath), QDir::toNativeSeparators(paths::modelsDir()))
                                            .toStdString());
    }
    return target;
}

qint64 systemMemoryBytes()
{
    QFile meminfo(QStringLiteral("/proc/meminfo"));
    if (!meminfo.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : meminfo.readAll().split('\n')) {
        if (!line.startsWith("MemTotal:"))
            continue;
        const QList<QByteArray> parts = line.simplified().split(' ');
        return parts.value(1).toLongLong() * 1024; // "MemTotal: 16318480 kB"
    }
    return 0;
}

qint64 memoryBudget(const QString& deviceType, qint64 deviceLocalBytes)
{
    if (deviceType == QLatin1String("discrete") && deviceLocalBytes > 0)
        return deviceLocalBytes;
    return systemMemoryBytes();
}

namespace {
QString gDeviceType;
qint64 gDeviceLocalBytes = 0;
} // namespace

void rememberDevice(const QString& deviceType, qint64 deviceLocalBytes)
{
    gDeviceType = deviceType;
    gDeviceLocalBytes = deviceLocalBytes;
}

FolderEvents* folderEvents()
{
    static FolderEvents events;
    return &events;
}

qint64 deviceMemoryBudget() { return memoryBudget(gDeviceType, gDeviceLocalBytes); }

qint64 suggestionCap()
{
    const bool gpu = gDeviceType == QLatin1String("discrete") || gDeviceType == QLatin1String("integrated");
    return gpu ? 0 : 2LL * 1000 * 1000 * 1000;
}

} // namespace atelier::models
