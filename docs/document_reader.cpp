#include "docs/document_reader.h"

#include "docs/chunker.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QPdfDocument>
#include <QPdfSelection>
#include <QStringDecoder>

#include <cstring>

namespace atelier::docs {

namespace {

Error skip(const QString& reason) { return makeError(ErrorCode::Format, reason.toStdString()); }

QString sizeText(qint64 bytes) { return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat); }

// The text of bytes that claim to be text: UTF-8 (a BOM allowed), or UTF-16 with its BOM.
Result<QString> decodeText(const QByteArray& bytes)
{
    if (bytes.startsWith("\xFF\xFE") || bytes.startsWith("\xFE\xFF")) {
        QStringDecoder utf16(bytes.startsWith("\xFF\xFE") ? QStringDecoder::Utf16LE : QStringDecoder::Utf16BE);
        QString text = utf16.decode(bytes.mid(2));
        if (utf16.hasError())
            return skip(QStringLiteral("not text: broken UTF-16"));
        return text;
    }
    if (const void* nul = std::memchr(bytes.constData(), 0, size_t(bytes.size())))
        return skip(QStringLiteral("binary: a NUL byte at offset %1")
                        .arg(static_cast<const char*>(nul) - bytes.constData()));
    QStringDecoder utf8(QStringDecoder::Utf8);
    QString text = utf8.decode(bytes);
    // Invalid sequences decode to U+FFFD; the ones the file spells out itself do not count.
    const qsizetype replaced = text.count(QChar(QChar::ReplacementCharacter)) - bytes.count("\xEF\xBF\xBD");
    if (replaced > 0 && replaced * 100 > bytes.size())
        return skip(QStringLiteral("not text: %1 of %2 bytes are not UTF-8").arg(replaced).arg(bytes.size()));
    if (text.startsWith(QChar(0xFEFF)))
        text.remove(0, 1);
    return text;
}

Result<Chunks> pdfChunks(const QString& path, const QByteArray& bytes, const ChunkOptions& options)
{
    if (!bytes.startsWith("%PDF-"))
        return skip(QStringLiteral("not a PDF: no %PDF- header"));
    QPdfDocument pdf;
    const QPdfDocument::Error error = pdf.load(path);
    if (error == QPdfDocument::Error::IncorrectPassword)
        return skip(QStringLiteral("a PDF with a password"));
    if (error != QPdfDocument::Error::None || pdf.status() != QPdfDocument::Status::Ready)
        return skip(QStringLiteral("a damaged PDF that Qt PDF cannot open"));
    Chunks chunks;
    for (int page = 0; page < pdf.pageCount(); ++page) {
        const QString text = pdf.getAllText(page).text();
        for (Chunk& c : chunkText(text, TextKind::Plain, options, page + 1)) {
            c.ordinal = int(chunks.size());
            chunks.push_back(std::move(c));
        }
    }
    if (chunks.empty())
        return skip(pdf.pageCount() == 0 ? QStringLiteral("a PDF without pages")
                                         : QStringLiteral("a PDF without text (scanned pages?)"));
    return chunks;
}

} // namespace

FileKind kindOf(const QString& path)
{
    static const QStringList markdown = {"md", "markdown", "mdown", "mkd", "mdx"};
    static const QStringList text = {"txt", "text", "log", "rst", "org", "adoc", "asciidoc", "tex", "csv", "tsv", "nfo"};
    static const QStringList html = {"html", "htm", "xhtml"};
    static const QStringList code = {
        "c",   "h",    "cc",    "cpp",  "cxx", "hpp",  "hh",   "hxx",  "py",    "pyi",  "js",   "mjs",  "ts",
        "tsx", "jsx",  "java",  "kt",   "kts", "go",   "rs",   "rb",   "php",   "cs",   "swift", "m",   "mm",
        "sh",  "bash", "zsh",   "fish", "ps1", "lua",  "pl",   "pm",   "r",     "scala", "sql", "json", "yaml",
        "yml", "toml", "ini",   "cfg",  "conf", "xml", "cmake", "glsl", "comp", "vert", "frag", "css", "scss",
        "vue", "dart", "hs",    "ml",   "ex",  "exs",  "clj",  "zig",  "nim",   "jl",   "el",   "lisp", "proto",
        "gradle", "qml", "tf"};
    const QFileInfo info(path);
    const QString suffix = info.suffix().toLower();
    if (markdown.contains(suffix))
        return FileKind::Markdown;
    if (text.contains(suffix))
        return FileKind::Text;
    if (html.contains(suffix))
        return FileKind::Html;
    if (suffix == QLatin1String("pdf"))
        return FileKind::Pdf;
    if (code.contains(suffix))
        return FileKind::Code;
    static const QStringList plainNames = {"README", "LICENSE", "COPYING", "AUTHORS", "CHANGELOG", "NEWS", "TODO"};
    static const QStringList codeNames = {"Makefile", "Dockerfile", "CMakeLists.txt", "Containerfile"};
    if (suffix.isEmpty() && plainNames.contains(info.fileName().toUpper()))
        return FileKind::Text;
    if (codeNames.contains(info.fileName()))
        return FileKind::Code;
    return FileKind::Unknown;
}

QString kindName(FileKind kind)
{
    switch (kind) {
    case FileKind::Text: return QStringLiteral("text");
    case FileKind::Markdown: return QStringLiteral("markdown");
    case FileKind::Code: return QStringLiteral("code");
    case FileKind::Html: return QStringLiteral("html");
    case FileKind::Pdf: return QStringLiteral("pdf");
    case FileKind::Unknown: break;
    }
    return QStringLiteral("unknown");
}

Result<DocumentText> readTextDocument(const QByteArray& bytes, FileKind kind, const ChunkOptions& options)
{
    ATELIER_ASSIGN(const QString text, decodeText(bytes));
    DocumentText doc;
    doc.sha256 = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
    switch (kind) {
    case FileKind::Markdown: doc.chunks = chunkText(text, TextKind::Markdown, options); break;
    case FileKind::Code: doc.chunks = chunkText(text, TextKind::Code, options); break;
    case FileKind::Html: doc.chunks = chunkText(htmlToText(text), TextKind::Markdown, options); break;
    default: doc.chunks = chunkText(text, TextKind::Plain, options); break;
    }
    if (doc.chunks.empty())
        return skip(QStringLiteral("no text"));
    return doc;
}

Result<DocumentText> readDocument(const QString& path, FileKind kind, const ChunkOptions& options, qint64 maxBytes)
{
    if (kind == FileKind::Unknown)
        return skip(QStringLiteral("not a document type Atelier reads (.%1)").arg(QFileInfo(path).suffix()));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return skip(QStringLiteral("cannot be read: %1").arg(file.errorString()));
    if (file.size() > maxBytes)
        return skip(QStringLiteral("too large: %1 (the limit is %2)").arg(sizeText(file.size()), sizeText(maxBytes)));
    const QByteArray bytes = file.read(maxBytes + 1);
    if (bytes.size() > maxBytes)
        return skip(QStringLiteral("too large: over %1").arg(sizeText(maxBytes)));
    if (file.error() != QFileDevice::NoError)
        return skip(QStringLiteral("cannot be read: %1").arg(file.errorString()));
    if (kind != FileKind::Pdf)
        return readTextDocument(bytes, kind, options);
    DocumentText doc;
    doc.sha256 = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
    ATELIER_ASSIGN(doc.chunks, pdfChunks(path, bytes, options));
    return doc;
}

} // namespace atelier::docs
