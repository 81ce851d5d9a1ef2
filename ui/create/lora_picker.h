#pragma once
// A button whose menu lists the LoRAs of the LoRA folder (models/loras); choosing one inserts
// <lora:NAME:1> into the prompt at the cursor, as A1111's extra-networks cards do.

#include <QString>
#include <QToolButton>

class QPlainTextEdit;

namespace atelier::ui {

class LoraPicker : public QToolButton {
    Q_OBJECT
public:
    // `folder` empty: paths::lorasDir().
    LoraPicker(QPlainTextEdit* prompt, QWidget* parent, const QString& folder = {});

    // Inserts `name`'s tag at the prompt's cursor, with a space on each side where text touches it.
    void insertLora(const QString& name);

private:
    void fillMenu();

    QPlainTextEdit* mPrompt;
    QString mFolder;
};

} // namespace atelier::ui
