#include "ui/docs/embedding_choice.h"

#include "core/app_paths.h"
#include "io/gguf.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace atelier::ui {

namespace {
// The catalogue's small embedding model (resources/catalogue/models.json).
const QString kSuggestedModel = QStringLiteral("nomic-embed-text-v1.5-q8_0");
} // namespace

QStringList installedEmbeddingModels(const QString& folder)
{
    QStringList out;
    for (const QFileInfo& f : QDir(folder).entryInfoList({QStringLiteral("*.gguf")}, QDir::Files, QDir::Name)) {
        auto file = io::GgufFile::open(f.absoluteFilePath().toStdString());
        if (!file)
            continue;
        const std::string arch = file.value()->architecture();
        if (arch == "bert" || arch == "nomic-bert")
            out << f.absoluteFilePath();
    }
    return out;
}

EmbeddingChoice::EmbeddingChoice(QWidget* parent) : QWidget(parent)
{
    mModels = new QComboBox;
    mModels->setObjectName(QStringLiteral("embeddingModel"));
    mModels->setToolTip(tr("Vectors let search find chunks that say the same in other words"));
    mApply = new QPushButton(tr("Apply and Embed"));
    mApply->setObjectName(QStringLiteral("applyEmbedding"));
    mGet = new QPushButton(tr("Get nomic-embed-text…"));
    mGet->setObjectName(QStringLiteral("getEmbeddingModel"));
    mVectors = new QLabel;
    mVectors->setObjectName(QStringLiteral("vectorsStatus"));
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(new QLabel(tr("Embedding model")));
    row->addWidget(mModels, 1);
    row->addWidget(mApply);
    row->addWidget(mGet);
    row->addWidget(mVectors);
    connect(mApply, &QPushButton::clicked, this, [this] { emit applied(chosen()); });
    connect(mGet, &QPushButton::clicked, this, [this] { emit catalogueWanted(kSuggestedModel); });
}

void EmbeddingChoice::show(const QString& current, bool canEmbed)
{
    mModels->clear();
    mModels->addItem(tr("None: keyword search only"), QString());
    const QStringList installed = installedEmbeddingModels(paths::modelsDir());
    for (const QString& path : installed)
        mModels->addItem(QFileInfo(path).fileName(), path);
    if (!current.isEmpty() && !installed.contains(current)) // chosen before, gone or elsewhere since
        mModels->addItem(tr("%1 (missing)").arg(QFileInfo(current).fileName()), current);
    mModels->setCurrentIndex(std::max(0, mModels->findData(current)));
    mModels->setEnabled(canEmbed);
    mApply->setEnabled(canEmbed);
    mGet->setVisible(installed.isEmpty());
    if (!canEmbed)
        mVectors->setText(tr("No GPU engine here: keyword search only"));
}

void EmbeddingChoice::setVectors(int withVectors, int chunks)
{
    if (chosen().isEmpty())
        mVectors->setText(tr("Keyword search only"));
    else if (withVectors >= chunks)
        mVectors->setText(tr("Vectors: all %1 chunks").arg(chunks));
    else
        mVectors->setText(tr("Vectors: %1 of %2 chunks").arg(withVectors).arg(chunks));
}

QString EmbeddingChoice::chosen() const { return mModels->currentData().toString(); }

} // namespace atelier::ui
