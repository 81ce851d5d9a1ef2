// main(), the fixture and the pictures every test makes.

#include "tst_library.h"

#include "core/app_paths.h"
#include "library/library_workspace.h"
#include "io/png_text.h"
#include "test_result.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace atelier::test {

const QString kA1111Text = QStringLiteral(
    "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512, "
    "Model hash: abcd1234, Model: sd15");

QByteArray tinyPng(QColor colour, QSize size, const QString& parameters)
{
    QImage image(size, QImage::Format_RGB32);
    image.fill(colour);
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    if (parameters.isEmpty())
        return png;
    auto withText = io::addPngText(png, {{QStringLiteral("parameters"), parameters}});
    return withText.ok() ? withText.value() : QByteArray();
}

diffusion::GenerationParameters parametersFor(const QString& prompt, const QString& model, quint64 seed)
{
    diffusion::GenerationParameters p;
    p.prompt = prompt;
    p.negativePrompt = QStringLiteral("blurry");
    p.model = model;
    p.modelHash = QStringLiteral("0123456789");
    p.seed = seed;
    p.width = 8;
    p.height = 8;
    p.steps = 4;
    p.version = QStringLiteral("Atelier test");
    return p;
}

} // namespace atelier::test

bool TestLibrary::openDatabase()
{
    auto db = store::Database::open(paths::databasePath());
    if (!db.ok()) {
        qWarning("%s", db.error().message.c_str());
        return false;
    }
    mDatabase = std::move(db).value();
    mStore = std::make_unique<store::PictureStore>(*mDatabase, paths::galleryDir());
    return true;
}

bool TestLibrary::openWorkspace()
{
    if (!mDatabase && !openDatabase())
        return false;
    mLibrary = std::make_unique<ui::LibraryWorkspace>(mDatabase.get(), QString());
    mLibrary->resize(1100, 760);
    mLibrary->show();
    return QTest::qWaitForWindowExposed(mLibrary.get());
}

void TestLibrary::closeAll()
{
    mLibrary.reset();
    mStore.reset();
    mDatabase.reset();
}

qint64 TestLibrary::addPicture(const QString& prompt, const QString& model, quint64 seed, qint64 createdMs)
{
    store::PictureRecord record =
        store::PictureRecord::fromParameters(test::parametersFor(prompt, model, seed), store::PictureKind::Txt2Img);
    record.durationMs = 1500;
    if (createdMs != 0)
        record.created = QDateTime::fromMSecsSinceEpoch(createdMs);
    const QByteArray png = test::tinyPng(QColor::fromHsv(int(seed * 37 % 360), 200, 220));
    auto added = mLibrary ? mLibrary->addPicture(record, png) : mStore->add(record, png);
    if (!added.ok()) {
        qWarning("%s", added.error().message.c_str());
        return 0;
    }
    return added->id;
}

void TestLibrary::initTestCase()
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
}

void TestLibrary::init()
{
    QSettings().clear();
    for (const QString& suffix : {"", "-wal", "-shm"})
        QFile::remove(paths::databasePath() + suffix);
    QDir(paths::galleryDir()).removeRecursively();
    QDir(paths::thumbnailsDir()).removeRecursively();
}

void TestLibrary::cleanup() { closeAll(); }

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsSet(test::kWriterVariable)) {
        QCoreApplication app(argc, argv);
        QCoreApplication::setOrganizationName("AtelierTest");
        QCoreApplication::setApplicationName("tst_library");
        return test::runPictureWriter(qEnvironmentVariableIntValue(test::kWriterVariable));
    }
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName("AtelierTest");
    QCoreApplication::setApplicationName("tst_library");
    TestLibrary test;
    return QTest::qExec(&test, argc, argv);
}
