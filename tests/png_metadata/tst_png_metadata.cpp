// Reading and writing what made a picture: A1111's "parameters" text and the PNG chunks it lives in.

#include "diffusion/generation_parameters.h"
#include "io/png_text.h"
#include "test_result.h"

#include <QtGui>
#include <QtTest>

#include <random>

using namespace atelier;
using diffusion::GenerationParameters;

namespace {

QJsonObject golden()
{
    QFile f(QStringLiteral(ATELIER_PNG_FIXTURES "/golden.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QByteArray fixture(const QString& name)
{
    QFile f(QStringLiteral(ATELIER_PNG_FIXTURES "/fixtures/") + name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Our reading of a key, as the text A1111's parser would hold for it.
QString valueOf(const GenerationParameters& p, const QString& key)
{
    if (key == "Steps") return QString::number(p.steps);
    if (key == "Sampler") return p.sampler;
    if (key == "Schedule type") return p.scheduleType;
    if (key == "CFG scale") return QString::number(p.cfgScale, 'g', 10);
    if (key == "Seed") return QString::number(p.seed);
    if (key == "Size") return QStringLiteral("%1x%2").arg(p.width).arg(p.height);
    if (key == "Model hash") return p.modelHash;
    if (key == "Model") return p.model;
    if (key == "Denoising strength") return p.denoisingStrength ? QString::number(*p.denoisingStrength, 'g', 10) : QString();
    if (key == "Clip skip") return QString::number(p.clipSkip);
    if (key == "Mask blur") return p.maskBlur ? QString::number(*p.maskBlur) : QString();
    if (key == "Version") return p.version;
    for (const auto& [k, v] : p.extras) {
        if (k == key)
            return v;
    }
    return QStringLiteral("<missing>");
}

QByteArray smallPng()
{
    QImage image(16, 8, QImage::Format_RGB32);
    image.fill(QColor(10, 200, 30));
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes;
}

// `png` with a raw chunk of `type` holding `data` right after IHDR (readers check no CRC here).
QByteArray withChunk(const QByteArray& png, const QByteArray& type, const QByteArray& data)
{
    QByteArray chunk;
    const quint32 length = quint32(data.size());
    chunk.append(char(length >> 24)).append(char(length >> 16)).append(char(length >> 8)).append(char(length));
    chunk += type + data + QByteArray(4, '\0');
    return png.left(33) + chunk + png.mid(33); // 8 bytes of signature, 25 of IHDR
}

QByteArray zlibOf(const QByteArray& text) { return qCompress(text, 9).mid(4); } // without Qt's size prefix

QString errorOf(const QByteArray& png)
{
    auto read = io::readPngText(png);
    return read.ok() ? QString() : QString::fromStdString(read.error().message);
}

} // namespace

class TestPngMetadata : public QObject {
    Q_OBJECT

private slots:
    void parsesAsA1111Does_data();
    void parsesAsA1111Does();
    void formatsAsA1111Does();
    void quotesValuesThatNeedIt();
    void readsOtherToolsChunks_data();
    void readsOtherToolsChunks();
    void writtenChunksRoundTrip();
    void damagedFilesAreErrors();
    void mutatedFilesNeverCrash();
    void oversizedTextIsRefused();
};

void TestPngMetadata::parsesAsA1111Does_data()
{
    QTest::addColumn<QJsonObject>("expected");
    const QJsonArray parses = golden().value("parses").toArray();
    QVERIFY(!parses.isEmpty());
    for (int i = 0; i < parses.size(); ++i)
        QTest::addRow("text %d", i) << parses[i].toObject();
}

void TestPngMetadata::parsesAsA1111Does()
{
    QFETCH(QJsonObject, expected);
    ASSIGN_OR_FAIL(const GenerationParameters p, diffusion::parseA1111(expected.value("text").toString()));
    QCOMPARE(p.prompt, expected.value("prompt").toString());
    QCOMPARE(p.negativePrompt, expected.value("negative").toString());
    for (const QJsonValue& pair : expected.value("pairs").toArray()) {
        const QString key = pair.toArray().at(0).toString();
        const QString value = pair.toArray().at(1).toString();
        QCOMPARE(valueOf(p, key), value);
    }
}

void TestPngMetadata::formatsAsA1111Does()
{
    // Texts A1111 wrote come back out character for character.
    const QJsonArray parses = golden().value("parses").toArray();
    for (int i : {0, 1, 2, 5}) {
        const QString text = parses[i].toObject().value("text").toString();
        ASSIGN_OR_FAIL(const GenerationParameters p, diffusion::parseA1111(text));
        QCOMPARE(diffusion::formatA1111(p), text);
    }
    GenerationParameters p;
    p.prompt = "a lighthouse at dusk";
    p.seed = 123;
    p.model = "atelier-tiny";
    p.modelHash = "0123456789";
    p.version = "Atelier 0.1.0";
    QCOMPARE(diffusion::formatA1111(p),
             QStringLiteral("a lighthouse at dusk\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 123, Size: 512x512, "
                            "Model hash: 0123456789, Model: atelier-tiny, Version: Atelier 0.1.0"));
    ASSIGN_OR_FAIL(const GenerationParameters back, diffusion::parseA1111(diffusion::formatA1111(p)));
    QCOMPARE(back, p);
}

void TestPngMetadata::quotesValuesThatNeedIt()
{
    GenerationParameters p;
    p.prompt = "x";
    p.extras = {{"Lora hashes", "a: 1, b: 2"}, {"Note", "line\nbreak \"quoted\""}, {"Plain", "value"}};
    const QString text = diffusion::formatA1111(p);
    QVERIFY(text.contains(QStringLiteral("Lora hashes: \"a: 1, b: 2\"")));
    QVERIFY(text.contains(QStringLiteral("Note: \"line\\nbreak \\\"quoted\\\"\"")));
    QVERIFY(text.contains(QStringLiteral("Plain: value")));
    ASSIGN_OR_FAIL(const GenerationParameters back, diffusion::parseA1111(text));
    QCOMPARE(back.extras, p.extras);
}

void TestPngMetadata::readsOtherToolsChunks_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QJsonArray>("chunks");
    const QJsonObject files = golden().value("files").toObject();
    for (auto it = files.begin(); it != files.end(); ++it)
        QTest::newRow(qPrintable(it.key())) << it.key() << it.value().toArray();
}

void TestPngMetadata::readsOtherToolsChunks()
{
    QFETCH(QString, file);
    QFETCH(QJsonArray, chunks);
    ASSIGN_OR_FAIL(const QList<io::PngTextChunk> read, io::readPngText(fixture(file)));
    QCOMPARE(read.size(), chunks.size());
    for (int i = 0; i < chunks.size(); ++i) {
        QCOMPARE(read[i].keyword, chunks[i].toArray().at(0).toString());
        QCOMPARE(read[i].text, chunks[i].toArray().at(1).toString());
    }
}

void TestPngMetadata::writtenChunksRoundTrip()
{
    const QList<io::PngTextChunk> chunks{
        {"parameters", "a cat\nNegative prompt: dog\nSteps: 4, Sampler: Euler, CFG scale: 1, Seed: 2, Size: 64x64"},
        {"atelier", "{\"prompt\": \"東京 — ü\"}"},
    };
    ASSIGN_OR_FAIL(const QByteArray png, io::addPngText(smallPng(), chunks));
    ASSIGN_OR_FAIL(const QList<io::PngTextChunk> read, io::readPngText(png));
    QCOMPARE(read, chunks);
    // Still a valid PNG (libpng checks every CRC) with the same pixels.
    QImage image;
    QVERIFY(image.loadFromData(png, "PNG"));
    QCOMPARE(image.size(), QSize(16, 8));
    QCOMPARE(image.pixelColor(3, 3), QColor(10, 200, 30));
    QCOMPARE(image.text("parameters"), chunks[0].text); // Latin-1 text went into tEXt
}

void TestPngMetadata::damagedFilesAreErrors()
{
    QVERIFY(!io::readPngText(fixture("truncated.png")).ok());
    QVERIFY(!io::readPngText(QByteArray("GIF89a")).ok());
    QVERIFY(!io::readPngText(QByteArray()).ok());
    QVERIFY(!io::addPngText(QByteArray("nope"), {{"k", "v"}}).ok());
    QVERIFY(!io::addPngText(smallPng(), {{"", "v"}}).ok());
    QVERIFY(!io::addPngText(smallPng(), {{QString(80, 'k'), "v"}}).ok());
}

void TestPngMetadata::mutatedFilesNeverCrash()
{
    std::mt19937 rng(7);
    int parsed = 0;
    for (const char* name : {"pil_text.png", "pil_itxt_ztxt.png", "utf8_in_text.png"}) {
        const QByteArray original = fixture(name);
        QVERIFY(!original.isEmpty());
        for (int round = 0; round < 3000; ++round) {
            QByteArray bytes = original;
            const int edits = 1 + int(rng() % 4);
            for (int e = 0; e < edits; ++e) {
                const qsizetype at = qsizetype(rng() % quint32(bytes.size()));
                switch (rng() % 3) {
                case 0: bytes[at] = char(rng()); break;
                case 1: bytes.truncate(at); break;
                default: bytes.insert(at, char(rng())); break;
                }
                if (bytes.isEmpty())
                    break;
            }
            parsed += io::readPngText(bytes).ok() ? 1 : 0;
        }
    }
    QVERIFY(parsed > 0); // some mutations leave the text chunks readable
}

// Issue 18: a 100 MB `parameters` chunk took 1.65 GB to import. Every kind of text chunk holds at
// most io::kMaxPngTextBytes of text, and a compressed one cannot inflate a bomb past it.
void TestPngMetadata::oversizedTextIsRefused()
{
    const QByteArray png = smallPng();
    const QByteArray atLimit(io::kMaxPngTextBytes, 'a');
    const QByteArray overLimit(io::kMaxPngTextBytes + 1, 'a');
    const QByteArray bomb(32 * 1024 * 1024, 'a'); // 32 MiB of text in about 32 KiB of zlib
    const QByteArray bombZlib = zlibOf(bomb);
    QVERIFY(bombZlib.size() < io::kMaxPngTextBytes);

    // At the limit: read, whichever way it is stored.
    ASSIGN_OR_FAIL(const auto plain, io::readPngText(withChunk(png, "tEXt", "parameters" + QByteArray(1, '\0') + atLimit)));
    QCOMPARE(plain.first().text.size(), io::kMaxPngTextBytes);
    ASSIGN_OR_FAIL(const auto zipped,
                   io::readPngText(withChunk(png, "zTXt", "parameters" + QByteArray(2, '\0') + zlibOf(atLimit))));
    QCOMPARE(zipped.first().text.size(), io::kMaxPngTextBytes);

    const struct {
        const char* name;
        QByteArray type;
        QByteArray data;
        const char* says;
    } cases[] = {
        {"tEXt", "tEXt", "parameters" + QByteArray(1, '\0') + overLimit, "uncompressed 65537 bytes"},
        {"iTXt", "iTXt", "parameters" + QByteArray(5, '\0') + overLimit, "uncompressed 65537 bytes"},
        {"zTXt", "zTXt", "parameters" + QByteArray(2, '\0') + zlibOf(overLimit), "inflated"},
        {"zTXt bomb", "zTXt", "parameters" + QByteArray(2, '\0') + bombZlib, "inflated"},
        {"iTXt bomb", "iTXt", "parameters" + QByteArray(1, '\0') + QByteArray(1, '\1') + QByteArray(3, '\0') + bombZlib,
         "inflated"},
        {"compressed too large", "zTXt", "parameters" + QByteArray(2, '\0') + QByteArray(io::kMaxPngTextBytes + 1, 'z'),
         "compressed 65537 bytes"},
    };
    for (const auto& c : cases) {
        const QString message = errorOf(withChunk(png, c.type, c.data));
        QVERIFY2(message.contains(QStringLiteral("\"parameters\" text chunk is too large")) &&
                     message.contains(QLatin1String(c.says)) && message.contains(QStringLiteral("at most 65536 bytes")),
                 qPrintable(QStringLiteral("%1: %2").arg(c.name, message)));
    }

    // The issue's 100 MB chunk: refused without a copy of it (the chunk is read where it lies).
    const QByteArray issue = withChunk(png, "tEXt", "parameters" + QByteArray(1, '\0') + QByteArray(100 * 1000 * 1000, 'p'));
    QVERIFY(errorOf(issue).contains(QStringLiteral("uncompressed 100000000 bytes")));
}

QTEST_GUILESS_MAIN(TestPngMetadata)
#include "tst_png_metadata.moc"
