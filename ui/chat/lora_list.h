#pragma once
// The LoRA adapters a conversation puts on its model (GGUF files in llama.cpp's adapter format), in
// the chat settings form: one row per adapter with its file and scale, a Remove button on each, and
// Add LoRA… below them. Whether an adapter fits the model is said when an answer starts.

#include "store/chat_store.h"

#include <QWidget>

#include <functional>

class QVBoxLayout;

namespace atelier::ui {

class LoraList : public QWidget {
    Q_OBJECT
public:
    explicit LoraList(QWidget* parent = nullptr);

    void setChoices(const QList<store::LoraChoice>& choices);
    QList<store::LoraChoice> choices() const { return mChoices; }
    // What Add LoRA… asks for files with; a file dialog on the LoRA folder unless set (tests).
    void setFileChooser(std::function<QStringList()> chooser) { mChooser = std::move(chooser); }

signals:
    void edited(); // the user added or removed an adapter or changed a scale

private:
    void addFiles();
    void rebuild();

    QList<store::LoraChoice> mChoices;
    std::function<QStringList()> mChooser;
    QVBoxLayout* mRows = nullptr;
};

} // namespace atelier::ui
