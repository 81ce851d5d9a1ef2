#include "chat/lora_list.h"

#include "core/app_paths.h"

#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

namespace atelier::ui {

LoraList::LoraList(QWidget* parent) : QWidget(parent)
{
    setObjectName("loraList");
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed); // no taller than its rows and button
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    mRows = new QVBoxLayout;
    mRows->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(mRows);
    auto* add = new QPushButton(tr("Add LoRA…"), this);
    add->setObjectName("loraAddButton");
    add->setToolTip(tr("Put a LoRA adapter (a .gguf file in llama.cpp's adapter format, made for this model) "
                       "on the model for this conversation"));
    connect(add, &QPushButton::clicked, this, &LoraList::addFiles);
    layout->addWidget(add, 0, Qt::AlignLeft);
    mChooser = [this] {
        return QFileDialog::getOpenFileNames(this, tr("Add LoRA adapters"), paths::lorasDir(),
                                             tr("GGUF LoRA adapters (*.gguf);;All files (*)"));
    };
}

void LoraList::setChoices(const QList<store::LoraChoice>& choices)
{
    if (choices == mChoices)
        return;
    mChoices = choices;
    rebuild();
}

void LoraList::addFiles()
{
    const QStringList files = mChooser();
    if (files.isEmpty())
        return;
    for (const QString& file : files)
        mChoices.append({QFileInfo(file).absoluteFilePath(), 1.0});
    rebuild();
    emit edited();
}

void LoraList::rebuild()
{
    while (QLayoutItem* item = mRows->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (int i = 0; i < mChoices.size(); ++i) {
        auto* row = new QWidget(this);
        row->setObjectName("loraRow");
        // The file's name on a line of its own (the panel is narrow), its scale and Remove below it.
        auto* line = new QGridLayout(row);
        line->setContentsMargins(0, 0, 0, 0);
        line->setVerticalSpacing(2);
        auto* name = new QLabel(QFileInfo(mChoices[i].path).fileName(), row);
        name->setObjectName("loraFileLabel");
        name->setToolTip(QDir::toNativeSeparators(mChoices[i].path));
        name->setTextInteractionFlags(Qt::TextSelectableByMouse);
        // A long file name must not widen the settings panel: the tooltip has the whole path.
        name->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        name->setMinimumWidth(fontMetrics().averageCharWidth() * 8);
        auto* scale = new QDoubleSpinBox(row);
        scale->setObjectName("loraScaleSpin");
        scale->setRange(-4, 4);
        scale->setSingleStep(0.1);
        scale->setDecimals(2);
        scale->setValue(mChoices[i].scale);
        scale->setToolTip(tr("How strongly the adapter changes the model: 1 as trained, 0 off, negative "
                             "values work against it"));
        connect(scale, &QDoubleSpinBox::valueChanged, this, [this, i](double value) {
            mChoices[i].scale = value;
            emit edited();
        });
        auto* remove = new QToolButton(row);
        remove->setObjectName("loraRemoveButton");
        remove->setText(QStringLiteral("✕"));
        remove->setToolTip(tr("Take this adapter off the model"));
        connect(remove, &QToolButton::clicked, this, [this, i] {
            mChoices.removeAt(i);
            // Not now: the button being clicked belongs to a row rebuild() deletes.
            QMetaObject::invokeMethod(this, &LoraList::rebuild, Qt::QueuedConnection);
            emit edited();
        });
        line->addWidget(name, 0, 0, 1, 2);
        line->addWidget(scale, 1, 0);
        line->addWidget(remove, 1, 1);
        mRows->addWidget(row);
    }
}

} // namespace atelier::ui
