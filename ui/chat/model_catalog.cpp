#include "chat/model_catalog.h"

#include "core/app_paths.h"
#include "format_bytes.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QtConcurrent/QtConcurrentRun>

namespace atelier::ui {

namespace {
const QString kExtraModelsKey = QStringLiteral("chat/extraModels");

QList<ModelEntry> readEntries(const QStringList& paths)
{
    QList<ModelEntry> entries;
    for (const QString& path : paths) {
        ModelEntry e;
        e.path = path;
        auto info = llm::readModelFileInfo(path.toStdString());
        if (info.ok())
            e.info = std::move(info).value();
        else
            e.error = QString::fromStdString(info.error().message);
        entries.append(std::move(e));
    }
    return entries;
}
} // namespace

QString ModelEntry::displayName() const
{
    if (error.isEmpty() && !info.name.empty())
        return QString::fromStdString(info.name);
    return QFileInfo(path).completeBaseName();
}

QString ModelEntry::reason() const
{
    if (!error.isEmpty())
        return error;
    return QString::fromStdString(info.problem);
}

QString baseModelNote()
{
    return QObject::tr("a base model without a chat template: it completes text, one line per answer");
}

QString ModelEntry::summary() const
{
    if (!error.isEmpty())
        return QObject::tr("Cannot be read: %1").arg(error);
    QStringList parts;
    parts << QString::fromStdString(info.architecture);
    if (!info.quantization.empty())
        parts << QString::fromStdString(info.quantization);
    if (info.parameters > 0)
        parts << QObject::tr("%1M parameters").arg(double(info.parameters) / 1e6, 0, 'f', 0);
    parts << formatBytes(info.fileBytes);
    if (info.contextLength > 0)
        parts << QObject::tr("%1 tokens of context").arg(info.contextLength);
    if (!info.problem.empty())
        parts << QObject::tr("cannot run: %1").arg(QString::fromStdString(info.problem));
    else if (!info.hasChatTemplate) // said before it is chosen, not only once it has loaded
        parts << baseModelNote();
    return parts.join(QStringLiteral(" · "));
}

ModelCatalog::ModelCatalog(QObject* parent) : QObject(parent)
{
    connect(&mWatcher, &QFutureWatcher<QList<ModelEntry>>::finished, this, [this] {
        mModels = mWatcher.result();
        emit changed();
        if (mRefreshAgain) {
            mRefreshAgain = false;
            refresh();
        }
    });
}

ModelCatalog::~ModelCatalog() { mWatcher.waitForFinished(); }

QStringList ModelCatalog::candidates() const
{
    QStringList paths;
    const QDir models(paths::modelsDir());
    for (const QFileInfo& f : models.entryInfoList({QStringLiteral("*.gguf")}, QDir::Files, QDir::Name))
        paths << f.absoluteFilePath();
    for (const QString& extra : QSettings().value(kExtraModelsKey).toStringList()) {
        if (!paths.contains(extra) && QFileInfo::exists(extra))
            paths << extra;
    }
    return paths;
}

void ModelCatalog::refresh()
{
    if (mWatcher.isRunning()) {
        mRefreshAgain = true;
        return;
    }
    mWatcher.setFuture(QtConcurrent::run(readEntries, candidates()));
}

void ModelCatalog::addFile(const QString& path)
{
    QSettings settings;
    QStringList extra = settings.value(kExtraModelsKey).toStringList();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    if (!extra.contains(absolute)) {
        extra << absolute;
        settings.setValue(kExtraModelsKey, extra);
    }
    refresh();
}

const ModelEntry* ModelCatalog::find(const QString& path) const
{
    for (const ModelEntry& e : mModels) {
        if (e.path == path)
            return &e;
    }
    return nullptr;
}

QString ModelCatalog::defaultModelPath() { return paths::modelsDir() + QStringLiteral("/gemma-3-270m-q4_k_m.gguf"); }

QString ModelCatalog::pick(const QString& preferred) const
{
    for (const QString& path : {preferred, defaultModelPath()}) {
        if (const ModelEntry* e = find(path); e && e->usable())
            return path;
    }
    for (const ModelEntry& e : mModels) {
        if (e.usable())
            return e.path;
    }
    return {};
}

} // namespace atelier::ui
