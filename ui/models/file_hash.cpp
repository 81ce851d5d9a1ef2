#include "file_hash.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>

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

} // namespace atelier::models
