#pragma once
// Shows a folder of Atelier's in the desktop's file manager.

#include <QString>

namespace atelier::ui {

// Creates the folder first, so "Open models folder" works on a fresh install.
// Returns false when the folder cannot be made or no file manager takes it.
bool openFolder(const QString& path);

} // namespace atelier::ui
