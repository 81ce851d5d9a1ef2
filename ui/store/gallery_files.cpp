#include "store/gallery_files.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace atelier::store {

namespace {

Error outside(const QString& galleryDir, const QString& file, const char* why)
{
    return makeError(ErrorCode::InvalidArgument, QStringLiteral("The picture file \"%1\" is not inside the gallery "
                                                                "folder %2 (%3).")
                                                     .arg(file, galleryDir, QString::fromLatin1(why))
                                                     .toStdString());
}

bool inside(const QString& canonicalFolder, const QString& canonicalPath)
{
    return canonicalPath == canonicalFolder || canonicalPath.startsWith(canonicalFolder + QLatin1Char('/'));
}

} // namespace

Result<QString> pathInGallery(const QString& galleryDir, const QString& file)
{
    if (file.isEmpty())
        return outside(galleryDir, file, "no name");
    if (QDir::isAbsolutePath(file) || file.startsWith(QLatin1Char('/')) || file.startsWith(QLatin1Char('\\')))
        return outside(galleryDir, file, "an absolute path");
    const QStringList steps = QString(file).replace(QLatin1Char('\\'), QLatin1Char('/')).split(QLatin1Char('/'));
    if (steps.contains(QStringLiteral("..")))
        return outside(galleryDir, file, "a \"..\" step");
    const QString gallery = QDir::cleanPath(QFileInfo(galleryDir).absoluteFilePath());
    const QString path = QDir::cleanPath(gallery + QLatin1Char('/') + file);

    // Links: what exists of the path, resolved, must still be inside the resolved gallery folder.
    // Without a gallery folder nothing under it exists yet, so nothing can lead out.
    const QString canonicalGallery = QFileInfo(gallery).canonicalFilePath();
    if (canonicalGallery.isEmpty())
        return path;
    QString probe = path;
    while (probe.size() > gallery.size() && !QFileInfo::exists(probe) && !QFileInfo(probe).isSymLink())
        probe = QFileInfo(probe).absolutePath();
    if (QFileInfo(probe).isSymLink() && !QFileInfo::exists(probe))
        return outside(galleryDir, file, "a link to nothing");
    if (!inside(canonicalGallery, QFileInfo(probe).canonicalFilePath()))
        return outside(galleryDir, file, "a link leads out of it");
    return path;
}

Result<Creation> createExclusively(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly)) {
        const QFileInfo info(path);
        if (info.exists() || info.isSymLink())
            return Creation::NameTaken;
        return makeError(ErrorCode::Io,
                         QStringLiteral("Could not save the picture as %1: %2").arg(path, file.errorString()).toStdString());
    }
    bool written = file.write(bytes) == bytes.size() && file.flush();
#ifdef Q_OS_UNIX
    // On disk before its row is committed, as QSaveFile::commit() did.
    written = written && ::fsync(file.handle()) == 0;
#endif
    if (!written) {
        const QString why = file.errorString();
        file.remove(); // ours: created above, so no one else's picture
        return makeError(ErrorCode::Io, QStringLiteral("Could not save the picture as %1: %2").arg(path, why).toStdString());
    }
    file.close();
    return Creation::Written;
}

QString candidateName(const QString& file, int n)
{
    if (n <= 1)
        return file;
    const qsizetype dot = file.lastIndexOf(QLatin1Char('.'));
    const qsizetype slash = file.lastIndexOf(QLatin1Char('/'));
    const bool hasSuffix = dot > slash + 1;
    const QString stem = hasSuffix ? file.left(dot) : file;
    const QString suffix = hasSuffix ? file.mid(dot) : QStringLiteral(".png");
    return QStringLiteral("%1-%2%3").arg(stem).arg(n).arg(suffix);
}

} // namespace atelier::store
