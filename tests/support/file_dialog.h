#pragma once
// Qt Test help for widget tests: answering the file dialogs the real window opens.

#include <QString>

namespace atelier::test {

// Answers the next file dialog by typing `path` into its name field and pressing Enter.
void answerFileDialog(const QString& path);

} // namespace atelier::test
