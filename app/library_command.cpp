#include "library_command.h"

#include "core/app_paths.h"
#include "store/database.h"
#include "store/picture_store.h"

#include <QCoreApplication>

#include <cstdio>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier library import FILE.png...\n"
    "Copies each picture into the gallery and records what made it (its A1111 \"parameters\" text),\n"
    "as dropping it on the Library does. Prints \"imported FILE as picture N\" for each one.\n";

} // namespace

int runLibrary(int argc, char** argv, const QStringList& arguments)
{
    if (arguments.value(0) != QLatin1String("import") || arguments.size() < 2 ||
        arguments.contains(QStringLiteral("--help")) || arguments.contains(QStringLiteral("-h"))) {
        std::fprintf(stderr, "%s", kUsage);
        return 2;
    }
    QCoreApplication app(argc, argv); // Qt SQL loads its SQLite driver through the application

    auto db = store::Database::open(paths::databasePath());
    if (!db.ok()) {
        std::fprintf(stderr, "atelier: %s\n", db.error().message.c_str());
        return 1;
    }
    store::PictureStore pictures(*db.value(), paths::galleryDir());
    int refused = 0;
    for (const QString& file : arguments.mid(1)) {
        auto imported = pictures.importFile(file);
        if (!imported.ok()) {
            // The message names the file already.
            std::fprintf(stderr, "atelier: not imported: %s\n", imported.error().message.c_str());
            ++refused;
            continue;
        }
        std::printf("imported %s as picture %lld (%s)\n", qPrintable(file), static_cast<long long>(imported->id),
                    qPrintable(pictures.absolutePath(imported->file)));
    }
    return refused == 0 ? 0 : 1;
}

} // namespace atelier::app
