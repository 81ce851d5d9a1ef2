#pragma once
// Byte counts as people read them in a status bar.

#include <QString>

namespace atelier::ui {

// Binary units with one decimal: 512 -> "512 B", 1288490189 -> "1.2 GiB".
QString formatBytes(quint64 bytes);

} // namespace atelier::ui
