#pragma once
// The pieces the Create and Inpaint forms share: prompt editors with the syntax highlighted, the
// samplers and schedules offered (A1111's names), and the checkpoints of the models folder.

#include <QString>
#include <QStringList>

class QComboBox;
class QPlainTextEdit;
class QWidget;

namespace atelier::ui {

// A prompt editor `lines` lines high whose Tab moves focus, with PromptHighlighter on it.
QPlainTextEdit* makePromptEditor(const QString& objectName, const QString& placeholder, int lines, QWidget* parent);

const QStringList& samplerNames();  // "Euler a", "Euler", "Heun", "DPM++ 2M", "DDIM", "LCM"
const QStringList& scheduleNames(); // "Automatic", "Uniform", "Karras"

// Fills `combo` with the *.safetensors files of the models folder (name, absolute path) and chooses
// `current` (kept on the list when it lies elsewhere), else the first whose name contains `prefer`,
// else the default image model, else the first; with no file, says where they go. Each file's
// headers are read (no weights): those that cannot be used come last, greyed, disabled and marked
// "cannot be used" with the reason as their tooltip, and are never chosen.
void listCheckpoints(QComboBox* combo, const QString& current, const QString& prefer = {});

// Why the checkpoint at `path` cannot be used, from its headers; empty when it can.
QString checkpointProblem(const QString& path);

// Whether the combo's entry `index` is a checkpoint listCheckpoints found usable.
bool isUsableCheckpoint(const QComboBox* combo, int index);

} // namespace atelier::ui
