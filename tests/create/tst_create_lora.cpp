// LoRAs in the Create workspace (issue 20), through the real widgets: the LoRA button lists the LoRA
// folder and inserts <lora:NAME:1> at the cursor, the prompt box colours the tag, the token count
// leaves it out, and a picture made with it carries "Lora hashes" in its parameters.

#include "core/app_paths.h"
#include "create/create_form.h"
#include "create/create_workspace.h"
#include "window_fixture.h"
#include "create/lora_picker.h"
#include "engine/compute_engine.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTextBlock>
#include <QTextLayout>
#include <QtTest>

using namespace atelier;

namespace {

constexpr int kDeviceTimeoutMs = 60000;
constexpr int kPictureTimeoutMs = 120000;

// The format the highlighter gave the character at `position` of the prompt box's first block.
QTextCharFormat formatAt(QPlainTextEdit* edit, int position)
{
    const QTextBlock block = edit->document()->firstBlock();
    QTextCharFormat found;
    for (const QTextLayout::FormatRange& range : block.layout()->formats())
        if (position >= range.start && position < range.start + range.length)
            found = range.format;
    return found;
}

} // namespace

class TestCreateLora : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
        QSettings().clear();
        QVERIFY(paths::ensureDir(paths::lorasDir() + QStringLiteral("/styles")));
        const QString fixtures = QStringLiteral(ATELIER_DIFFUSION_FIXTURES);
        const QStringList copies{paths::modelsDir() + "/golden_sd1.safetensors",
                                 paths::lorasDir() + "/lora_sd1_kohya.safetensors",
                                 paths::lorasDir() + "/styles/lora_sd1_peft.safetensors"};
        const QStringList sources{"golden_sd1.safetensors", "lora_sd1_kohya.safetensors", "lora_sd1_peft.safetensors"};
        for (int i = 0; i < copies.size(); ++i) {
            QFile::remove(copies[i]);
            QVERIFY(QFile::copy(fixtures + "/" + sources[i], copies[i]));
        }
        mEngine = new engine::ComputeEngine(this);
        QSignalSpy ready(mEngine, &engine::ComputeEngine::deviceReady);
        engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
        options.validation = true;
        mEngine->start(options);
        QVERIFY2(ready.wait(kDeviceTimeoutMs), "the Vulkan device did not open");
        mCreate = std::make_unique<ui::CreateWorkspace>(*mEngine);
        mCreate->resize(1000, 700);
        mCreate->show();
        QVERIFY(QTest::qWaitForWindowExposed(mCreate.get()));
        QCOMPARE(find<QComboBox>("imageModel")->currentText(), QStringLiteral("golden_sd1"));
    }

    void cleanupTestCase()
    {
        mCreate->imageEngine()->cancelAll();
        QTRY_VERIFY_WITH_TIMEOUT(!mCreate->imageEngine()->busy(), kPictureTimeoutMs);
        mCreate.reset();
    }

    void pickerInsertsTagsAtTheCursor()
    {
        auto* prompt = find<QPlainTextEdit>("prompt");
        prompt->setPlainText(QStringLiteral("a red circle"));
        QTextCursor cursor = prompt->textCursor();
        cursor.setPosition(5);  // "a red|circle" after "a red"
        prompt->setTextCursor(cursor);
        auto* picker = find<ui::LoraPicker>("loraPicker");
        emit picker->menu()->aboutToShow();
        QStringList names;
        for (QAction* a : picker->menu()->actions())
            if (!a->isSeparator())
                names << a->text();
        // both LoRAs, the one in a subfolder too, then the folder
        QCOMPARE(names, (QStringList{"lora_sd1_kohya", "lora_sd1_peft", "Open the LoRA folder"}));
        picker->menu()->actions().at(0)->trigger();
        QCOMPARE(prompt->toPlainText(), QStringLiteral("a red <lora:lora_sd1_kohya:1> circle"));
        prompt->moveCursor(QTextCursor::End);
        picker->menu()->actions().at(1)->trigger();
        QCOMPARE(prompt->toPlainText(), QStringLiteral("a red <lora:lora_sd1_kohya:1> circle <lora:lora_sd1_peft:1>"));
    }

    void promptBoxColoursTags()
    {
        auto* prompt = find<QPlainTextEdit>("prompt");
        prompt->setPlainText(QStringLiteral("a (red:1.2) circle <lora:lora_sd1_kohya:0.6> <lora:broken:much>"));
        QTRY_VERIFY(formatAt(prompt, 19).background().style() != Qt::NoBrush);  // '<' of the first tag
        const QColor tag = formatAt(prompt, 19).background().color();
        QVERIFY(tag.green() > tag.red() && tag.green() > tag.blue());           // green, unlike groups
        QCOMPARE(formatAt(prompt, 25).fontWeight(), int(QFont::Bold));          // the name
        QVERIFY(formatAt(prompt, 21).fontWeight() != int(QFont::Bold));         // "lora:"
        QCOMPARE(formatAt(prompt, 46).underlineStyle(), QTextCharFormat::WaveUnderline);  // no number
        QCOMPARE(formatAt(prompt, 19).underlineStyle(), QTextCharFormat::NoUnderline);
        // the tags are no tokens
        prompt->setPlainText(QStringLiteral("a red circle <lora:lora_sd1_kohya:0.6>"));
        const QString withTag = find<QLabel>("tokenCount")->text();
        prompt->setPlainText(QStringLiteral("a red circle"));
        QCOMPARE(withTag, find<QLabel>("tokenCount")->text());
        QVERIFY(withTag.startsWith(QStringLiteral("3/75")));
        const QString shots = qEnvironmentVariable("ATELIER_SCREENSHOT_DIR");
        if (!shots.isEmpty()) {
            prompt->setPlainText(QStringLiteral("a (red:1.2) circle <lora:lora_sd1_kohya:0.6> <lora:broken:much>"));
            QVERIFY(mCreate->grab().save(shots + QStringLiteral("/create_lora.png")));
        }
    }

    void pictureNamesItsLoras()
    {
        find<QSpinBox>("width")->setValue(64);
        find<QSpinBox>("height")->setValue(64);
        find<QSpinBox>("steps")->setValue(2);
        find<QLineEdit>("seed")->setText(QStringLiteral("3"));
        find<QPlainTextEdit>("prompt")->setPlainText(QStringLiteral("a red circle <lora:lora_sd1_kohya:0.6> <lora:lora_sd1_peft>"));
        QSignalSpy done(mCreate.get(), &ui::CreateWorkspace::pictureFinished);
        QTest::mouseClick(find<QPushButton>("generateButton"), Qt::LeftButton);
        QVERIFY(done.wait(kPictureTimeoutMs));
        const QString parameters = find<QPlainTextEdit>("pictureParameters")->toPlainText();
        QVERIFY2(parameters.contains(QStringLiteral("Lora hashes: \"lora_sd1_kohya: 691e9936a55e, lora_sd1_peft: 0589e7646fb4\"")),
                 qPrintable(parameters));
        QVERIFY(parameters.startsWith(QStringLiteral("a red circle <lora:lora_sd1_kohya:0.6> <lora:lora_sd1_peft>")));
    }

private:
    template <typename T>
    T* find(const char* name) const
    {
        return test::childNamed<T>(mCreate.get(), name);
    }

    engine::ComputeEngine* mEngine = nullptr;
    std::unique_ptr<ui::CreateWorkspace> mCreate;
};

QTEST_MAIN(TestCreateLora)
#include "tst_create_lora.moc"
