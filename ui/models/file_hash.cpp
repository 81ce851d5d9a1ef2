#include "file_hash.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>

namespace atelier::models {

Result<QString> sha256OfFile(const QString& path, const std::atomic<bool>* cancel)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, QStringLiteral("cannot read %1: %2")
                                            .arg(QDir::toNativeSeparators(path), file.errorString()).toStdString());
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QByteArray buffer(4 << 20, Qt::Uninitialized);
    for (;;) {
        if (cancel && cancel->load())
            return makeError(ErrorCode::Cancelled, "cancelled");
        const qint64 n = file.read(buffer.data(), buffer.size());
        if (n < 0)
            return makeError(ErrorCode::Io, QStringLiteral("cannot read %1: %2")
                                                .arg(QDir::toNativeSeparators(path), file.errorString()).toStdString());
        if (n == 0)
            break;
        hash.addData(QByteArrayView(buffer.constData(), n));
    }
    return QString::fromLatin1(hash.result().toHex());
}

QString recordedHashPath(const QString& modelPath) { return modelPath + QStringLiteral(".sha256"); }

Status recordSha256(const QString& modelPath, const QString& digest)
{
    QSaveFile file(recordedHashPath(modelPath));
    const QByteArray line = (digest + QStringLiteral("  ") + QFileInfo(modelPath).fileName() + u'\n').toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(line) != line.size() || !file.commit())
        return makeError(ErrorCode::Io, QStringLiteral("cannot write %1: %2")
                                            .arg(QDir::toNativeSeparators(recordedHashPath(modelPath)), file.errorString())
                                            .toStdString());
    return {};
}

QString recordedSha256(const QString& modelPath)
{
    QFile file(recordedHashPath(modelPath));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    static const QRegularExpression digest(QStringLiteral("^([0-9a-f]{64})(\\s|$)"));
    const auto m = digest.match(QString::fromLatin1(file.read(256)).toLower());
    return m.hasMatch() ? m.captured(1) : QString();
}

} // namespace atelier::models
