#include "inpaint/inpaint_record.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

namespace atelier::ui {

Result<store::PictureRecord> inpaintRecord(const store::PictureStore& store, const ImageResult& result,
                                           const QByteArray& maskPng)
{
    diffusion::GenerationParameters parameters = result.parameters;
    if (!parameters.maskBlur && result.request.inpaint)
        parameters.maskBlur = result.request.inpaint->feather;
    store::PictureRecord record = store::PictureRecord::fromParameters(parameters, store::PictureKind::Inpaint);
    record.created = QDateTime::currentDateTime();
    record.durationMs = qRound64(result.seconds * 1000);
    if (!result.request.initImagePath.isEmpty()) {
        if (auto parent = store.pictureAt(result.request.initImagePath); parent.ok())
            record.parentId = parent.value();
    }

    // "<day>/<time>-<seed>-inpaint.png" and its "…-mask.png", both free.
    const QString stem = QStringLiteral("%1/%2-%3-inpaint")
                             .arg(record.created.toString(QStringLiteral("yyyy-MM-dd")),
                                  record.created.toString(QStringLiteral("HHmmss-zzz")))
                             .arg(record.seed);
    for (int n = 1; n < 1000 && record.file.isEmpty(); ++n) {
        const QString name = n == 1 ? stem : QStringLiteral("%1-%2").arg(stem).arg(n);
        if (!QFileInfo::exists(store.absolutePath(name + ".png")) &&
            !QFileInfo::exists(store.absolutePath(name + "-mask.png"))) {
            record.file = name + ".png";
            record.maskFile = name + "-mask.png";
        }
    }
    if (record.file.isEmpty())
        return makeError(ErrorCode::Io, QStringLiteral("Could not find a free file name for %1.").arg(stem).toStdString());

    const QString maskPath = store.absolutePath(record.maskFile);
    QSaveFile file(maskPath);
    if (!QDir().mkpath(QFileInfo(maskPath).absolutePath()) || !file.open(QIODevice::WriteOnly) ||
        file.write(maskPng) != maskPng.size() || !file.commit())
        return makeError(ErrorCode::Io,
                         QStringLiteral("Could not save the mask as %1: %2").arg(maskPath, file.errorString()).toStdString());
    return record;
}

} // namespace atelier::ui
