#include "create/image_form_parts.h"

#include "core/app_paths.h"
#include "create/prompt_highlighter.h"
#include "diffusion/default_image_model.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QPlainTextEdit>

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

void listCheckpoints(QComboBox* combo, const QString& current, const QString& prefer)
{
    QSignalBlocker block(combo);
    combo->clear();
    const QDir folder(paths::modelsDir());
    for (const QFileInfo& file : folder.entryInfoList({"*.safetensors"}, QDir::Files, QDir::Name))
        combo->addItem(file.completeBaseName(), file.absoluteFilePath());
    int index = combo->findData(current);
    if (index < 0 && !current.isEmpty() && QFileInfo::exists(current)) { // a file opened from elsewhere
        combo->addItem(QFileInfo(current).completeBaseName(), current);
        index = combo->count() - 1;
    }
    for (int i = 0; index < 0 && !prefer.isEmpty() && i < combo->count(); ++i)
        if (combo->itemText(i).contains(prefer, Qt::CaseInsensitive))
            index = i;
    if (index < 0)
        index = combo->findData(QFileInfo(diffusion::defaultImageModelPath()).absoluteFilePath());
    combo->setCurrentIndex(std::max(index, 0));
    if (combo->count() == 0)
        combo->setPlaceholderText(QObject::tr("No model in %1").arg(QDir::toNativeSeparators(paths::modelsDir())));
}

} // namespace atelier::ui
