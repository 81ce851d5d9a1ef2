#pragma once
// The Documents dialog's embedding row: which installed embedding model (a bert / nomic-bert GGUF
// in the models folder) gives the selected collection's chunks vectors, or none (keyword search
// only); how many of its chunks have vectors for it; Apply and Embed; and a way to the catalogue's
// small embedding model when none is installed.

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;

namespace atelier::ui {

// The GGUFs in `folder` whose architecture is bert or nomic-bert, by file name.
QStringList installedEmbeddingModels(const QString& folder);

class EmbeddingChoice : public QWidget {
    Q_OBJECT
public:
    explicit EmbeddingChoice(QWidget* parent = nullptr);

    // Lists the models again and selects `current` (a path; empty: keyword search only).
    void show(const QString& current, bool canEmbed);
    // "Vectors: 120 of 340 chunks", or what keeps there from being any.
    void setVectors(int withVectors, int chunks);
    QString chosen() const; // a path, or empty

signals:
    void applied(const QString& modelPath);
    void catalogueWanted(const QString& modelId); // ui/models' id of the suggested model

private:
    QComboBox* mModels = nullptr;
    QLabel* mVectors = nullptr;
    QPushButton* mApply = nullptr;
    QPushButton* mGet = nullptr;
};

} // namespace atelier::ui
