#include "tst_diffusion_text.h"

#include "test_result.h"

#include <QJsonArray>
#include <QTemporaryDir>

#include <string>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

QList<int> intsOf(const QJsonValue& value)
{
    QList<int> out;
    for (const QJsonValue& v : value.toArray())
        out << v.toInt();
    return out;
}

QList<int> listOf(const std::vector<int32_t>& ids) { return QList<int>(ids.begin(), ids.end()); }

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

} // namespace

void TestDiffusionText::builtInVocabulary()
{
    const ClipTokenizer& t = tokenizer();
    QCOMPARE(t.token(0), std::string("!"));
    QCOMPARE(t.token(255), std::string("\xC5\x83")); // U+0143, the last byte outside the printable ones
    QCOMPARE(t.token(256), std::string("!</w>"));
    QCOMPARE(t.token(512), std::string("in")); // the first merge, "i n"
    QCOMPARE(t.token(ClipTokenizer::kStartOfText), std::string("<|startoftext|>"));
    QCOMPARE(t.token(ClipTokenizer::kEndOfText), std::string("<|endoftext|>"));
    QVERIFY(t.token(ClipTokenizer::kVocabSize).empty());
    QVERIFY(t.token(-1).empty());
    QCOMPARE(t.comma(), 267);
    QCOMPARE(t.find("cat</w>"), 2368);
    QCOMPARE(t.find("no such token"), -1);
}

void TestDiffusionText::tokensMatchHuggingFace_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<int>>("expected");
    const QJsonArray cases = mGolden.value("tokens").toArray();
    QVERIFY(cases.size() >= 30);
    for (const QJsonValue& c : cases) {
        const QJsonObject o = c.toObject();
        QTest::newRow(o.value("name").toString().toUtf8()) << o.value("text").toString() << intsOf(o.value("ids"));
    }
}

void TestDiffusionText::tokensMatchHuggingFace()
{
    QFETCH(QString, text);
    QFETCH(QList<int>, expected);
    QCOMPARE(listOf(tokenizer().encode(text)), expected);
}

void TestDiffusionText::mergesFileLoads()
{
    // A Hugging Face merges.txt: "#version: 0.2", the merges CLIP uses, CRLF line ends.
    const std::string_view builtIn = builtInClipMerges();
    QByteArray merges = "#version: 0.2\r\n";
    merges += QByteArray(builtIn.data() + builtIn.find('\n') + 1, qsizetype(builtIn.size() - builtIn.find('\n') - 1))
                  .replace("\n", "\r\n");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("merges.txt");
    QVERIFY(writeFile(path, merges));
    ASSIGN_OR_FAIL(ClipTokenizer fromFile, ClipTokenizer::fromFile(path));
    const QString prompt = QStringLiteral("A (masterpiece:1.2), café, 日本, 🐱 BREAK 3.14");
    QCOMPARE(listOf(fromFile.encode(prompt)), listOf(tokenizer().encode(prompt)));
}

void TestDiffusionText::badMergesAreErrors()
{
    const std::string_view builtIn = builtInClipMerges();
    auto errorOf = [](std::string_view text) {
        const auto t = ClipTokenizer::fromMerges(text);
        return t.ok() ? std::string("no error") : std::string(errorCodeName(t.error().code)) + ": " + t.error().message;
    };
    const std::string format = std::string(errorCodeName(ErrorCode::Format)) + ": CLIP merges: ";
    std::string error = errorOf("");
    QVERIFY2(error == format + "0 merges, expected 48894", error.c_str());
    error = errorOf(builtIn.substr(0, builtIn.size() / 2));
    QVERIFY2(error.starts_with(format) && error.ends_with(" merges, expected 48894"), error.c_str());
    std::string broken(builtIn);
    broken.replace(broken.find("\ni n\n"), 5, "\nin\n");
    error = errorOf(broken);
    QVERIFY2(error == format + "merge 1 'in' is not two symbols separated by a space", error.c_str());
    broken = std::string(builtIn);
    broken.insert(broken.find('\n', 100) + 1, "\n");
    error = errorOf(broken);
    QVERIFY2(error.find("'' is not two symbols") != std::string::npos, error.c_str());

    QTemporaryDir dir;
    const QString gz = dir.filePath("vocab.txt.gz");
    QVERIFY(writeFile(gz, QByteArray("\x1f\x8b\x08\x00", 4)));
    const auto packed = ClipTokenizer::fromFile(gz);
    QVERIFY(!packed.ok());
    QCOMPARE(packed.error().code, ErrorCode::Unsupported);
    const auto missing = ClipTokenizer::fromFile(dir.filePath("absent.txt"));
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, ErrorCode::Io);
}
