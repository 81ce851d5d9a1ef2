#include "store/schema.h"

#include "store/database.h"
#include "store/sql.h"

#include <QStringList>

#include <iterator>

namespace atelier::store {

namespace {

Status runAll(Database& db, const QStringList& statements)
{
    for (const QString& sql : statements)
        ATELIER_TRY(execute(db, QStringLiteral("upgrade its schema"), sql));
    return {};
}

// Times are milliseconds since the epoch (UTC). The *_folded columns hold QString::toCaseFolded()
// of the text beside them, so search is case-insensitive beyond ASCII (SQLite's LIKE and lower()
// only fold A-Z). AUTOINCREMENT: an id the UI still holds never comes back as another row.
Status createChatTables(Database& db)
{
    return runAll(db, {
        QStringLiteral(R"(CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL,
            title_folded TEXT NOT NULL,
            created INTEGER NOT NULL,
            updated INTEGER NOT NULL,      -- last activity; strictly increasing over all rows
            settings TEXT NOT NULL,        -- ChatSettings as JSON
            current_leaf_id INTEGER,       -- messages.id; NULL: no messages yet
            removed INTEGER                -- when it was hidden; NULL: shown
        ))"),
        QStringLiteral(R"(CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE, -- NULL: a first message
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            text_folded TEXT NOT NULL,
            created INTEGER NOT NULL,
            stats TEXT NOT NULL            -- MessageStats as JSON
        ))"),
        QStringLiteral("CREATE INDEX messages_by_conversation ON messages(conversation_id, id)"),
        QStringLiteral("CREATE INDEX messages_by_parent ON messages(parent_id)"),
        QStringLiteral("CREATE INDEX conversations_by_activity ON conversations(updated)"),
    });
}

// Schema 2: the gallery. Every generated or imported picture is a PNG under paths::galleryDir()
// (`file` is relative to it) and one row here. Seeds are unsigned 64-bit in the app and stored as
// the signed integer with the same bits. `parameters` is the A1111 text written into the PNG,
// `parameters_json` Atelier's own lossless copy of it.
// prompt_uses: every prompt a user wrote, pictures' and chat questions alike, for the history.
Status createPictureTables(Database& db)
{
    return runAll(db, {
        QStringLiteral(R"(CREATE TABLE pictures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            file TEXT NOT NULL,            -- relative to the gallery folder
            created INTEGER NOT NULL,
            kind TEXT NOT NULL,            -- txt2img, img2img or inpaint
            prompt TEXT NOT NULL,
            prompt_folded TEXT NOT NULL,
            negative TEXT NOT NULL,
            parameters TEXT NOT NULL,      -- A1111 "parameters" text
            parameters_json TEXT NOT NULL, -- Atelier JSON
            model TEXT NOT NULL,
            model_hash TEXT NOT NULL,
            sampler TEXT NOT NULL,
            scheduler TEXT NOT NULL,
            steps INTEGER NOT NULL,
            cfg REAL NOT NULL,
            seed INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            strength REAL,                 -- NULL: txt2img
            duration_ms INTEGER NOT NULL,  -- 0: unknown (imported)
            parent_id INTEGER REFERENCES pictures(id) ON DELETE SET NULL, -- the img2img/inpaint source
            mask_file TEXT,                -- inpaint mask, relative to the gallery folder
            removed INTEGER                -- when it was hidden; NULL: shown
        ))"),
        QStringLiteral("CREATE INDEX pictures_by_time ON pictures(created, id)"),
        QStringLiteral("CREATE INDEX pictures_by_model ON pictures(model)"),
        QStringLiteral(R"(CREATE VIEW prompt_uses (text, text_folded, used, image) AS
            SELECT prompt, prompt_folded, created, 1 FROM pictures WHERE removed IS NULL AND prompt <> ''
            UNION ALL
            SELECT m.text, m.text_folded, m.created, 0 FROM messages AS m
                JOIN conversations AS c ON c.id = m.conversation_id
                WHERE m.role = 'user' AND c.removed IS NULL)"),
    });
}

// Schema 3: a picture file belongs to one row (issue 18: two processes once picked the same name,
// and 351 of 2,000 rows showed another row's picture). Of the rows sharing a file before, the last
// recorded keeps it: its writer renamed its file into place last, so the file holds its picture;
// the others' pictures were overwritten and are gone already.
Status makePictureFilesUnique(Database& db)
{
    return runAll(db, {
        QStringLiteral("DELETE FROM pictures WHERE id NOT IN (SELECT max(id) FROM pictures GROUP BY file)"),
        QStringLiteral("CREATE UNIQUE INDEX pictures_by_file ON pictures(file)"),
    });
}

// Schema 4: document collections for chat with your documents (issue 21; docs/README.md). A
// collection is a set of roots (folders or files); each file under them is one doc_files row,
// indexed or skipped with the reason; its chunks are searched with FTS5's BM25 through
// doc_chunks_fts (external content, kept in step by the triggers) and, once an embedding model
// has run, by the vectors in doc_vectors (float32 BLOBs, one per chunk and model).
Status createDocumentTables(Database& db)
{
    return runAll(db, {
        QStringLiteral(R"(CREATE TABLE doc_collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            created INTEGER NOT NULL,
            settings TEXT NOT NULL         -- docs::CollectionSettings as JSON
        ))"),
        QStringLiteral(R"(CREATE TABLE doc_roots (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            collection_id INTEGER NOT NULL REFERENCES doc_collections(id) ON DELETE CASCADE,
            path TEXT NOT NULL,            -- absolute, as the user added it
            UNIQUE (collection_id, path)
        ))"),
        QStringLiteral(R"(CREATE TABLE doc_files (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            collection_id INTEGER NOT NULL REFERENCES doc_collections(id) ON DELETE CASCADE,
            path TEXT NOT NULL,            -- absolute
            size INTEGER NOT NULL,         -- bytes
            mtime INTEGER NOT NULL,        -- milliseconds since the epoch
            hash TEXT NOT NULL,            -- sha256 of the bytes, hex; '' when never read
            kind TEXT NOT NULL,            -- text, markdown, code, html, pdf
            status TEXT NOT NULL,          -- indexed or skipped
            reason TEXT NOT NULL,          -- why it was skipped; '' when indexed
            indexed INTEGER NOT NULL,      -- when this row was last written
            UNIQUE (collection_id, path)
        ))"),
        QStringLiteral(R"(CREATE TABLE doc_chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            file_id INTEGER NOT NULL REFERENCES doc_files(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,      -- 0, 1, ... within the file
            byte_start INTEGER NOT NULL,   -- UTF-8 offsets in the file's text (the page's for a PDF)
            byte_end INTEGER NOT NULL,
            line_start INTEGER NOT NULL,   -- 1-based
            line_end INTEGER NOT NULL,
            page INTEGER NOT NULL,         -- 1-based PDF page; 0 for other files
            heading TEXT NOT NULL,         -- "Install > Linux"; '' when none
            text TEXT NOT NULL
        ))"),
        QStringLiteral("CREATE INDEX doc_chunks_by_file ON doc_chunks(file_id, ordinal)"),
        QStringLiteral(R"(CREATE VIRTUAL TABLE doc_chunks_fts USING fts5(
            text, heading, content='doc_chunks', content_rowid='id', tokenize='unicode61 remove_diacritics 2'))"),
        QStringLiteral(R"(CREATE TRIGGER doc_chunks_fts_insert AFTER INSERT ON doc_chunks BEGIN
            INSERT INTO doc_chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
        END)"),
        QStringLiteral(R"(CREATE TRIGGER doc_chunks_fts_delete AFTER DELETE ON doc_chunks BEGIN
            INSERT INTO doc_chunks_fts(doc_chunks_fts, rowid, text, heading) VALUES ('delete', old.id, old.text, old.heading);
        END)"),
        QStringLiteral(R"(CREATE TABLE doc_vectors (
            chunk_id INTEGER NOT NULL REFERENCES doc_chunks(id) ON DELETE CASCADE,
            model TEXT NOT NULL,           -- the embedding model's id
            vector BLOB NOT NULL,          -- float32, little-endian, unit length
            PRIMARY KEY (chunk_id, model)
        ))"),
    });
}

using Migration = Status (*)(Database&);

// kMigrations[v] takes a schema-v file to schema v + 1. Schema 5 is one more function here.
constexpr Migration kMigrations[] = {
    createChatTables,
    createPictureTables,
    makePictureFilesUnique,
    createDocumentTables,
};
static_assert(std::size(kMigrations) == Database::kSchemaVersion);

Result<int> userVersion(Database& db)
{
    ATELIER_ASSIGN(const QVariant version,
                   scalar(db, QStringLiteral("read its schema version"), QStringLiteral("PRAGMA user_version")));
    return version.toInt();
}

} // namespace

Status checkSchemaVersion(const Database& db, int version)
{
    if (version <= Database::kSchemaVersion)
        return {};
    return makeError(ErrorCode::Unsupported,
                     QStringLiteral("%1 was written by a newer Atelier (schema %2; this build knows schemas up "
                                    "to %3). Update Atelier to open it.")
                         .arg(db.path(), QString::number(version), QString::number(Database::kSchemaVersion))
                         .toStdString());
}

Status migrate(Database& db)
{
    ATELIER_ASSIGN(int version, userVersion(db));
    while (version < Database::kSchemaVersion) {
        ATELIER_ASSIGN(WriteTransaction transaction,
                       WriteTransaction::begin(db, QStringLiteral("upgrade its schema")));
        // Another Atelier may have upgraded the file while this one waited for the lock.
        ATELIER_ASSIGN(version, userVersion(db));
        if (version >= Database::kSchemaVersion)
            break;
        ATELIER_TRY(kMigrations[version](db));
        // PRAGMA takes no bound values; both are integers from this file.
        ATELIER_TRY(runAll(db, {QStringLiteral("PRAGMA user_version = %1").arg(version + 1),
                                QStringLiteral("PRAGMA application_id = %1").arg(kApplicationId)}));
        ATELIER_TRY(transaction.commit());
        ++version;
    }
    return checkSchemaVersion(db, version);
}

} // namespace atelier::store
