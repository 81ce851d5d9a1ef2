#include "io/png_text.h"

#include <QStringDecoder>

#include <array>
#include <cstring>

namespace atelier::io {

namespace {

constexpr char kSignature[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};

quint32 crc32(const char* data, qsizetype size, quint32 crc = 0xffffffffu)
{
    static const std::array<quint32, 256> table = [] {
        std::array<quint32, 256> t{};
        for (quint32 n = 0; n < 256; ++n) {
            quint32 c = n;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }();
    for (qsizetype i = 0; i < size; ++i)
        crc = table[(crc ^ quint8(data[i])) & 0xff] ^ (crc >> 8);
    return crc;
}

quint32 bigEndian(const char* p)
{
    return (quint32(quint8(p[0])) << 24) | (quint32(quint8(p[1])) << 16) | (quint32(quint8(p[2])) << 8) | quint8(p[3]);
}

void appendBigEndian(QByteArray& out, quint32 v)
{
    out.append(char(v >> 24)).append(char(v >> 16)).append(char(v >> 8)).append(char(v));
}

Error damaged(const std::string& why) { return makeError(ErrorCode::Format, "the PNG file is damaged: " + why); }

QString decodeUtf8OrLatin1(QByteArrayView bytes)
{
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString text = utf8(bytes);
    return utf8.hasError() ? QString::fromLatin1(bytes) : text;
}

Error tooLarge(const QString& keyword, qsizetype bytes, const char* what)
{
    return makeError(ErrorCode::Format,
                     QStringLiteral("the PNG's \"%1\" text chunk is too large to read (%2 %3 bytes; Atelier reads at "
                                    "most %4 bytes of text per chunk)")
                         .arg(keyword, QString::fromLatin1(what))
                         .arg(bytes)
                         .arg(kMaxPngTextBytes)
                         .toStdString());
}

// zlib stream → bytes, or an error; qUncompress wants the expected size in front. The input is at
// most kMaxPngTextBytes, so even a bomb inflates to a bounded size (deflate: at most ~1032:1).
Result<QByteArray> inflate(const QString& keyword, QByteArrayView zlib)
{
    if (zlib.size() > kMaxPngTextBytes)
        return tooLarge(keyword, zlib.size(), "compressed");
    QByteArray framed;
    appendBigEndian(framed, quint32(kMaxPngTextBytes));
    framed += zlib;
    QByteArray out = qUncompress(framed);
    if (out.isEmpty() && !zlib.isEmpty())
        return damaged("a compressed text chunk does not inflate");
    if (out.size() > kMaxPngTextBytes)
        return tooLarge(keyword, out.size(), "inflated");
    return out;
}

Result<PngTextChunk> textChunk(QByteArrayView type, QByteArrayView data)
{
    const qsizetype nul = data.indexOf('\0');
    if (nul < 1 || nul > 79)
        return damaged("a text chunk has no valid keyword");
    PngTextChunk chunk;
    chunk.keyword = QString::fromLatin1(data.first(nul));
    if (type == "tEXt") {
        const QByteArrayView text = data.sliced(nul + 1);
        if (text.size() > kMaxPngTextBytes)
            return tooLarge(chunk.keyword, text.size(), "uncompressed");
        chunk.text = decodeUtf8OrLatin1(text);
    } else if (type == "zTXt") {
        if (nul + 2 > data.size() || data[nul + 1] != '\0')
            return damaged("a zTXt chunk uses an unknown compression method");
        ATELIER_ASSIGN(const QByteArray text, inflate(chunk.keyword, data.sliced(nul + 2)));
        chunk.text = decodeUtf8OrLatin1(text);
    } else { // iTXt: keyword, flag, method, language tag, translated keyword, text
        if (nul + 3 > data.size())
            return damaged("an iTXt chunk is truncated");
        const bool compressed = data[nul + 1] != '\0';
        const qsizetype language = data.indexOf('\0', nul + 3);
        const qsizetype translated = language < 0 ? -1 : data.indexOf('\0', language + 1);
        if (translated < 0)
            return damaged("an iTXt chunk is truncated");
        const QByteArrayView stored = data.sliced(translated + 1);
        if (compressed) {
            ATELIER_ASSIGN(const QByteArray text, inflate(chunk.keyword, stored));
            chunk.text = QString::fromUtf8(text);
        } else {
            if (stored.size() > kMaxPngTextBytes)
                return tooLarge(chunk.keyword, stored.size(), "uncompressed");
            chunk.text = QString::fromUtf8(stored);
        }
    }
    return chunk;
}

} // namespace

Result<QList<PngTextChunk>> readPngText(const QByteArray& png)
{
    if (png.size() < 8 || std::memcmp(png.constData(), kSignature, 8) != 0)
        return makeError(ErrorCode::Format, "not a PNG file");
    QList<PngTextChunk> chunks;
    qsizetype at = 8;
    while (at < png.size()) {
        if (png.size() - at < 12)
            return damaged("it ends inside a chunk");
        const quint32 length = bigEndian(png.constData() + at);
        const QByteArrayView type = QByteArrayView(png).sliced(at + 4, 4);
        if (length > quint32(png.size() - at - 12))
            return damaged("a chunk runs past the end of the file");
        // A view, not a copy: a chunk is read where it lies in the file.
        const QByteArrayView data = QByteArrayView(png).sliced(at + 8, qsizetype(length));
        if (type == "tEXt" || type == "zTXt" || type == "iTXt") {
            ATELIER_ASSIGN(PngTextChunk chunk, textChunk(type, data));
            chunks.append(std::move(chunk));
        }
        at += 12 + qsizetype(length);
        if (type == "IEND")
            return chunks;
    }
    return damaged("it has no IEND chunk");
}

Result<QByteArray> addPngText(const QByteArray& png, const QList<PngTextChunk>& chunks)
{
    // Find the first IDAT (or IEND) by walking the chunks (their names could appear inside data).
    if (png.size() < 8 || std::memcmp(png.constData(), kSignature, 8) != 0)
        return makeError(ErrorCode::Format, "not a PNG file");
    qsizetype at = 8;
    qsizetype insert = -1;
    while (at + 12 <= png.size()) {
        const quint32 length = bigEndian(png.constData() + at);
        if (length > quint32(png.size() - at - 12))
            return damaged("a chunk runs past the end of the file");
        const QByteArray type = png.mid(at + 4, 4);
        if (type == "IDAT" || type == "IEND") {
            insert = at;
            break;
        }
        at += 12 + qsizetype(length);
    }
    if (insert < 0)
        return damaged("it has no image data");

    QByteArray out = png.left(insert);
    for (const PngTextChunk& chunk : chunks) {
        const QByteArray keyword = chunk.keyword.toLatin1();
        if (keyword.isEmpty() || keyword.size() > 79 || keyword.contains('\0'))
            return makeError(ErrorCode::InvalidArgument, "a PNG text keyword must be 1 to 79 Latin-1 characters");
        bool latin1 = true;
        for (QChar c : chunk.text)
            latin1 = latin1 && c.unicode() < 256;
        QByteArray body = keyword + '\0';
        QByteArray type;
        if (latin1) {
            type = "tEXt";
            body += chunk.text.toLatin1();
        } else {
            type = "iTXt";
            body += QByteArray("\0\0\0\0", 4); // uncompressed, method 0, no language, no translation
            body += chunk.text.toUtf8();
        }
        appendBigEndian(out, quint32(body.size()));
        const QByteArray typed = type + body;
        out += typed;
        appendBigEndian(out, crc32(typed.constData(), typed.size()) ^ 0xffffffffu);
    }
    out += png.mid(insert);
    return out;
}

} // namespace atelier::io
