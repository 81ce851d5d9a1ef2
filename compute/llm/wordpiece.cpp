// WordPiece ("bert" vocabularies) as llama.cpp tokenizes it (llm_tokenizer_wpm_session): BERT's
// normalizer (NFD, accents dropped, lower case), words split at whitespace and around punctuation,
// ASCII symbols and CJK ideographs, then each word as the longest vocabulary pieces from its start,
// the first piece with U+2581 before it (the GGUF converter's stand-in for BERT's word start, with
// "##" removed from continuations). A word no piece sequence covers is one [UNK]. Unicode
// properties come from QtCore.

#include "llm/tokenizer.h"

#include <QList>
#include <QString>

namespace atelier::llm {

namespace {

bool isChinese(char32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool isControl(char32_t c)
{
    switch (QChar::category(c)) {
    case QChar::Other_Control:
    case QChar::Other_Format:
    case QChar::Other_Surrogate:
    case QChar::Other_PrivateUse:
    case QChar::Other_NotAssigned: return true;
    default: return false;
    }
}

bool isMark(char32_t c)
{
    const auto k = QChar::category(c);
    return k == QChar::Mark_NonSpacing || k == QChar::Mark_SpacingCombining || k == QChar::Mark_Enclosing;
}

bool isPunctuation(char32_t c)
{
    const auto k = QChar::category(c);
    return k >= QChar::Punctuation_Connector && k <= QChar::Punctuation_Other;
}

bool isSymbol(char32_t c)
{
    const auto k = QChar::category(c);
    return k >= QChar::Symbol_Math && k <= QChar::Symbol_Other;
}

std::string utf8Of(char32_t c)
{
    return QString::fromUcs4(&c, 1).toStdString();
}

// BERT's normalizer and word split.
std::vector<std::string> words(std::string_view text, bool lowercase, bool stripAccents)
{
    QString s = QString::fromUtf8(text.data(), qsizetype(text.size()));
    if (stripAccents)
        s = s.normalized(QString::NormalizationForm_D);
    std::vector<std::string> out(1);
    for (const char32_t c : s.toUcs4()) {
        if (QChar::isSpace(c)) {
            if (!out.back().empty())
                out.emplace_back();
            continue;
        }
        if (c == 0 || c == 0xFFFD || isControl(c) || (stripAccents && isMark(c)))
            continue;
        const std::string piece = utf8Of(lowercase ? QChar::toLower(c) : c);
        if (isPunctuation(c) || (c < 0x7F && isSymbol(c)) || isChinese(c)) {
            if (!out.back().empty())
                out.emplace_back();
            out.back() = piece; // a word of its own
            out.emplace_back();
        } else {
            out.back() += piece;
        }
    }
    if (out.back().empty())
        out.pop_back();
    return out;
}

} // namespace

void Tokenizer::encodeWordPiece(std::string_view text, std::vector<int32_t>& out) const
{
    for (const std::string& word : words(text, mVocab.lowercase, mVocab.stripAccents)) {
        const std::string marked = "\xE2\x96\x81" + word;
        const size_t start = out.size();
        for (size_t i = 0; i < marked.size();) {
            size_t end = std::min(marked.size(), i + mLongestToken);
            int32_t id = -1;
            for (; end > i; --end)
                if ((id = mVocab.find(std::string_view(marked).substr(i, end - i))) >= 0)
                    break;
            if (id < 0) {
                out.resize(start); // the whole word becomes [UNK]
                break;
            }
            out.push_back(id);
            i = end;
        }
        if (out.size() == start)
            out.push_back(mVocab.unk);
    }
}

} // namespace atelier::llm
