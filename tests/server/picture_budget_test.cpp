// The server's pictures within a memory budget (no device, no model): a picture's size comes from
// its header; one up to 4 megapixels is decoded whole, exactly as the window reads it; a larger
// one straight at the size the vision encoder's plan resizes it to, upright, planning the same
// tiles as the whole picture within a small difference; a request's decoded pixels over 48
// megapixels is a 400 naming the picture; and 16 pictures of 64 megapixels stay far below what
// decoding them whole took (3.7 GB in `atelier serve` for 16 RGB PNGs of 64 MP, 171 MB now).

#include "server/api_requests.h"
#include "server/request_pictures.h"

#include "llm/picture_plan.h"
#include "llm/vision_config.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QImageWriter>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QTest>

#include <cmath>
#include <cstring>

using namespace atelier;

namespace {

// A picture with something in every part of it: gradients, a disc and a bar near one corner.
QImage structuredPicture(int width, int height)
{
    QImage image(width, height, QImage::Format_RGB32);
    QPainter painter(&image);
    QLinearGradient gradient(0, 0, width, height);
    gradient.setColorAt(0, QColor(20, 90, 200));
    gradient.setColorAt(1, QColor(240, 200, 40));
    painter.fillRect(image.rect(), gradient);
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(200, 30, 30));
    painter.drawEllipse(QRectF(width * 0.1, height * 0.1, width * 0.3, height * 0.3));
    painter.fillRect(QRectF(width * 0.6, height * 0.7, width * 0.3, height * 0.1), QColor(30, 160, 60));
    return image;
}

// The picture as a file of `format`; `transformation` is written as the file's orientation (EXIF).
QByteArray encoded(const QImage& image, const char* format,
                   QImageIOHandler::Transformations transformation = QImageIOHandler::TransformationNone)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, format);
    if (QByteArray(format) != "png")
        writer.setQuality(90); // a PNG's "quality" is its compression, fast and large at 90
    writer.setTransformation(transformation);
    return writer.write(image) ? bytes : QByteArray();
}

QString dataUrl(const QByteArray& bytes, const char* type)
{
    return QStringLiteral("data:image/%1;base64,").arg(QLatin1String(type)) + QString::fromLatin1(bytes.toBase64());
}

// A picture read as the server reads one arriving; empty bytes when it was refused.
server::RequestPicture arriving(const QByteArray& bytes, const char* type)
{
    server::RequestPicture picture;
    picture.field = QStringLiteral("messages[0].content[1].image_url");
    if (auto refusal = server::readPictureUrl(QJsonValue(dataUrl(bytes, type)), picture)) {
        qWarning("refused: %s", qPrintable(refusal->message));
        picture.bytes.clear();
    }
    return picture;
}

// The whole picture, upright, as the window reads a file (ui/picture_rgb: over white, RGB888).
llm::RgbPicture wholePicture(const QByteArray& bytes)
{
    QBuffer buffer;
    buffer.setData(bytes);
    QImageReader reader(&buffer);
    reader.setAutoTransform(true);
    const QImage image = reader.read().convertToFormat(QImage::Format_RGB888);
    llm::RgbPicture picture{image.width(), image.height(), {}};
    picture.rgb.resize(size_t(image.width()) * size_t(image.height()) * 3);
    for (int y = 0; y < image.height(); ++y)
        std::memcpy(picture.rgb.data() + size_t(y) * size_t(image.width()) * 3, image.constScanLine(y), size_t(image.width()) * 3);
    return picture;
}

llm::VisionConfig gemma3(int imageSize)
{
    llm::VisionConfig c;
    c.projector = llm::Projector::Gemma3;
    c.imageSize = imageSize;
    c.patchSize = 14;
    return c;
}

llm::VisionConfig idefics3(int longestEdge)
{
    llm::VisionConfig c;
    c.projector = llm::Projector::Idefics3;
    c.imageSize = 512;
    c.patchSize = 16;
    c.longestEdge = longestEdge;
    return c;
}

// Mean and largest |a - b| over two plans' tiles, which must match in number and size.
std::pair<double, int> tileDifference(const llm::PicturePlan& a, const llm::PicturePlan& b)
{
    if (a.tiles.size() != b.tiles.size())
        return {1e9, 255};
    double sum = 0;
    size_t count = 0;
    int largest = 0;
    for (size_t t = 0; t < a.tiles.size(); ++t) {
        if (a.tiles[t].width != b.tiles[t].width || a.tiles[t].height != b.tiles[t].height)
            return {1e9, 255};
        for (size_t i = 0; i < a.tiles[t].rgb.size(); ++i) {
            const int d = std::abs(int(a.tiles[t].rgb[i]) - int(b.tiles[t].rgb[i]));
            sum += d;
            largest = std::max(largest, d);
        }
        count += a.tiles[t].rgb.size();
    }
    return {count ? sum / double(count) : 0, largest};
}

// This process's peak resident memory (VmHWM) in bytes; resetPeak() lowers it to what is resident now.
qint64 peakResident()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong() * 1024;
    return 0;
}

bool resetPeak()
{
    QFile refs(QStringLiteral("/proc/self/clear_refs"));
    return refs.open(QIODevice::WriteOnly) && refs.write("5") == 1;
}

QByteArray chatBody(const QJsonArray& pictureParts)
{
    QJsonArray content{QJsonObject{{"type", "text"}, {"text", "What is in the pictures?"}}};
    for (const QJsonValue& part : pictureParts)
        content.append(part);
    return QJsonDocument(QJsonObject{{"model", "m"}, {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", content}}}}})
        .toJson(QJsonDocument::Compact);
}

QJsonObject picturePart(const QString& url)
{
    return QJsonObject{{"type", "image_url"}, {"image_url", QJsonObject{{"url", url}}}};
}

} // namespace

class TestServerPictureBudget : public QObject {
    Q_OBJECT

private slots:
    void decodesAPictureUpTo4MegapixelsWhole_data();
    void decodesAPictureUpTo4MegapixelsWhole();
    void decodesALargePictureAtTheEncodersSize_data();
    void decodesALargePictureAtTheEncodersSize();
    void turnsARotatedPhotoUpright();
    void refusesARequestOverTheDecodedBudget();
    void countsLargePicturesAtTheEncodersSize();
    void largePicturesStayWithinBudget_data();
    void largePicturesStayWithinBudget();
};

void TestServerPictureBudget::decodesAPictureUpTo4MegapixelsWhole_data()
{
    QTest::addColumn<QByteArray>("format");
    QTest::addColumn<QSize>("size");
    QTest::newRow("PNG 1280x960") << QByteArray("png") << QSize(1280, 960);
    QTest::newRow("JPEG 1920x1080") << QByteArray("jpeg") << QSize(1920, 1080);
    QTest::newRow("PNG 2048x2048 (exactly 4 MP)") << QByteArray("png") << QSize(2048, 2048);
}

void TestServerPictureBudget::decodesAPictureUpTo4MegapixelsWhole()
{
    QFETCH(QByteArray, format);
    QFETCH(QSize, size);
    const QByteArray bytes = encoded(structuredPicture(size.width(), size.height()), format);
    const server::RequestPicture picture = arriving(bytes, format);
    QVERIFY(!picture.bytes.isEmpty());
    QCOMPARE(picture.size, size);
    // Far larger than what Gemma 3 reads (896), still decoded whole: the answer is ChatSession's.
    QCOMPARE(server::decodedSize(picture.size, gemma3(896)), size);
    auto decoded = server::decodePicture(picture.bytes, server::decodedSize(picture.size, gemma3(896)));
    QVERIFY(decoded);
    const llm::RgbPicture whole = wholePicture(bytes);
    QCOMPARE(decoded->width, whole.width);
    QCOMPARE(decoded->height, whole.height);
    QVERIFY(decoded->rgb == whole.rgb);
}

void TestServerPictureBudget::decodesALargePictureAtTheEncodersSize_data()
{
    QTest::addColumn<QByteArray>("format");
    QTest::addColumn<QSize>("size");
    QTest::addColumn<bool>("idefics");
    QTest::addColumn<int>("edge");
    QTest::addColumn<double>("meanLimit");
    QTest::newRow("PNG 3000x2000 Gemma 3") << QByteArray("png") << QSize(3000, 2000) << false << 896 << 1.0;
    QTest::newRow("JPEG 3000x2000 Gemma 3") << QByteArray("jpeg") << QSize(3000, 2000) << false << 896 << 1.0;
    QTest::newRow("WebP 2000x3000 Gemma 3") << QByteArray("webp") << QSize(2000, 3000) << false << 896 << 1.0;
    QTest::newRow("PNG 4000x1500 SmolVLM") << QByteArray("png") << QSize(4000, 1500) << true << 1536 << 1.0;
    QTest::newRow("JPEG 1800x4000 SmolVLM") << QByteArray("jpeg") << QSize(1800, 4000) << true << 2048 << 1.0;
}

void TestServerPictureBudget::decodesALargePictureAtTheEncodersSize()
{
    QFETCH(QByteArray, format);
    QFETCH(QSize, size);
    QFETCH(bool, idefics);
    QFETCH(int, edge);
    QFETCH(double, meanLimit);
    if (format == "webp" && !QImageReader::supportedImageFormats().contains("webp"))
        QSKIP("Qt's WebP plugin is missing (installer/deps.sh)");
    const llm::VisionConfig encoder = idefics ? idefics3(edge) : gemma3(edge);
    const QByteArray bytes = encoded(structuredPicture(size.width(), size.height()), format);
    const server::RequestPicture picture = arriving(bytes, format);
    QVERIFY(!picture.bytes.isEmpty());
    QCOMPARE(picture.size, size);
    const auto [plannedWidth, plannedHeight] = llm::plannedSize(size.width(), size.height(), encoder);
    const QSize at = server::decodedSize(picture.size, encoder);
    QCOMPARE(at, QSize(plannedWidth, plannedHeight));
    QVERIFY(qint64(at.width()) * at.height() < qint64(size.width()) * size.height() / 3);

    auto decoded = server::decodePicture(picture.bytes, at);
    QVERIFY2(decoded, decoded ? "" : decoded.error().message.c_str());
    QCOMPARE(QSize(decoded->width, decoded->height), at);
    // The plan of the smaller picture has the whole picture's tiles, sizes and places, and nearly
    // its pixels: only the filter that made the encoder's size differs (Qt's, not Pillow's).
    auto fromDecoded = llm::planPicture(*decoded, encoder);
    auto fromWhole = llm::planPicture(wholePicture(bytes), encoder);
    QVERIFY(fromDecoded && fromWhole);
    QCOMPARE(fromDecoded->parts.size(), fromWhole->parts.size());
    const auto [mean, largest] = tileDifference(*fromDecoded, *fromWhole);
    qInfo("%s: decoded at %dx%d, %zu tiles, mean |difference| %.3f, largest %d of 255", QTest::currentDataTag(), at.width(),
          at.height(), fromWhole->tiles.size(), mean, largest);
    QVERIFY2(mean <= meanLimit, qPrintable(QString::number(mean)));
}

void TestServerPictureBudget::turnsARotatedPhotoUpright()
{
    // A phone photo stored landscape with "turn a quarter" in its EXIF: the header's size is the
    // stored one, the picture the model reads stands upright, the red disc at its top right.
    const QImage stored = structuredPicture(4000, 3000);
    const QByteArray bytes = encoded(stored, "jpeg", QImageIOHandler::TransformationRotate90);
    const server::RequestPicture picture = arriving(bytes, "jpeg");
    QVERIFY(!picture.bytes.isEmpty());
    QCOMPARE(picture.size, QSize(3000, 4000));
    const QSize at = server::decodedSize(picture.size, gemma3(896));
    QCOMPARE(at, QSize(672, 896));
    auto decoded = server::decodePicture(picture.bytes, at);
    QVERIFY(decoded);
    QCOMPARE(QSize(decoded->width, decoded->height), at);
    auto pixel = [&](double fx, double fy) {
        const size_t i = (size_t(fy * decoded->height) * size_t(decoded->width) + size_t(fx * decoded->width)) * 3;
        return QColor(decoded->rgb[i], decoded->rgb[i + 1], decoded->rgb[i + 2]);
    };
    // The disc was at (0.25, 0.25) of the stored picture; a quarter turn clockwise puts it at (0.75, 0.25).
    QVERIFY2(pixel(0.75, 0.25).red() > 150 && pixel(0.75, 0.25).green() < 90, qPrintable(pixel(0.75, 0.25).name()));
    QVERIFY(pixel(0.25, 0.25).red() < 150 || pixel(0.25, 0.25).green() > 90);
    auto fromDecoded = llm::planPicture(*decoded, gemma3(896));
    auto fromWhole = llm::planPicture(wholePicture(bytes), gemma3(896));
    QVERIFY(fromDecoded && fromWhole);
    const auto [mean, largest] = tileDifference(*fromDecoded, *fromWhole);
    qInfo("rotated JPEG: mean |difference| %.3f, largest %d", mean, largest);
    QVERIFY(mean <= 1.0);
}

void TestServerPictureBudget::refusesARequestOverTheDecodedBudget()
{
    // 4 megapixels are decoded whole whatever the model: 12 of them fit 48, a 13th is over, and the
    // refusal comes before anything is decoded, naming that picture.
    const QString url = dataUrl(encoded(structuredPicture(2048, 2048), "png"), "png");
    QJsonArray twelve, thirteen;
    for (int i = 0; i < 13; ++i)
        (i < 12 ? twelve : thirteen).append(picturePart(url));
    for (const QJsonValue& part : twelve)
        thirteen.append(part);
    QElapsedTimer clock;
    clock.start();
    const auto accepted = server::parseChatRequest(chatBody(twelve));
    QVERIFY(std::holds_alternative<server::TextRequest>(accepted));
    QCOMPARE(std::get<server::TextRequest>(accepted).pictures.size(), size_t(12));
    const auto refused = server::parseChatRequest(chatBody(thirteen));
    QVERIFY(std::holds_alternative<server::ApiError>(refused));
    const server::ApiError& e = std::get<server::ApiError>(refused);
    QCOMPARE(e.status, 400);
    QCOMPARE(e.param, QStringLiteral("messages[0].content[13].image_url"));
    QVERIFY2(e.message.contains("52.0 megapixels") && e.message.contains("at most 48.0"), qPrintable(e.message));
    qInfo("two requests of 12 and 13 pictures of 4 MP read in %lld ms", qint64(clock.elapsed()));
    QVERIFY(clock.elapsed() < 10000);
}

void TestServerPictureBudget::countsLargePicturesAtTheEncodersSize()
{
    // 16 photos of 12 megapixels are accepted: each is decoded at what the encoder reads.
    std::vector<server::RequestPicture> photos(16);
    for (size_t i = 0; i < photos.size(); ++i) {
        photos[i].field = QStringLiteral("messages[0].content[%1].image_url").arg(i + 1);
        photos[i].size = QSize(4000, 3000);
    }
    QVERIFY(!server::checkDecodedPixels(photos, server::pixelsDecodedWhateverTheModel));
    auto atSizeFor = [](const llm::VisionConfig& encoder) {
        return [encoder](const server::RequestPicture& p) {
            const QSize s = server::decodedSize(p.size, encoder);
            return qint64(s.width()) * s.height();
        };
    };
    QVERIFY(!server::checkDecodedPixels(photos, atSizeFor(gemma3(896))));
    QVERIFY(!server::checkDecodedPixels(photos, atSizeFor(idefics3(1536))));
    // An encoder that reads pictures 4096 pixels long would need 16 x 12 MP: the job refuses the
    // fifth photo (4 x 12 = 48), naming it.
    auto refusal = server::checkDecodedPixels(photos, atSizeFor(idefics3(4096)));
    QVERIFY(refusal);
    QCOMPARE(refusal->param, QStringLiteral("messages[0].content[5].image_url"));
}

void TestServerPictureBudget::largePicturesStayWithinBudget_data()
{
    QTest::addColumn<QByteArray>("format");
    QTest::addColumn<int>("grey");
    QTest::addColumn<int>("side");
    QTest::addColumn<int>("count");
    QTest::addColumn<double>("limitMb");
    // RGB(A) PNGs and JPEGs are decoded scaled by the decoder itself (libpng row by row, libjpeg's
    // DCT scaling): what is held is the encoder's size. `atelier serve` took 3.7 GB of peak
    // memory for 16 RGB PNGs of 64 MP before, 171 MB now.
    QTest::newRow("16 JPEGs of 64 MP") << QByteArray("jpeg") << 0 << 8192 << 16 << 150.0;
    QTest::newRow("16 RGB PNGs of 16 MP") << QByteArray("png") << 0 << 4096 << 16 << 150.0;
    // Grey and palette PNGs and WebPs Qt decodes whole, one at a time, then scales: at most one
    // picture's 64 MP x (1 to 4 + 4) bytes at once, never 16.
    QTest::newRow("4 grey PNGs of 64 MP") << QByteArray("png") << 1 << 8192 << 4 << 450.0;
    QTest::newRow("4 WebPs of 16 MP") << QByteArray("webp") << 0 << 4096 << 4 << 200.0;
}

void TestServerPictureBudget::largePicturesStayWithinBudget()
{
    QFETCH(QByteArray, format);
    QFETCH(int, grey);
    QFETCH(int, side);
    QFETCH(int, count);
    QFETCH(double, limitMb);
    if (format == "webp" && !QImageReader::supportedImageFormats().contains("webp"))
        QSKIP("Qt's WebP plugin is missing (installer/deps.sh)");
    QString url;
    {
        QImage large(side, side, grey ? QImage::Format_Grayscale8 : QImage::Format_RGB32);
        large.fill(QColor(200, 40, 40));
        QPainter(&large).fillRect(0, side / 3, side, side / 6, QColor(30, 60, 220));
        url = dataUrl(encoded(large, format), format);
    }
    QJsonArray parts;
    for (int i = 0; i < count; ++i)
        parts.append(picturePart(url));
    const QByteArray body = chatBody(parts);
    QVERIFY(body.size() < 32 * 1024 * 1024);
    if (!resetPeak())
        QSKIP("/proc/self/clear_refs cannot be written here");
    const qint64 before = peakResident();
    QElapsedTimer clock;
    clock.start();
    auto parsed = server::parseChatRequest(body);
    QVERIFY(std::holds_alternative<server::TextRequest>(parsed));
    const server::TextRequest& request = std::get<server::TextRequest>(parsed);
    std::vector<llm::RgbPicture> pictures; // held together, as the job holds a request's pictures
    for (const server::RequestPicture& picture : request.pictures) {
        QCOMPARE(picture.size, QSize(side, side));
        auto decoded = server::decodePicture(picture.bytes, server::decodedSize(picture.size, gemma3(896)));
        QVERIFY(decoded);
        QCOMPARE(decoded->width, 896);
        pictures.push_back(std::move(decoded).value());
    }
    const double megabytes = double(peakResident() - before) / (1 << 20);
    // Decoded whole, as before: each picture held as 3 bytes a pixel, the last one's QImage (4) and RGB888 copy (3) too.
    const double whole = (double(count) * 3 + 7) * side * side / (1 << 20);
    qInfo("%s: parsed and decoded in %.1f s, peak memory %.0f MB above the start (decoded whole: about %.0f MB)",
          QTest::currentDataTag(), clock.elapsed() / 1000.0, megabytes, whole);
    QVERIFY2(megabytes < limitMb, qPrintable(QString::number(megabytes)));
}

QTEST_GUILESS_MAIN(TestServerPictureBudget)
#include "picture_budget_test.moc"
