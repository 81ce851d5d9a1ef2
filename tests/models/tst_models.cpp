#include "tst_models.h"

#include <QCryptographicHash>
#include <QFile>
#include <QRandomGenerator>
#include <QTest>

void TestModels::initTestCase()
{
    QVERIFY(mTemp.isValid());
    mServer = new TestHttpServer(this);
    QVERIFY(mServer->isListening());
    mSmall = makeContent(300 * 1000, 1);
    mLarge = makeContent(3 * 1000 * 1000, 2);
    mServer->addFile("small.gguf", mSmall);
    mServer->addFile("large.gguf", mLarge);
    mServer->addFile("cli.gguf", mSmall); // its own name: /drop cuts each file short once
}

QByteArray TestModels::makeContent(int bytes, int seed) const
{
    QByteArray data(bytes, Qt::Uninitialized);
    QRandomGenerator random(seed);
    for (char& c : data)
        c = char(random.bounded(256));
    return data;
}

QString TestModels::writeCatalogue(const QString& name, const QByteArray& json)
{
    const QString path = mTemp.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(json);
    return path;
}

QString TestModels::catalogueFor(const QByteArray& file, const QByteArray& url, const QByteArray& sha256, qint64 size) const
{
    return QString::fromUtf8(
        R"({"version": 1, "models": [{"id": "tiny-chat", "name": "Tiny Chat", "kind": "chat", "architecture": "llama",
            "licence": "MIT", "urls": [")" + url + R"("], "file": ")" + file + R"(", "size": )" + QByteArray::number(size) +
        R"(, "sha256": ")" + sha256 + R"(", "context": 2048, "memory": 1000000}]})");
}

QTEST_MAIN(TestModels)
