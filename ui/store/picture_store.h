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

// What recoverOrphans() found: picture files in the gallery that no row named.
struct OrphanRecovery {
    QList<PictureRecord> adopted; // files whose PNG text said what made them, now recorded
    QStringList removed;          // files it could not say that of (relative to the gallery folder)
};

class PictureStore {
public:
    // How old a file without a row must be before recoverOrphans() touches it: another Atelier on
    // the same data folder may have written it a moment ago and be about to commit its row.
    static constexpr qint64 kOrphanAgeSeconds = 10 * 60;

    // `galleryDir`: where the PNG files go; paths::galleryDir() in the app.
    PictureStore(Database& db, QString galleryDir);

    const QString& galleryDir() const { return mGalleryDir; }
    QString absolutePath(const QString& file) const; // of a record's file or mask

    // Writes `png` into the gallery folder, with the record's `parameters` text added when the PNG
    // lacks it, then commits the row. An empty `file` gets a name under a folder for the day. The
    // file is created exclusively: when its name is taken (by another process too) the next free
    // "-2", "-3", ... name is used, so no picture ever replaces another. Nothing is recorded when
    // the file cannot be written, and no file is left when the row cannot be committed.
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
    // Only files inside the gallery folder are deleted (a row naming a path outside it, through `..`
    // or a link, loses its row but never that file), and never a file another row still names.
    Result<QList<qint64>> purgeRemoved();

    // The maintenance pass run when the Library opens: PNG files in the gallery folder that no row
    // names (a kill between writing a picture and committing its row leaves one) and that are older
    // than `minAgeSeconds` get a row when their text chunks say what made them (an inpaint's
    // "-mask.png" beside it comes along), and are deleted otherwise. Links are never followed.
    Result<OrphanRecovery> recoverOrphans(qint64 minAgeSeconds = kOrphanAgeSeconds);

    // Prompts of pictures and users' chat messages, last used first, at most `limit`; a non-empty
    // `filter` keeps those containing it (case-insensitive, literal).
    Result<QList<PromptUse>> prompts(const QString& filter, int limit) const;

private:
    QString defaultFileName(const PictureRecord& record) const;
    // Commits `record` as a new row and sets its id; false when a row already names its file.
    Result<bool> insertRow(PictureRecord& record);
    Result<bool> fileInUse(const QString& file); // a row names it as its picture or mask

    Database& mDb;
    QString mGalleryDir;
};

} // namespace atelier::store

Q_DECLARE_METATYPE(atelier::store::PictureRecord)
