#include "create/image_form_parts.h"

#include "core/app_paths.h"
#include "create/prompt_highlighter.h"
#include "diffusion/checkpoint.h"
#include "diffusion/default_image_model.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QPlainTextEdit>
#include <QStandardItemModel>

#include <algorithm>

namespace atelier::ui {

QPlainTextEdit* makePromptEditor(const QString& objectName, const QString& placeholder, int lines, QWidget* parent)
{
    auto* edit = new QPlainTextEdit(parent);
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    edit->setTabChangesFocus(true);
    edit->setFixedHeight(edit->fontMetrics().lineSpacing() * lines + 14);
    new PromptHighlighter(edit->document());
    return edit;
}

const QStringList& samplerNames()
{
    static const QStringList names = {"Euler a", "Euler", "Heun", "DPM++ 2M", "DDIM", "LCM"};
    return names;
}

const QStringList& scheduleNames()
{
    static const QStringList names = {"Automatic", "Uniform", "Karras"};
    return names;
}

QString checkpointProblem(const QString& path)
{
    auto checkpoint = diffusion::Checkpoint::open(path.toStdString());
    return checkpoint ? QString() : QString::fromStdString(checkpoint.error().message);
}

bool isUsableCheckpoint(const QComboBox* combo, int index)
{
    const auto* model = qobject_cast<const QStandardItemModel*>(combo->model());
    const QStandardItem* item = model ? model->item(index) : nullptr;
    return item && item->isEnabled() && !item->data(Qt::UserRole).toString().isEmpty();
}

void listCheckpoints(QComboBox* combo, const QString& current, const QString& prefer)
{
    QSignalBlocker block(combo);
    combo->clear();
    const QDir folder(paths::modelsDir());
    QStringList files;
    for (const QFileInfo& file : folder.entryInfoList({"*.safetensors"}, QDir::Files, QDir::Name))
        files.append(file.absoluteFilePath());
    if (!current.isEmpty() && !files.contains(current) && QFileInfo::exists(current))
        files.append(current); // a file opened from elsewhere
    QList<QPair<QString, QString>> broken; // path, reason
    for (const QString& path : std::as_const(files)) {
        const QString problem = checkpointProblem(path);
        if (problem.isEmpty())
            combo->addItem(QFileInfo(path).completeBaseName(), path);
        else
            broken.append({path, problem});
    }
    // Files that cannot be used stay in sight, after the others and greyed, so the user sees why a
    // file of the folder is not offered; they cannot be chosen.
    auto* items = qobject_cast<QStandardItemModel*>(combo->model());
    for (const auto& [path, problem] : std::as_const(broken)) {
        combo->addItem(QObject::tr("%1 — cannot be used").arg(QFileInfo(path).completeBaseName()), path);
        const int row = combo->count() - 1;
        combo->setItemData(row, QDir::toNativeSeparators(path) + QLatin1Char('\n') + problem, Qt::ToolTipRole);
        if (QStandardItem* item = items ? items->item(row) : nullptr)
            item->setFlags(item->flags() & ~(Qt::ItemIsEnabled | Qt::ItemIsSelectable));
    }
    int index = combo->findData(current);
    if (index >= 0 && !isUsableCheckpoint(combo, index))
        index = -1;
    for (int i = 0; index < 0 && !prefer.isEmpty() && i < combo->count(); ++i)
        if (isUsableCheckpoint(combo, i) && combo->itemText(i).contains(prefer, Qt::CaseInsensitive))
            index = i;
    if (const int standard = combo->findData(QFileInfo(diffusion::defaultImageModelPath()).absoluteFilePath());
        index < 0 && standard >= 0 && isUsableCheckpoint(combo, standard))
        index = standard;
    if (index < 0 && combo->count() > broken.size())
        index = 0;
    combo->setCurrentIndex(index);
    if (combo->count() == 0)
        combo->setPlaceholderText(QObject::tr("No model in %1").arg(QDir::toNativeSeparators(paths::modelsDir())));
    else if (index < 0)
        combo->setPlaceholderText(QObject::tr("No model here can be used"));
}

} // namespace atelier::ui
