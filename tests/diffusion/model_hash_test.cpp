// A1111's model hash of a checkpoint, and the cache that spares reading the file again.

#include "golden.h"

#include "diffusion/model_hash.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace atelier;

class TestModelHash : public QObject {
    Q_OBJECT

private slots:
    void hashIsTheFilesSha256Prefix()
    {
        QTemporaryDir dir;
        const std::string cache = (dir.path() + "/hashes.json").toStdString();
        // sha256sum tests/diffusion/fixtures/golden_sd1.safetensors | cut -c1-10
        QCOMPARE(diffusion::modelHash(test::goldenCheckpointPath("sd1"), cache), std::string("23a8a83f80"));
        QVERIFY(QFile::exists(QString::fromStdString(cache)));
    }

    void aCachedHashIsNotReadAgainUntilTheFileChanges()
    {
        QTemporaryDir dir;
        const QString model = dir.path() + "/model.safetensors";
        QFile file(model);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("first contents");
        file.close();
        const std::string cache = (dir.path() + "/hashes.json").toStdString();
        const std::string first = diffusion::modelHash(model.toStdString(), cache);
        QCOMPARE(first.size(), size_t(10));

        // A planted hash for the same size and time is believed: the file was not read again.
        QFile cacheFile(QString::fromStdString(cache));
        QVERIFY(cacheFile.open(QIODevice::ReadOnly));
        QJsonObject entries = QJsonDocument::fromJson(cacheFile.readAll()).object();
        cacheFile.close();
        QJsonObject entry = entries.value(QFileInfo(model).absoluteFilePath()).toObject();
        entry.insert("sha256", QString(64, 'a'));
        entries.insert(QFileInfo(model).absoluteFilePath(), entry);
        QVERIFY(cacheFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
        cacheFile.write(QJsonDocument(entries).toJson());
        cacheFile.close();
        QCOMPARE(diffusion::modelHash(model.toStdString(), cache), std::string(10, 'a'));

        // Another size: read again.
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("second, longer contents");
        file.close();
        const std::string second = diffusion::modelHash(model.toStdString(), cache);
        QVERIFY(second != first && second != std::string(10, 'a'));
        QCOMPARE(diffusion::modelHash((dir.path() + "/missing.safetensors").toStdString(), cache), std::string());
    }
};

ATELIER_DIFFUSION_TEST(TestModelHash)
#include "model_hash_test.moc"
