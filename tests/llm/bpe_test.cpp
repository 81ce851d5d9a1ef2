#include "tst_llm.h"

#include "io/gguf.h"
#include "llm/tokenizer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace atelier;
using namespace atelier::llm;

namespace {

Result<std::unique_ptr<Tokenizer>> loadFixture(const QString& path)
{
    auto file = io::GgufFile::open(path.toStdString());
    if (!file)
        return file.error();
    auto vocab = Vocab::fromGguf(*file.value());
    if (!vocab)
        return vocab.error();
    return Tokenizer::create(std::move(vocab).value());
}

} // namespace

void TestLlm::bpeTokensMatchHuggingFace_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("addSpecial");
    QTest::addColumn<bool>("parseSpecial");
    QTest::addColumn<QList<int>>("expected");
    for (const char* name : {"qwen2", "llama3"}) {
        QFile file(QFINDTESTDATA(QString("golden/bpe_%1_tokens.json").arg(name)));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject golden = QJsonDocument::fromJson(file.readAll()).object();
        const QString fixture = QFINDTESTDATA(golden.value("tokenizer").toString());
        QVERIFY(!fixture.isEmpty());
        const QJsonArray cases = golden.value("cases").toArray();
        QVERIFY(cases.size() > 10);
        for (const QJsonValue& c : cases) {
            const QJsonObject o = c.toObject();
            QList<int> expected;
            for (const QJsonValue& id : o.value("ids").toArray())
                expected << id.toInt();
            QTest::newRow(QString("%1: %2").arg(name, o.value("name").toString()).toUtf8())
                << fixture << o.value("text").toString() << o.value("add_special").toBool()
                << o.value("parse_special").toBool() << expected;
        }
    }
}

void TestLlm::bpeTokensMatchHuggingFace()
{
    QFETCH(QString, fixture);
    QFETCH(QString, text);
    QFETCH(bool, addSpecial);
    QFETCH(bool, parseSpecial);
    QFETCH(QList<int>, expected);
    auto tokenizer = loadFixture(fixture);
    QVERIFY2(tokenizer.ok(), tokenizer.ok() ? "" : tokenizer.error().message.c_str());
    const Tokenizer& t = *tokenizer.value();
    const std::string utf8 = text.toStdString();
    const auto got = t.encode(utf8, addSpecial, parseSpecial);
    QCOMPARE(QList<int>(got.begin(), got.end()), expected);
    // Decoding gives the text back (control tokens rendered when they were parsed).
    std::vector<int32_t> body(got.begin() + (addSpecial && t.vocab().addBos ? 1 : 0), got.end());
    QCOMPARE(t.decode(body, parseSpecial), utf8);
}

void TestLlm::bpeBosFollowsTheVocab()
{
    auto qwen = loadFixture(QFINDTESTDATA("fixtures/bpe_qwen2.gguf"));
    auto llama = loadFixture(QFINDTESTDATA("fixtures/bpe_llama3.gguf"));
    QVERIFY(qwen.ok() && llama.ok());
    QVERIFY(!qwen.value()->vocab().addBos);
    QVERIFY(llama.value()->vocab().addBos);
    QCOMPARE(llama.value()->encode("hi", true, false).front(), llama.value()->vocab().bos);
    QVERIFY(qwen.value()->isEndOfGeneration(qwen.value()->vocab().find("<|im_end|>")));
    QVERIFY(llama.value()->isEndOfGeneration(llama.value()->vocab().find("<|eot_id|>")));
    // Specials are literal text unless parsed, and control pieces are empty unless asked for.
    const int32_t imEnd = qwen.value()->vocab().find("<|im_end|>");
    const auto literal = qwen.value()->encode("<|im_end|>", false, false);
    QVERIFY(std::find(literal.begin(), literal.end(), imEnd) == literal.end());
    QCOMPARE(qwen.value()->decode(literal), std::string("<|im_end|>"));
    QCOMPARE(qwen.value()->piece(imEnd), std::string());
    QCOMPARE(qwen.value()->piece(imEnd, true), std::string("<|im_end|>"));
}

void TestLlm::bpeRoundTripsArbitraryBytes()
{
    auto t = loadFixture(QFINDTESTDATA("fixtures/bpe_qwen2.gguf"));
    QVERIFY(t.ok());
    // Every byte, invalid UTF-8 included, survives encode and decode.
    std::string bytes;
    for (int b = 0; b < 256; ++b)
        bytes += char(b);
    bytes += "\xE4\xB8 cut short \xF0\x9F\x98 and \xC0\xAF overlong";
    QCOMPARE(t.value()->decode(t.value()->encode(bytes, false, false)), bytes);
}

void TestLlm::bpeWithoutMergesIsAnError()
{
    Vocab v;
    v.kind = TokenizerKind::BytePairEncoding;
    v.pre = "qwen2";
    for (std::string text : {"a", "b", "ab"}) {
        v.ids.emplace(text, int32_t(v.tokens.size()));
        v.tokens.push_back(text);
        v.scores.push_back(0);
        v.types.push_back(TokenType::Normal);
    }
    auto t = Tokenizer::create(v);
    QVERIFY(!t.ok());
    QCOMPARE(t.error().code, ErrorCode::Format);
    QVERIFY(t.error().message.find("merges") != std::string::npos);

    v.merges = {"a b"};
    auto merged = Tokenizer::create(v);
    QVERIFY(merged.ok());
    QCOMPARE(merged.value()->encode("ab", false, false), std::vector<int32_t>{2});
}
