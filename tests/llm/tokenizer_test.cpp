#include "tst_llm.h"

#include "io/gguf.h"
#include "llm/tokenizer.h"
#include "test_device.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace atelier;
using namespace atelier::llm;

namespace {

// A tiny SentencePiece vocabulary: merges "a"+"b" (score -1) beat "b"+"c" (score -2).
Vocab tinyVocab()
{
    Vocab v;
    v.kind = TokenizerKind::SentencePiece;
    auto add = [&v](std::string text, float score, TokenType type) {
        v.ids.emplace(text, int32_t(v.tokens.size()));
        v.tokens.push_back(std::move(text));
        v.scores.push_back(score);
        v.types.push_back(type);
    };
    add("<unk>", 0, TokenType::Unknown);
    add("<s>", 0, TokenType::Control);
    add("</s>", 0, TokenType::Control);
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        add(name, 0, TokenType::Byte);
    }
    add("a", -5, TokenType::Normal);       // 259
    add("b", -5, TokenType::Normal);       // 260
    add("c", -5, TokenType::Normal);       // 261
    add("ab", -1, TokenType::Normal);      // 262
    add("bc", -2, TokenType::Normal);      // 263
    add("\xE2\x96\x81", -3, TokenType::Normal); // 264: a space
    add("\xE2\x96\x81" "ab", -0.5f, TokenType::Normal); // 265
    add("<turn>", 0, TokenType::Control);  // 266
    add("\n\n", 0, TokenType::UserDefined); // 267
    v.bos = 1;
    v.eos = 2;
    v.unk = 0;
    v.addBos = true;
    v.endOfGeneration = {2, 266};
    return v;
}

std::vector<int32_t> ids(std::initializer_list<int32_t> l) { return l; }

} // namespace

void TestLlm::sentencePieceMergesByScore()
{
    auto t = Tokenizer::create(tinyVocab());
    QVERIFY(t.ok());
    QCOMPARE(t.value()->encode("abc", false, false), ids({262, 261})); // ab + c, not a + bc
    QCOMPARE(t.value()->encode("bc", true, false), ids({1, 263}));
    QCOMPARE(t.value()->encode(" ab", false, false), ids({265}));
    QCOMPARE(t.value()->encode("é", false, false), ids({3 + 0xC3, 3 + 0xA9})); // byte fallback
    QCOMPARE(t.value()->decode({265, 3 + 0xC3, 3 + 0xA9}), std::string(" abé"));
}

void TestLlm::specialTokensSplitFirst()
{
    auto t = Tokenizer::create(tinyVocab());
    QVERIFY(t.ok());
    // Control tokens only when parsing specials; user-defined ones always.
    QCOMPARE(t.value()->encode("a<turn>b", false, true), ids({259, 266, 260}));
    QCOMPARE(t.value()->encode("a\n\nb", false, false), ids({259, 267, 260}));
    const auto literal = t.value()->encode("<turn>", false, false);
    QVERIFY(std::find(literal.begin(), literal.end(), 266) == literal.end());
    QCOMPARE(t.value()->piece(266), std::string());
    QCOMPARE(t.value()->piece(266, true), std::string("<turn>"));
    QVERIFY(t.value()->isEndOfGeneration(266));
}

void TestLlm::utf8StreamHoldsSplitCharacters()
{
    Utf8Stream s;
    const std::string emoji = "\xF0\x9F\x98\x80"; // U+1F600 in four bytes
    QCOMPARE(s.push("hi " + emoji.substr(0, 1)), std::string("hi "));
    QCOMPARE(s.push(emoji.substr(1, 2)), std::string());
    QCOMPARE(s.push(emoji.substr(3) + "!"), emoji + "!");
    QCOMPARE(s.push("\xFF" "a"), std::string("\xEF\xBF\xBD" "a"));   // never valid
    QCOMPARE(s.push("\xE4\xB8" "b"), std::string("\xEF\xBF\xBD" "b")); // cut short
    QCOMPARE(s.push("\xE4"), std::string());
    QCOMPARE(s.flush(), std::string("\xEF\xBF\xBD"));
}

void TestLlm::gemmaTokensMatchLlamaCpp_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("addSpecial");
    QTest::addColumn<bool>("parseSpecial");
    QTest::addColumn<QList<int>>("expected");
    QFile file(QFINDTESTDATA("golden/gemma3_tokens.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonArray cases = QJsonDocument::fromJson(file.readAll()).object().value("cases").toArray();
    QVERIFY(cases.size() > 10);
    for (const QJsonValue& c : cases) {
        const QJsonObject o = c.toObject();
        QList<int> expected;
        for (const QJsonValue& id : o.value("ids").toArray())
            expected << id.toInt();
        QTest::newRow(o.value("name").toString().toUtf8()) << o.value("text").toString()
                                                           << o.value("add_special").toBool()
                                                           << o.value("parse_special").toBool() << expected;
    }
}

void TestLlm::gemmaTokensMatchLlamaCpp()
{
    QFETCH(QString, text);
    QFETCH(bool, addSpecial);
    QFETCH(bool, parseSpecial);
    QFETCH(QList<int>, expected);
    static std::unique_ptr<Tokenizer> tokenizer = [] {
        const std::string path = test::installedModel("gemma-3-270m-q4_k_m.gguf");
        if (path.empty())
            return std::unique_ptr<Tokenizer>();
        auto file = io::GgufFile::open(path);
        auto vocab = file.ok() ? Vocab::fromGguf(*file.value()) : Result<Vocab>(file.error());
        auto t = vocab.ok() ? Tokenizer::create(std::move(vocab).value()) : Result<std::unique_ptr<Tokenizer>>(vocab.error());
        if (!t)
            qWarning("%s", t.error().message.c_str());
        return t.ok() ? std::move(t).value() : std::unique_ptr<Tokenizer>();
    }();
    if (!tokenizer) {
        if (test::modelsRequired())
            QFAIL("the default model is not installed (installer/models.sh)");
        QSKIP("the default model is not installed (installer/models.sh)");
    }
    const std::string utf8 = text.toStdString();
    const auto got = tokenizer->encode(utf8, addSpecial, parseSpecial);
    QCOMPARE(QList<int>(got.begin(), got.end()), expected);
    // Decoding gives the text back (control tokens rendered when they were parsed).
    std::vector<int32_t> body(got.begin() + (addSpecial && tokenizer->vocab().addBos ? 1 : 0), got.end());
    QCOMPARE(tokenizer->decode(body, parseSpecial), utf8);
}
