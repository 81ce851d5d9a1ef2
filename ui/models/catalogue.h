#pragma once
// The model catalogue: recommended models Atelier can download (resources/catalogue/models.json,
// replaceable by <data>/catalogue.json or ATELIER_CATALOGUE). The JSON is untrusted: every field is
// checked and a bad file is refused with the reason, never half-read.

#include "core/result.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace atelier::models {

enum class ModelKind { Chat, Image, Embedding, VisionProjector };

QString kindName(ModelKind kind);        // "chat", "image", "embedding", "vision projector"

struct CatalogueModel {
    QString id;             // "qwen2.5-1.5b-instruct-q4_k_m": what `atelier models download` takes
    QString name;           // "Qwen2.5 1.5B Instruct"
    ModelKind kind = ModelKind::Chat;
    QString architecture;   // "qwen2", "gemma3", "llama", "sd1", "sd2"
    QString quantization;   // "Q4_K_M", "F16"; may be empty
    QString licence;        // "Apache-2.0", "Gemma Terms of Use", ...
    QStringList urls;       // http(s) URLs of the one file, tried in order
    QString file;           // the file's name in the models folder (no folders)
    qint64 size = 0;        // bytes; 0 when the publisher lists no exact size
    QString sha256;         // 64 lower-case hex digits; empty when no checksum is published
    int contextLength = 0;  // tokens the model was trained for; 0 for image models
    qint64 memory = 0;      // bytes it needs to run at Atelier's default context or picture size
    QString description;    // one sentence for the Models page

    bool fits(qint64 budgetBytes) const { return budgetBytes <= 0 || memory <= budgetBytes; }
};

struct Catalogue {
    int version = 1;
    QList<CatalogueModel> models;

    // By id (case-insensitive), then by file name, then by name; nullptr when none matches.
    const CatalogueModel* find(const QString& nameOrId) const;
    const CatalogueModel* findByFile(const QString& fileName) const;
    // The chat model to suggest first: the largest one needing at most half of budgetBytes
    // (headroom for the context and the rest of the system) and at most capBytes when that is
    // set (a CPU device answers too slowly with a large model); nullptr when none does.
    const CatalogueModel* bestChatModel(qint64 budgetBytes, qint64 capBytes = 0) const;
};

inline constexpr qint64 kMaxCatalogueBytes = 1 << 20;

// Parses a catalogue; `origin` names the file in messages.
Result<Catalogue> parseCatalogue(const QByteArray& json, const QString& origin);
Result<Catalogue> readCatalogue(const QString& path);

// ATELIER_CATALOGUE, else <data>/catalogue.json when it exists, else the built-in one.
QString cataloguePath();
Result<Catalogue> loadCatalogue();

} // namespace atelier::models
