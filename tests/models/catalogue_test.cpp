#include "tst_models.h"

#include "models/catalogue.h"

#include <QRegularExpression>
#include <QTest>

using namespace atelier::models;

void TestModels::builtInCatalogueParses()
{
    auto catalogue = readCatalogue(QStringLiteral(":/catalogue/models.json"));
    QVERIFY2(catalogue.ok(), catalogue.ok() ? "" : catalogue.error().message.c_str());
    QVERIFY(catalogue->models.size() >= 11);
    // The issue's models, each with a Hugging Face resolve/main address.
    for (const char* id : {"gemma-3-1b-it-q4_k_m", "gemma-3-4b-it-q4_k_m", "qwen2.5-0.5b-instruct-q4_k_m",
                           "qwen2.5-1.5b-instruct-q4_k_m", "qwen2.5-3b-instruct-q4_k_m", "qwen2.5-7b-instruct-q4_k_m",
                           "llama-3.2-1b-instruct-q4_k_m", "llama-3.2-3b-instruct-q4_k_m", "sd-1.5", "sd-turbo", "sd-2.1"}) {
        const CatalogueModel* m = catalogue->find(QString::fromLatin1(id));
        QVERIFY2(m, id);
        QVERIFY2(m->urls.value(0).startsWith("https://huggingface.co/") && m->urls.value(0).contains("/resolve/main/"), id);
        QVERIFY(m->memory > 0);
    }
    const CatalogueModel* llama = catalogue->find(QStringLiteral("Llama-3.2-1B-Instruct-Q4_K_M.gguf"));
    QVERIFY(llama);
    QCOMPARE(llama->size, 807694464);
    QCOMPARE(llama->sha256, QStringLiteral("6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83"));
    QCOMPARE(catalogue->find(QStringLiteral("SD-1.5"))->kind, ModelKind::Image);
    QCOMPARE(catalogue->find(QStringLiteral("Stable Diffusion 2.1"))->file, QStringLiteral("v2-1_768-ema-pruned.safetensors"));
}

void TestModels::catalogueRefusesBadFields_data()
{
    QTest::addColumn<QByteArray>("model");
    QTest::addColumn<QString>("expected");
    const QByteArray good = R"("id": "m", "name": "M", "kind": "chat", "architecture": "llama", "licence": "MIT",
                               "urls": ["https://example.org/m.gguf"], "file": "m.gguf", "memory": 1000)";
    QTest::newRow("fine") << good << QString();
    QTest::newRow("no id") << QByteArray(good).replace(R"("id": "m", )", "") << "has no \"id\"";
    QTest::newRow("id with a slash") << QByteArray(good).replace(R"("id": "m")", R"("id": "../m")") << "\"id\" may hold only";
    QTest::newRow("unknown kind") << QByteArray(good).replace(R"("chat")", R"("video")") << "\"kind\" must be chat, image";
    QTest::newRow("path as file") << QByteArray(good).replace(R"("m.gguf")", R"("../../.bashrc.gguf")") << "must be a plain file name";
    QTest::newRow("hidden file") << QByteArray(good).replace(R"("m.gguf")", R"(".m.gguf")") << "must be a plain file name";
    QTest::newRow("wrong suffix") << QByteArray(good).replace(R"("m.gguf")", R"("m.exe")") << "must end in .gguf";
    QTest::newRow("ftp url") << QByteArray(good).replace("https://example.org/m.gguf", "ftp://example.org/m.gguf") << "not an http(s) address";
    QTest::newRow("no urls") << QByteArray(good).replace(R"(["https://example.org/m.gguf"])", "[]") << "\"urls\" must be a list";
    QTest::newRow("url is a number") << QByteArray(good).replace(R"(["https://example.org/m.gguf"])", "[7]") << "not an http(s) address";
    QTest::newRow("negative size") << good + R"(, "size": -5)" << "\"size\" must be between 0 and";
    QTest::newRow("fractional size") << good + R"(, "size": 1.5)" << "\"size\" must be a whole number";
    QTest::newRow("size as text") << good + R"(, "size": "12")" << "\"size\" must be a whole number";
    QTest::newRow("huge memory") << QByteArray(good).replace("1000", "1e300") << "\"memory\" must be between";
    QTest::newRow("short sha256") << good + R"(, "sha256": "abc")" << "\"sha256\" must be 64 hexadecimal digits";
    QTest::newRow("name too long") << QByteArray(good).replace(R"("name": "M")", "\"name\": \"" + QByteArray(500, 'x') + "\"") << "longer than 100";
    QTest::newRow("control character") << QByteArray(good).replace(R"("name": "M")", R"("name": "M\u0007")") << "control character";
}

void TestModels::catalogueRefusesBadFields()
{
    QFETCH(QByteArray, model);
    QFETCH(QString, expected);
    const QByteArray json = "{\"version\": 1, \"models\": [{" + model + "}]}";
    auto catalogue = parseCatalogue(json, QStringLiteral("test.json"));
    if (expected.isEmpty()) {
        QVERIFY2(catalogue.ok(), catalogue.ok() ? "" : catalogue.error().message.c_str());
        QCOMPARE(catalogue->models.size(), 1);
        return;
    }
    QVERIFY(!catalogue.ok());
    const QString message = QString::fromStdString(catalogue.error().message);
    QVERIFY2(message.startsWith("test.json: model 1") && message.contains(expected), qPrintable(message));
}

void TestModels::bestChatModelFitsTheBudget()
{
    // Whole-file refusals: not JSON, another version, two models with one id.
    QVERIFY(QString::fromStdString(parseCatalogue("{", "c").error().message).contains("not valid JSON"));
    QVERIFY(QString::fromStdString(parseCatalogue(R"({"version": 2, "models": []})", "c").error().message).contains("version"));
    const QByteArray m = R"({"id": "a", "name": "A", "kind": "chat", "architecture": "llama", "licence": "MIT",
                            "urls": ["https://example.org/a.gguf"], "file": "a.gguf", "memory": 1000})";
    QVERIFY(QString::fromStdString(parseCatalogue("{\"version\": 1, \"models\": [" + m + "," + m + "]}", "c").error().message)
                .contains("listed twice"));

    auto catalogue = readCatalogue(QStringLiteral(":/catalogue/models.json"));
    QVERIFY(catalogue.ok());
    const qint64 gb = 1000LL * 1000 * 1000;
    QVERIFY(!catalogue->bestChatModel(gb));                           // 1 GB: not even the 0.5B with headroom
    QCOMPARE(catalogue->bestChatModel(2 * gb)->id, QStringLiteral("qwen2.5-0.5b-instruct-q4_k_m"));
    QCOMPARE(catalogue->bestChatModel(8 * gb)->id, QStringLiteral("gemma-3-4b-it-q4_k_m"));
    QCOMPARE(catalogue->bestChatModel(16 * gb)->id, QStringLiteral("qwen2.5-7b-instruct-q4_k_m"));
    QCOMPARE(catalogue->bestChatModel(16 * gb, 2 * gb)->id, QStringLiteral("qwen2.5-1.5b-instruct-q4_k_m")); // a CPU device
    QVERIFY(catalogue->find(QStringLiteral("sd-2.1"))->fits(8 * gb));
    QVERIFY(!catalogue->find(QStringLiteral("sd-2.1"))->fits(4 * gb));
}
