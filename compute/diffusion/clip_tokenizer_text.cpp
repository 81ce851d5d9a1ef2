// CLIP's normalizer and pre-tokenizer as Hugging Face's CLIPTokenizer runs them (tokenizers'
// Oniguruma regexes): NFC, \s+ -> " ", per-character lower case, then the word regex written out.

#include "diffusion/clip_tokenizer.h"

#include <QChar>
#include <QList>

namespace atelier::diffusion {

namespace {

enum class Class { Letter, Number, Space, Other };

// Unicode White_Space, which \s means in Oniguruma.
bool isWhiteSpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

Class classify(char32_t c)
{
    if (isWhiteSpace(c))
        return Class::Space;
    switch (QChar::category(c)) {
    case QChar::Letter_Uppercase:
    case QChar::Letter_Lowercase:
    case QChar::Letter_Titlecase:
    case QChar::Letter_Modifier:
    case QChar::Letter_Other:
        return Class::Letter;
    case QChar::Number_DecimalDigit:
    case QChar::Number_Letter:
    case QChar::Number_Other:
        return Class::Number;
    default:
        return Class::Other;
    }
}

void append(QString& out, char32_t c)
{
    if (QChar::requiresSurrogates(c)) {
        out += QChar(QChar::highSurrogate(c));
        out += QChar(QChar::lowSurrogate(c));
    } else {
        out += QChar(char16_t(c));
    }
}

void appendUtf8(std::string& s, char32_t c)
{
    if (c < 0x80) {
        s += char(c);
    } else if (c < 0x800) {
        s += char(0xC0 | (c >> 6));
        s += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        s += char(0xE0 | (c >> 12));
        s += char(0x80 | ((c >> 6) & 0x3F));
        s += char(0x80 | (c & 0x3F));
    } else {
        s += char(0xF0 | (c >> 18));
        s += char(0x80 | ((c >> 12) & 0x3F));
        s += char(0x80 | ((c >> 6) & 0x3F));
        s += char(0x80 | (c & 0x3F));
    }
}

bool startsWith(const QList<uint>& text, qsizetype at, std::u32string_view prefix)
{
    if (text.size() - at < qsizetype(prefix.size()))
        return false;
    for (size_t k = 0; k < prefix.size(); ++k) {
        if (text[at + qsizetype(k)] != prefix[k])
            return false;
    }
    return true;
}

// Length of the contraction ('s 't 're 've 'm 'll 'd) at `at`, or 0.
qsizetype contractionAt(const QList<uint>& text, qsizetype at)
{
    for (std::u32string_view c : {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"}) {
        if (startsWith(text, at, c))
            return qsizetype(c.size());
    }
    return 0;
}

} // namespace

QString normalizeClipText(const QString& text)
{
    const QList<uint> nfc = text.normalized(QString::NormalizationForm_C).toUcs4();
    QString out;
    out.reserve(nfc.size());
    bool space = false;
    for (const uint c : nfc) {
        if (isWhiteSpace(c)) {
            if (!space)
                out += QLatin1Char(' ');
            space = true;
            continue;
        }
        space = false;
        if (c == 0x130) // U+0130's full lower case is two characters (SpecialCasing.txt); Rust's too
            out += QStringLiteral(u"i\u0307");
        else
            append(out, QChar::toLower(char32_t(c)));
    }
    return out;
}

std::vector<std::string> clipWords(const QString& normalized)
{
    const QList<uint> text = normalized.toUcs4();
    std::vector<std::string> words;
    auto addWord = [&](qsizetype from, qsizetype to) {
        std::string word;
        for (qsizetype k = from; k < to; ++k)
            appendUtf8(word, text[k]);
        words.push_back(std::move(word));
    };
    for (qsizetype at = 0; at < text.size();) {
        qsizetype length = 0;
        for (std::u32string_view special : {U"<|startoftext|>", U"<|endoftext|>"}) {
            if (startsWith(text, at, special))
                length = qsizetype(special.size());
        }
        if (length > 0) {
            // The byte-level step's GPT-2 regex cuts the literal again: "<|", the name, "|>".
            addWord(at, at + 2);
            addWord(at + 2, at + length - 2);
            addWord(at + length - 2, at + length);
            at += length;
            continue;
        }
        if ((length = contractionAt(text, at)) > 0) {
            addWord(at, at + length);
            at += length;
            continue;
        }
        const Class first = classify(text[at]);
        qsizetype end = at + 1;
        if (first == Class::Space) {
            at = end;
            continue;
        }
        if (first != Class::Number) { // numbers are one character each
            while (end < text.size() && classify(text[end]) == first)
                ++end;
        }
        addWord(at, end);
        at = end;
    }
    return words;
}

} // namespace atelier::diffusion
