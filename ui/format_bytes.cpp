#include "format_bytes.h"

#include <array>
#include <cmath>

namespace atelier::ui {

QString formatBytes(quint64 bytes)
{
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    static constexpr std::array units{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = double(bytes) / 1024.0;
    size_t unit = 0;
    // Step up while the rounded value would read 1024.0, so 1048575 shows as "1.0 MiB".
    while (std::round(value * 10.0) >= 10240.0 && unit + 1 < units.size()) {
        value /= 1024.0;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(value, 0, 'f', 1).arg(QLatin1String(units[unit]));
}

} // namespace atelier::ui
