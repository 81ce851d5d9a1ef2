#include "models_command.h"

#include "core/app_paths.h"
#include "models/catalogue.h"
#include "models/file_hash.h"
#include "models/model_download.h"
#include "models/models_folder.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QUrl>

#include <cstdio>

namespace atelier::app {

namespace {

using models::formatDownloadSize;

const char* kUsage =
    "usage: atelier models list\n"
    "       atelier models download NAME_OR_URL\n"
    "       atelier models verify [NAME...]\n"
    "       atelier models remove NAME\n"
    "list shows the catalogue (what fits this computer's memory, what is installed) and the other files\n"
    "in the models folder. download fetches a catalogue model (by id, name or file name) or a .gguf or\n"
    ".safetensors URL, resuming a partial download, and checks its sha256. verify checks installed\n"
    "files against the catalogue's sha256, or where it has none against the sha256 the download recorded\n"
    "beside the file (<file>.sha256). remove deletes a model file from the models folder.\n";

void printError(const QString& message) { std::fprintf(stderr, "atelier models: %s\n", qPrintable(message)); }

int list(const models::Catalogue& catalogue)
{
    const qint64 budget = models::systemMemoryBytes();
    const QString path = models::cataloguePath();
    std::printf("%s: %lld models. This computer has %s of memory.\n\n",
                qPrintable(path.startsWith(':') ? QStringLiteral("The built-in catalogue")
                                                : QStringLiteral("The catalogue %1").arg(QDir::toNativeSeparators(path))),
                static_cast<long long>(catalogue.models.size()),
                budget > 0 ? qPrintable(formatDownloadSize(budget)) : "an unknown amount");
    std::printf("%-30s %-6s %-9s %-9s %s\n", "ID", "KIND", "SIZE", "NEEDS", "STATUS");
    for (const models::CatalogueModel& m : catalogue.models) {
        QString status = models::isInstalled(m) ? QStringLiteral("installed")
                         : m.fits(budget)       ? QStringLiteral("fits")
                                                : QStringLiteral("needs more memory than this computer has");
        if (!models::isInstalled(m) && QFileInfo::exists(models::installPath(m) + ".part"))
            status += QStringLiteral(", partly downloaded");
        std::printf("%-30s %-6s %-9s %-9s %s\n", qPrintable(m.id), qPrintable(models::kindName(m.kind).section(' ', 0, 0)),
                    m.size > 0 ? qPrintable(formatDownloadSize(m.size)) : "?", qPrintable(formatDownloadSize(m.memory)),
                    qPrintable(status));
    }
    QStringList others;
    for (const models::InstalledFile& f : models::installedFiles())
        if (!f.partial && !catalogue.findByFile(f.fileName))
            others << QStringLiteral("  %1 (%2)").arg(f.fileName, formatDownloadSize(f.size));
    std::printf("\nModels folder %s:%s\n", qPrintable(QDir::toNativeSeparators(paths::modelsDir())),
                others.isEmpty() ? " no files besides the catalogue's" : "");
    for (const QString& line : others)
        std::printf("%s\n", qPrintable(line));
    return 0;
}

int download(const models::Catalogue& catalogue, const QString& what)
{
    models::DownloadRequest request;
    QString label = what;
    if (const models::CatalogueModel* m = catalogue.find(what)) {
        for (const QString& u : m->urls)
            request.urls << QUrl(u);
        request.destination = models::installPath(*m);
        request.sha256 = m->sha256;
        request.size = m->size;
        label = m->name;
    } else if (what.startsWith("https://") || what.startsWith("http://")) {
        const QUrl url(what, QUrl::StrictMode);
        const QString name = QFileInfo(url.path()).fileName();
        if (!url.isValid() || name.startsWith('.') ||
            !(name.endsWith(".gguf", Qt::CaseInsensitive) || name.endsWith(".safetensors", Qt::CaseInsensitive))) {
            printError(QStringLiteral("%1 does not name a .gguf or .safetensors file").arg(what));
            return 1;
        }
        request.urls << url;
        request.destination = QDir(paths::modelsDir()).filePath(name);
    } else {
        printError(QStringLiteral("no model called \"%1\" in the catalogue (see `atelier models list`)").arg(what));
        return 1;
    }
    if (QFileInfo(request.destination).isFile()) {
        std::fprintf(stderr, "%s is already installed\n", qPrintable(label));
        std::printf("%s\n", qPrintable(request.destination));
        return 0;
    }
    if (request.sha256.isEmpty())
        std::fprintf(stderr, "note: no checksum in the catalogue for %s: it will not be verified\n", qPrintable(label));

    QNetworkAccessManager network;
    models::ModelDownload job(&network, request);
    int status = 1;
    QElapsedTimer lastLine;
    lastLine.start();
    QObject::connect(&job, &models::ModelDownload::progress, [&](qint64 received, qint64 total, double speed) {
        if (lastLine.elapsed() < 1000 && received != total)
            return;
        lastLine.restart();
        const QString of = total > 0 ? QStringLiteral(" of %1 (%2%)").arg(formatDownloadSize(total))
                                           .arg(100.0 * double(received) / double(total), 0, 'f', 1)
                                     : QString();
        std::fprintf(stderr, "%s%s, %s/s\n", qPrintable(formatDownloadSize(received)), qPrintable(of),
                     qPrintable(formatDownloadSize(qint64(speed))));
    });
    QObject::connect(&job, &models::ModelDownload::stateChanged, [&](models::ModelDownload::State state) {
        if (state == models::ModelDownload::State::Verifying)
            std::fprintf(stderr, "checking the sha256 of %s\n", qPrintable(QDir::toNativeSeparators(job.partPath())));
    });
    QObject::connect(&job, &models::ModelDownload::notice,
                     [](const QString& text) { std::fprintf(stderr, "note: %s\n", qPrintable(text)); });
    QObject::connect(&job, &models::ModelDownload::failed, [&](const QString& message) {
        printError(message);
        QCoreApplication::exit(1);
    });
    QObject::connect(&job, &models::ModelDownload::finished, [&](const QString& path) {
        std::fprintf(stderr, "downloaded %s%s\n", qPrintable(label),
                     request.sha256.isEmpty() ? " (not verified: no checksum in the catalogue)" : " (sha256 matches)");
        std::printf("%s\n", qPrintable(QDir::toNativeSeparators(path)));
        status = 0;
        QCoreApplication::exit(0);
    });
    std::fprintf(stderr, "downloading %s from %s\n", qPrintable(label), qPrintable(request.urls.first().toString()));
    job.start();
    if (job.state() == models::ModelDownload::State::Failed)
        return 1;
    QCoreApplication::exec();
    return status;
}

int verify(const models::Catalogue& catalogue, const QStringList& names)
{
    QStringList files;
    for (const QString& name : names) {
        const models::CatalogueModel* m = catalogue.find(name);
        files << (m ? m->file : name);
    }
    if (names.isEmpty())
        for (const models::InstalledFile& f : models::installedFiles())
            if (!f.partial)
                files << f.fileName;
    int bad = 0;
    for (const QString& file : files) {
        const QString path = QDir(paths::modelsDir()).filePath(file);
        if (file.contains('/') || !QFileInfo(path).isFile()) {
            printError(QStringLiteral("%1 is not installed").arg(file));
            ++bad;
            continue;
        }
        const models::CatalogueModel* m = catalogue.findByFile(file);
        // The catalogue's checksum, else the one the download recorded beside the file.
        const bool published = m && !m->sha256.isEmpty();
        const QString expected = published ? m->sha256 : models::recordedSha256(path);
        auto digest = models::sha256OfFile(path);
        if (!digest) {
            printError(QString::fromStdString(digest.error().message));
            ++bad;
        } else if (expected.isEmpty()) {
            std::printf("%s: not verified: no checksum in the catalogue and none recorded at download (sha256 %s)\n",
                        qPrintable(file), qPrintable(digest.value()));
        } else if (digest.value() == expected) {
            std::printf("%s: ok%s\n", qPrintable(file),
                        published ? "" : " (against the sha256 recorded at download; the catalogue has none)");
        } else {
            std::printf("%s: DAMAGED: sha256 %s, %s %s\n", qPrintable(file), qPrintable(digest.value()),
                        published ? "the catalogue says" : "recorded at download", qPrintable(expected));
            ++bad;
        }
    }
    return bad == 0 ? 0 : 1;
}

int remove(const models::Catalogue& catalogue, const QString& name)
{
    const models::CatalogueModel* m = catalogue.find(name);
    const QString file = m ? m->file : name;
    const Status removed = models::removeModelFile(file);
    if (!removed) {
        printError(QString::fromStdString(removed.error().message));
        return 1;
    }
    std::printf("removed %s\n", qPrintable(file));
    return 0;
}

} // namespace

int runModels(int argc, char** argv, const QStringList& arguments)
{
    const QString verb = arguments.value(0);
    const bool known = (verb == "list" && arguments.size() == 1) || (verb == "download" && arguments.size() == 2) ||
                       verb == "verify" || (verb == "remove" && arguments.size() == 2);
    if (!known || arguments.contains("--help") || arguments.contains("-h")) {
        std::fprintf(stderr, "%s", kUsage);
        return 2;
    }
    QCoreApplication app(argc, argv); // the network and the download's worker need an event loop
    auto catalogue = models::loadCatalogue();
    if (!catalogue) {
        printError(QString::fromStdString(catalogue.error().message));
        return 1;
    }
    if (verb == "list")
        return list(catalogue.value());
    if (verb == "download")
        return download(catalogue.value(), arguments[1]);
    if (verb == "verify")
        return verify(catalogue.value(), arguments.mid(1));
    return remove(catalogue.value(), arguments[1]);
}

} // namespace atelier::app
