#include "docs_command.h"

#include "command_line.h"

#include "cli_device.h"
#include "core/app_paths.h"
#include "docs/collection_store.h"
#include "docs/grounding.h"
#include "docs/indexer.h"
#include "docs/retrieval.h"
#include "llm/embedding_model.h"
#include "store/database.h"
#include "vk/device.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <csignal>
#include <cstdio>
#include <limits>
#include <unistd.h>
#include <optional>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier docs add NAME PATH... [--chunk CHARS] [--overlap CHARS] [--embed-model GGUF]\n"
    "       atelier docs update NAME [--embed-model GGUF]\n"
    "       atelier docs search NAME[,NAME...] QUERY [--k 5] [--embed-model GGUF | --keywords]\n"
    "       atelier docs list | skipped NAME | remove NAME\n"
    "A collection is folders and files (text, Markdown, code, HTML, PDF) cut into chunks and indexed\n"
    "for search; add creates it if needed, adds the paths and indexes what changed (update does the\n"
    "same without new paths). search prints one hit per line: file, position, score. With an\n"
    "embedding model (a GGUF bert / nomic-bert), chunks get vectors and search fuses both rankings;\n"
    "add and update keep it as the collection's model, which search (unless --keywords), chat --docs\n"
    "and the window's chat then use.\n"
    "`atelier chat --docs NAME` answers from a collection with numbered citations.\n";

std::atomic<bool> gCancel{false};

void onInterrupt(int) { gCancel = true; }

void printError(const Error& e) { std::fprintf(stderr, "atelier docs: %s\n", e.message.c_str()); }

struct Options {
    QStringList positional;
    std::optional<int> chunk, overlap;
    int k = 5;
    QString embedModel;
    bool keywords = false; // search: BM25 alone, whatever model the collection has
};

Result<Options> parse(const QStringList& args)
{
    Options o;
    for (int i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        if (!a.startsWith(QLatin1String("--"))) {
            o.positional << a;
            continue;
        }
        if (a == QLatin1String("--keywords")) {
            o.keywords = true;
            continue;
        }
        if (i + 1 >= args.size())
            return makeError(ErrorCode::InvalidArgument, a.toStdString() + " needs a value");
        const QString value = args[++i];
        const std::string key = a.toStdString();
        if (a == QLatin1String("--k")) {
            ATELIER_ASSIGN(o.k, wholeNumber(key, value, 1, 1000));
        } else if (a == QLatin1String("--chunk")) {
            ATELIER_ASSIGN(o.chunk, wholeNumber(key, value, 64, 100000));
        } else if (a == QLatin1String("--overlap")) {
            ATELIER_ASSIGN(o.overlap, wholeNumber(key, value, 0, 50000));
        } else if (a == QLatin1String("--embed-model")) {
            o.embedModel = value;
        } else {
            return makeError(ErrorCode::InvalidArgument, "unknown option " + key);
        }
    }
    return o;
}

// An embedding model on the Vulkan device as an Embedder; empty without --embed-model.
struct LoadedEmbedder {
    QString path;
    std::unique_ptr<vk::Device> device;
    std::unique_ptr<llm::EmbeddingModel> model;
    docs::Embedder embedder;
};

Result<LoadedEmbedder> loadEmbedder(const QString& path, int deviceIndex, bool validation)
{
    LoadedEmbedder e;
    if (path.isEmpty())
        return e;
    ATELIER_ASSIGN(e.device, openCliDevice(deviceIndex, validation));
    ATELIER_ASSIGN(e.model, llm::EmbeddingModel::load(*e.device, path.toStdString()));
    e.path = path;
    e.embedder.model = docs::embeddingModelId(path);
    llm::EmbeddingModel* model = e.model.get();
    e.embedder.embed = [model](const QStringList& texts) {
        std::vector<std::string> utf8;
        for (const QString& t : texts)
            utf8.push_back(t.toStdString());
        return model->embed(utf8);
    };
    return e;
}

// The embedding model the collections give their chunks vectors (the first that names one),
// loaded, as the window's chat uses it (ui/docs/source_finder); empty, with the reason in `why`,
// when there is none, its file is missing, no chunk has its vectors or it does not load.
LoadedEmbedder collectionsEmbedder(docs::CollectionStore& store, const QStringList& names, int deviceIndex,
                                   bool validation, QString& why)
{
    QString model;
    std::vector<qint64> ids;
    for (const QString& name : names) {
        if (auto c = store.find(name); c) {
            ids.push_back(c->id);
            if (model.isEmpty())
                model = c->settings.embeddingModel;
        }
    }
    if (model.isEmpty())
        return {};
    int vectors = 0;
    for (qint64 id : ids)
        if (auto n = store.vectorCount(id, docs::embeddingModelId(model)); n)
            vectors += n.value();
    const QString file = QFileInfo(model).fileName();
    if (!QFileInfo(model).isFile()) {
        why = QStringLiteral("the embedding model %1 is missing").arg(model);
        return {};
    }
    if (vectors == 0) {
        why = QStringLiteral("no chunk has a vector from %1 yet").arg(file);
        return {};
    }
    auto loaded = loadEmbedder(model, deviceIndex, validation);
    if (!loaded) {
        why = QString::fromStdString(loaded.error().message);
        return {};
    }
    return std::move(loaded).value();
}

int index(docs::CollectionStore& store, const QString& name, const docs::Embedder& embedder, const QString& embedModel)
{
    auto collection = store.find(name);
    if (!collection) {
        printError(collection.error());
        return 1;
    }
    // The model is the collection's from now on, as when the Documents dialog chooses it: the
    // window's chat and `atelier chat --docs` embed questions with it.
    if (!embedModel.isEmpty()) {
        docs::CollectionSettings settings = collection->settings;
        settings.embeddingModel = QFileInfo(embedModel).absoluteFilePath();
        if (auto set = store.setSettings(collection->id, settings); !set) {
            printError(set.error());
            return 1;
        }
        collection->settings = settings;
    }
    docs::Indexer indexer(store, embedder);
    std::signal(SIGINT, onInterrupt);
    const bool terminal = isatty(fileno(stderr));
    auto report = indexer.update(*collection, [terminal](const docs::IndexProgress& p) {
        if (!terminal)
            return;
        std::fprintf(stderr, "\r[%d/%d] %s\033[K", p.done + 1, p.total, qPrintable(p.path.section(u'/', -1)));
        std::fflush(stderr);
    }, &gCancel);
    std::signal(SIGINT, SIG_DFL);
    if (terminal)
        std::fputs("\r\033[K", stderr);
    if (!report) {
        printError(report.error());
        return 1;
    }
    std::printf("%s: %d added, %d changed, %d unchanged, %d skipped, %d removed; %d chunks written in %.2f s%s\n",
                qPrintable(collection->name), report->added, report->updated, report->unchanged, report->skipped,
                report->removed, report->chunks, report->seconds, report->cancelled ? " (cancelled)" : "");
    if (!report->embedError.isEmpty())
        std::fprintf(stderr, "atelier docs: no vectors: %s\n", qPrintable(report->embedError));
    auto skipped = store.skippedFiles(collection->id);
    if (skipped && !skipped->empty()) {
        std::printf("skipped:\n");
        for (const docs::FileRecord& f : *skipped)
            std::printf("  %s: %s\n", qPrintable(f.path), qPrintable(f.reason));
    }
    return report->cancelled ? 1 : 0;
}

Result<std::vector<qint64>> collectionIds(docs::CollectionStore& store, const QString& names)
{
    std::vector<qint64> ids;
    for (const QString& name : names.split(u',', Qt::SkipEmptyParts)) {
        ATELIER_ASSIGN(const docs::Collection c, store.find(name));
        ids.push_back(c.id);
    }
    return ids;
}

int run(docs::CollectionStore& store, const QString& command, const Options& o, int deviceIndex, bool validation)
{
    const QStringList& p = o.positional;
    if (command == QLatin1String("list")) {
        auto all = store.list();
        if (!all) {
            printError(all.error());
            return 1;
        }
        for (const docs::Collection& c : *all)
            std::printf("%s\t%d files, %d skipped, %d chunks\t%s\n", qPrintable(c.name), c.indexedFiles, c.skippedFiles,
                        c.chunks, qPrintable(c.roots.join(QStringLiteral(", "))));
        if (all->empty())
            std::printf("no collections (atelier docs add NAME PATH... makes one)\n");
        return 0;
    }
    if (command == QLatin1String("remove") && p.size() == 1) {
        if (auto removed = store.remove(p[0]); !removed) {
            printError(removed.error());
            return 1;
        }
        std::printf("removed %s\n", qPrintable(p[0]));
        return 0;
    }
    if (command == QLatin1String("skipped") && p.size() == 1) {
        auto c = store.find(p[0]);
        auto skipped = c ? store.skippedFiles(c->id) : Result<std::vector<docs::FileRecord>>(c.error());
        if (!skipped) {
            printError(skipped.error());
            return 1;
        }
        for (const docs::FileRecord& f : *skipped)
            std::printf("%s: %s\n", qPrintable(f.path), qPrintable(f.reason));
        return 0;
    }
    auto embedder = loadEmbedder(o.embedModel, deviceIndex, validation);
    if (!embedder) {
        printError(embedder.error());
        return 1;
    }
    if (command == QLatin1String("add") && p.size() >= 2) {
        auto c = store.find(p[0]);
        if (!c) {
            docs::CollectionSettings settings;
            settings.chunks.maxChars = o.chunk.value_or(settings.chunks.maxChars);
            settings.chunks.overlapChars = std::min(o.overlap.value_or(settings.chunks.overlapChars), settings.chunks.maxChars / 2);
            c = store.create(p[0], settings);
        }
        QStringList roots;
        for (const QString& path : p.mid(1)) {
            const QFileInfo info(path);
            if (!info.exists() && !info.isSymLink()) {
                std::fprintf(stderr, "atelier docs: no such file or folder: %s\n", qPrintable(path));
                return 1;
            }
            roots << info.absoluteFilePath();
        }
        if (!c || !store.addRoots(c->id, roots)) {
            printError(c ? Error{ErrorCode::Io, "could not add the paths"} : c.error());
            return 1;
        }
        return index(store, p[0], embedder->embedder, o.embedModel);
    }
    if (command == QLatin1String("update") && p.size() == 1)
        return index(store, p[0], embedder->embedder, o.embedModel);
    if (command == QLatin1String("search") && p.size() == 2) {
        auto ids = collectionIds(store, p[0]);
        // Without --embed-model, the collection's own model (as the window's chat searches).
        if (ids && o.embedModel.isEmpty() && !o.keywords) {
            QString why;
            *embedder = collectionsEmbedder(store, p[0].split(u',', Qt::SkipEmptyParts), deviceIndex, validation, why);
            if (!why.isEmpty())
                std::fprintf(stderr, "atelier docs: keyword search only: %s\n", qPrintable(why));
        }
        auto hits = ids ? docs::search(store, *ids, p[1], {o.k, 50}, embedder->embedder)
                        : Result<std::vector<docs::Hit>>(ids.error());
        if (!hits) {
            printError(hits.error());
            return 1;
        }
        for (const docs::Hit& h : *hits) {
            const int line = h.page > 0 ? 0 : h.lineStart;
            std::printf("%s%s\t%s\t%.4f\n", qPrintable(h.path), line > 0 ? qPrintable(QStringLiteral(":%1").arg(line)) : "",
                        qPrintable(docs::positionText(h)), h.score);
        }
        if (hits->empty())
            std::fprintf(stderr, "atelier docs: nothing in %s matches\n", qPrintable(p[0]));
        return 0;
    }
    std::fputs(kUsage, stderr);
    return 2;
}

} // namespace

int runDocs(int argc, char** argv, const QStringList& arguments, int deviceIndex, bool validation)
{
    if (arguments.isEmpty() || arguments.contains(QStringLiteral("--help")) || arguments.contains(QStringLiteral("-h"))) {
        std::fputs(kUsage, arguments.isEmpty() ? stderr : stdout);
        return arguments.isEmpty() ? 2 : 0;
    }
    auto options = parse(arguments.mid(1));
    if (!options) {
        std::fprintf(stderr, "atelier docs: %s\n%s", options.error().message.c_str(), kUsage);
        return 2;
    }
    QCoreApplication app(argc, argv); // Qt SQL loads its SQLite driver through the application
    auto db = store::Database::open(paths::databasePath());
    if (!db) {
        printError(db.error());
        return 1;
    }
    docs::CollectionStore store(*db.value());
    return run(store, arguments[0], *options, deviceIndex, validation);
}

struct ChatDocuments::State {
    std::unique_ptr<QCoreApplication> app;
    std::unique_ptr<store::Database> db;
    std::unique_ptr<docs::CollectionStore> store;
    std::vector<qint64> ids;
    int k = 5;
    LoadedEmbedder embedder; // the collections' embedding model (the first that names one), if it loads
};

ChatDocuments::ChatDocuments() : mState(std::make_unique<State>()) {}
ChatDocuments::~ChatDocuments() = default;

Result<std::unique_ptr<ChatDocuments>> ChatDocuments::open(const QStringList& names, int k, int deviceIndex, bool validation)
{
    std::unique_ptr<ChatDocuments> d(new ChatDocuments);
    if (!QCoreApplication::instance()) {
        static int argc = 1;
        static char name[] = "atelier";
        static char* argv[] = {name, nullptr};
        d->mState->app = std::make_unique<QCoreApplication>(argc, argv);
    }
    ATELIER_ASSIGN(d->mState->db, store::Database::open(paths::databasePath()));
    d->mState->store = std::make_unique<docs::CollectionStore>(*d->mState->db);
    ATELIER_ASSIGN(d->mState->ids, collectionIds(*d->mState->store, names.join(u',')));
    d->mState->k = k;
    // As the window's chat retrieves: hybrid with the collections' embedding model when it is there
    // and has vectors, else BM25 alone, saying why.
    QString why;
    d->mState->embedder = collectionsEmbedder(*d->mState->store, names.join(u',').split(u',', Qt::SkipEmptyParts),
                                              deviceIndex, validation, why);
    if (!why.isEmpty())
        std::fprintf(stderr, "atelier chat: sources by keywords only: %s\n", qPrintable(why));
    else if (d->mState->embedder.embedder)
        std::fprintf(stderr, "atelier chat: sources by keywords and meaning (%s)\n",
                     qPrintable(QFileInfo(d->mState->embedder.path).fileName()));
    return d;
}

Result<QString> ChatDocuments::ground(const QString& question, std::vector<docs::Hit>& hits)
{
    ATELIER_ASSIGN(hits, docs::search(*mState->store, mState->ids, question, {mState->k, 50}, mState->embedder.embedder));
    return docs::groundedQuestion(question, hits);
}

} // namespace atelier::app
