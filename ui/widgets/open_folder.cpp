#include "widgets/open_folder.h"

#include "core/app_paths.h"

#include <QDesktopServices>
#include <QUrl>

namespace atelier::ui {

bool openFolder(const QString& path)
{
    return paths::ensureDir(path) && QDesktopServices::openUrl(QUrl::fromLocalFile(path));
}

} // namespace atelier::ui
