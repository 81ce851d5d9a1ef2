#include "tst_diffusion_text.h"

#include "test_result.h"

#include <QFile>
#include <QJsonDocument>

using namespace atelier::diffusion;

void TestDiffusionText::initTestCase()
{
    QFile file(QFINDTESTDATA("golden.json"));
    QVERIFY2(file.open(QIODevice::ReadOnly), "golden.json is missing (make_golden.py writes it)");
    mGolden = QJsonDocument::fromJson(file.readAll()).object();
    QVERIFY(!mGolden.isEmpty());
    ASSIGN_OR_FAIL(ClipTokenizer tokenizer, ClipTokenizer::builtIn());
    mTokenizer = std::move(tokenizer);
}

QTEST_GUILESS_MAIN(TestDiffusionText)
