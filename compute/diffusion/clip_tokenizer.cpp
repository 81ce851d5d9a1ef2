// CLIP's vocabulary from its merges file and the BPE over each word (the merge loop is llm's).

#include "diffusion/clip_tokenizer.h"

#include "llm/pair_merge.h"

#include <QFile>

#include <array>
#include <limits>

namespace atelier::diffusion {

namespace {

constexpr std::string_view kEndOfWord = "</w>";
constexpr qint64 kMaxMergesFileBytes = 64 << 20; // the full OpenAI file is 3.2 MB

std::string utf8(char32_t c)
{
    std::string s;
    if (c < 0x80) {
        s += char(c);
    } else {
        s += char(0xC0 | (c >> 6));
        s += char(0x80 | (c & 0x3F));
    }
    return s;
}

// GPT-2's bytes_to_unicode in CLIP's id order: ids 0-187 are the printable Latin-1 bytes as
// themselves, ids 188-255 the other bytes (controls, space, 0x7F-0xA0, 0xAD) as U+0100 onwards.
struct ByteAlphabet {
    std::array<std::string, 256> byText; // byte -> its character, UTF-8
    std::array<uint8_t, 256> byId;       // token id 0-255 -> byte
    ByteAlphabet()
    {
        int id = 0;
        for (int b = 0; b < 256; ++b) {
            if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE) {
                byText[size_t(b)] = utf8(char32_t(b));
                byId[size_t(id++)] = uint8_t(b);
            }
        }
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            if (byText[size_t(b)].empty()) {
                byText[size_t(b)] = utf8(next++);
                byId[size_t(id++)] = uint8_t(b);
            }
        }
    }
};

const ByteAlphabet& byteAlphabet()
{
    static const ByteAlphabet alphabet;
    return alphabet;
}

} // namespace

Result<ClipTokenizer> ClipTokenizer::fromMerges(std::string_view text)
{
    const ByteAlphabet& alphabet = byteAlphabet();
    ClipTokenizer t;
    t.mTokens.reserve(kVocabSize);
    for (int id = 0; id < 256; ++id)
        t.mTokens.push_back(alphabet.byText[alphabet.byId[size_t(id)]]);
    for (int id = 0; id < 256; ++id)
        t.mTokens.push_back(t.mTokens[size_t(id)] + std::string(kEndOfWord));

    size_t at = 0;
    auto nextLine = [&] {
        const size_t end = std::min(text.find('\n', at), text.size());
        std::string_view line = text.substr(at, end - at);
        at = end + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        return line;
    };
    const size_t firstEnd = std::min(text.find('\n'), text.size());
    if (text.substr(0, firstEnd).find("#version") != std::string_view::npos)
        nextLine(); // OpenAI's '"bpe_simple_vocab_16e6.txt#version: 0.2', Hugging Face's "#version: 0.2"
    t.mMergeRanks.reserve(kMergeCount);
    for (int32_t rank = 0; rank < kMergeCount; ++rank) {
        if (at >= text.size())
            return makeError(ErrorCode::Format, "CLIP merges: " + std::to_string(rank) + " merges, expected " +
                                                    std::to_string(kMergeCount));
        const std::string_view line = nextLine();
        const size_t space = line.find(' ');
        if (space == 0 || space == std::string_view::npos || space + 1 >= line.size() ||
            line.find(' ', space + 1) != std::string_view::npos)
            return makeError(ErrorCode::Format, "CLIP merges: merge " + std::to_string(rank + 1) + " '" +
                                                    std::string(line.substr(0, 80)) +
                                                    "' is not two symbols separated by a space");
        t.mMergeRanks.insert_or_assign(std::string(line), rank); // a repeated merge ranks last, as in CLIP
        std::string merged(line.substr(0, space));
        merged += line.substr(space + 1);
        t.mTokens.push_back(std::move(merged));
    }
    t.mTokens.emplace_back("<|startoftext|>");
    t.mTokens.emplace_back("<|endoftext|>");

    t.mIds.reserve(t.mTokens.size());
    for (size_t id = 0; id < t.mTokens.size(); ++id)
        t.mIds.insert_or_assign(t.mTokens[id], int32_t(id)); // a repeated token keeps its last id, as in CLIP
    t.mComma = t.find(",</w>");
    return t;
}

Result<ClipTokenizer> ClipTokenizer::fromFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, "CLIP merges: cannot read " + path.toStdString() + ": " +
                                            file.errorString().toStdString());
    if (file.size() > kMaxMergesFileBytes)
        return makeError(ErrorCode::Format, "CLIP merges: " + path.toStdString() + " is " +
                                                std::to_string(file.size()) + " bytes, too large for a merges file");
    const QByteArray bytes = file.readAll();
    if (bytes.startsWith("\x1f\x8b"))
        return makeError(ErrorCode::Unsupported, "CLIP merges: " + path.toStdString() +
                                                     " is gzip-compressed; decompress it first (gunzip)");
    return fromMerges(std::string_view(bytes.constData(), size_t(bytes.size())));
}

Result<ClipTokenizer> ClipTokenizer::builtIn()
{
    return fromMerges(builtInClipMerges());
}

const std::string& ClipTokenizer::token(int32_t id) const
{
    static const std::string none;
    return id >= 0 && size_t(id) < mTokens.size() ? mTokens[size_t(id)] : none;
}

int32_t ClipTokenizer::find(std::string_view token) const
{
    auto it = mIds.find(token);
    return it == mIds.end() ? -1 : it->second;
}

std::vector<int32_t> ClipTokenizer::encode(const QString& text) const
{
    // "<|startoftext|>" and "<|endoftext|>" written exactly are their ids, as Hugging Face's
    // added tokens; each stretch between them is normalized and tokenized on its own.
    std::vector<int32_t> ids;
    const QString specials[] = {QStringLiteral("<|startoftext|>"), QStringLiteral("<|endoftext|>")};
    for (qsizetype at = 0; at <= text.size();) {
        qsizetype next = text.size();
        int special = -1;
        for (int s = 0; s < 2; ++s) {
            const qsizetype found = text.indexOf(specials[s], at);
            if (found >= 0 && found < next) {
                next = found;
                special = s;
            }
        }
        for (const std::string& word : clipWords(normalizeClipText(text.mid(at, next - at))))
            encodeWord(word, ids);
        if (special < 0)
            break;
        ids.push_back(special == 0 ? kStartOfText : kEndOfText);
        at = next + specials[special].size();
    }
    return ids;
}

void ClipTokenizer::encodeWord(std::string_view word, std::vector<int32_t>& out) const
{
    const ByteAlphabet& alphabet = byteAlphabet();
    std::string text;
    for (unsigned char c : word)
        text += alphabet.byText[c];
    const size_t suffix = text.size();
    text += kEndOfWord;
    // "</w>" belongs to the last character from the start: its pairs merge before any other.
    std::string key;
    const auto rank = [&](std::string_view left, std::string_view right) -> std::optional<double> {
        if (right.data() >= text.data() + suffix)
            return std::numeric_limits<double>::infinity();
        key.assign(left);
        key += ' ';
        key.append(right);
        auto it = mMergeRanks.find(std::string_view(key));
        if (it == mMergeRanks.end())
            return std::nullopt;
        return -double(it->second); // lower ranks merge first
    };
    for (std::string_view piece : llm::mergePairs(text, rank)) {
        const int32_t id = find(piece);
        out.push_back(id >= 0 ? id : kEndOfText); // unreachable with a well-formed vocabulary
    }
}

} // namespace atelier::diffusion
