#include "create/lora_picker.h"

#include "core/app_paths.h"
#include "diffusion/lora_prompt.h"
#include "diffusion/lora_weights.h"

#include <QDesktopServices>
#include <QMenu>
#include <QPlainTextEdit>
#include <QTextCursor>
#include <QUrl>

namespace atelier::ui {

LoraPicker::LoraPicker(QPlainTextEdit* prompt, QWidget* parent, const QString& folder)
    : QToolButton(parent), mPrompt(prompt), mFolder(folder.isEmpty() ? paths::lorasDir() : folder)
{
    setObjectName("loraPicker");
    setText(tr("LoRA"));
    setToolTip(tr("Insert a LoRA from %1 into the prompt: <lora:NAME:1>, where the number is its weight")
                   .arg(mFolder));
    setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(this);
    menu->setObjectName("loraMenu");
    setMenu(menu);
    connect(menu, &QMenu::aboutToShow, this, &LoraPicker::fillMenu);
}

void LoraPicker::fillMenu()
{
    QMenu* m = menu();
    m->clear();
    const QStringList names = diffusion::listLoras(mFolder);
    for (const QString& name : names)
        m->addAction(name, this, [this, name] { insertLora(name); });
    if (names.isEmpty())
        m->addAction(tr("No LoRAs yet: put .safetensors files in %1").arg(mFolder))->setEnabled(false);
    m->addSeparator();
    m->addAction(tr("Open the LoRA folder"), this, [this] {
        paths::ensureDir(mFolder);
        QDesktopServices::openUrl(QUrl::fromLocalFile(mFolder));
    });
}

void LoraPicker::insertLora(const QString& name)
{
    QTextCursor cursor = mPrompt->textCursor();
    const QString text = mPrompt->toPlainText();
    const qsizetype at = cursor.selectionStart();
    const qsizetype end = cursor.selectionEnd();
    QString tag = diffusion::loraTag(name);
    if (at > 0 && !text.at(at - 1).isSpace())
        tag.prepend(QLatin1Char(' '));
    if (end < text.size() && !text.at(end).isSpace())
        tag.append(QLatin1Char(' '));
    cursor.insertText(tag);
    mPrompt->setTextCursor(cursor);
    mPrompt->setFocus();
}

} // namespace atelier::ui
