#pragma once
// The gallery's pictures: each one a PNG in the gallery folder (with its A1111 `parameters` chunk)
// and a row in the database, committed the moment the file is safely on disk. Deleting hides a
// picture until purgeRemoved(), so it can be undone.

#include "core/result.h"
#include "diffusion/generation_parameters.h"

#include <QDate>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace atelier::store {

class Database;

enum class PictureKind { Txt2Img, Img2Img, Inpaint };

QString pictureKindName(PictureKind kind); // "txt2img", "img2img", "inpaint"
PictureKind pictureKindFromName(const QString& name); // unknown names read as Txt2Img

struct PictureRecord {
    qint64 id = 0;       // 0 until added
    QString file;        // relative to the gallery folder: "2026-11-22/221503-123-42.png"
    QDateTime created;
    PictureKind kind = PictureKind::Txt2Img;
    QString prompt;
    QString negativePrompt;
    QString parametersText;     // A1111 text, as in the PNG
    QJsonObject parametersJson; // every GenerationParameters field, lossless (parametersToJson);
                                // the database's copy, not the PNG's `atelier` chunk
    QString model;              // checkpoint name without extension
    QString modelHash;          // AutoV2: 10 hex digits
    QString sampler;            // "Euler a"
    QString scheduler;          // "Karras"; empty: the sampler's default
    int steps = 0;
    double cfgScale = 0;
    quint64 seed = 0;
    int width = 0;
    int height = 0;
    std::optional<double> strength; // denoising strength of img2img and inpainting
    qint64 durationMs = 0;          // how long it took to make; 0: unknown (imported)
    qint64 parentId = 0;            // the picture it was made from; 0: none
    QString maskFile;               // inpainting mask, relative to the gallery folder

    // A record whose fields, text and JSON all say what `p` says.
    static PictureRecord fromParameters(const diffusion::GenerationParameters& p, PictureKind kind);
    // What made it: from the JSON when there is one, else from the fields.
    diffusion::GenerationParameters parameters() const;
};

QJsonObject parametersToJson(const diffusion::GenerationParameters& p);
diffusion::GenerationParameters parametersFromJson(const QJsonObject& json); // missing: defaults

// Which pictures to list. Empty text/model and null dates match everything.
struct PictureFilter {
    QString text;  // in the prompt, case-insensitive, literal
    QString model; // exact model name
    QDate from;    // local days, both included
    QDate to;
    bool operator==(const PictureFilter&) const = default;
};

// Where a page ends: the next page starts after it (newest first, so: older than it).
struct PictureCursor {
    qint64 created = 0;
    qint64 id = 0; // 0: from the newest picture
};

// One prompt of the history, grouped by text and by where it was used.
struct PromptUse {
    QString text;
    bool image = false; // a picture's prompt; false: a question in a chat
    int count = 0;
    QDateTime lastUsed;
};

class PictureStore {
public:
    // `galleryDir`: where the PNG files go; paths::galleryDir() in the app.
    PictureStore(Database& db, QString galleryDir);

    const QString& galleryDir() const { return mGalleryDir; }
    QString absolutePath(const QString& file) const; // of a record's file or mask

    // Writes `png` into the gallery folder atomically, with the record's `parameters` text added
    // when the PNG lacks it, then commits the row. An empty `file` gets a
    // new name under a folder for the day. Nothing is recorded when the file cannot be written, and
    // no file is left when the row cannot be committed.
    Result<PictureRecord> add(PictureRecord record, const QByteArray& png);

    // Copies a PNG made by AUTOMATIC1111, sd.cpp, Atelier or any tool writing A1111 `parameters`
    // into the gallery and records it. An error when the file is unreadable, not a PNG, or carries
    // no parameters.
    Result<PictureRecord> importFile(const QString& path);
    // What a PNG's text chunks say made it: the A1111 text, with the kind and time taken from
    // Create's `atelier` JSON chunk when there is one.
    static Result<PictureRecord> recordFromPng(const QByteArray& png, const QString& origin);

    Result<PictureRecord> picture(qint64 id) const;
    // The id of the picture shown whose file is `path` (absolute); 0 when none is.
    Result<qint64> pictureAt(const QString& path) const;
    // Pictures not removed matching `filter`, newest first, at most `limit` after `after`.
    Result<QList<PictureRecord>> pictures(const PictureFilter& filter, const PictureCursor& after, int limit) const;
    Result<int> count(const PictureFilter& filter) const;
    Result<QStringList> models() const; // model names of the pictures shown, sorted

    Status remove(qint64 id);  // hides it; restore() brings it back
    Status restore(qint64 id);
    // Deletes hidden pictures and their files for good; returns their ids (for their thumbnails).
    Result<QList<qint64>> purgeRemoved();

    // Prompts of pictures and users' chat messages, last used first, at most `limit`; a non-empty
    // `filter` keeps those containing it (case-insensitive, literal).
    Result<QList<PromptUse>> prompts(const QString& filter, int limit) const;

private:
    Result<QString> newFileName(const PictureRecord& record) const;

    Database& mDb;
    QString mGalleryDir;
};

} // namespace atelier::store

Q_DECLARE_METATYPE(atelier::store::PictureRecord)
