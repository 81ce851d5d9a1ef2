// LoRA adapters per conversation (issue 20), through the chat settings form: Add LoRA…, its scale
// and Remove; kept with the conversation and sent with each answer, which the tiny Qwen2's random
// adapter (tests/llm/make_tiny_lora.py) changes; an adapter for another model is refused, saying why.

#include "tst_chat.h"

#include "chat/lora_list.h"
#include "store/chat_store.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace {

const QString kFixtures = QFileInfo(QStringLiteral(ATELIER_TINY_MODEL)).absolutePath();

QString lastAnswer(ChatFixture& f)
{
    auto messages = store::ChatStore(*f.database).messages(f.chat->currentConversation());
    return messages.ok() && !messages.value().isEmpty() ? messages.value().last().text : QString();
}

QList<QWidget*> loraRows(ChatFixture& f)
{
    QList<QWidget*> shown;
    for (QWidget* row : f.chat->findChildren<QWidget*>("loraRow"))
        if (row->isVisible())
            shown << row;
    return shown;
}

// Adds `file` through Add LoRA… (its file dialog answered with it).
void addLora(ChatFixture& f, const QString& file)
{
    auto* list = f.find<ui::LoraList>("loraList");
    list->setFileChooser([file] { return QStringList{file}; });
    QTest::mouseClick(f.find<QPushButton>("loraAddButton"), Qt::LeftButton);
}

store::ChatSettings savedSettings(ChatFixture& f, qint64 id)
{
    auto conversation = store::ChatStore(*f.database).conversation(id);
    return conversation.ok() ? conversation.value().settings : store::ChatSettings();
}

} // namespace

void TestChat::loraAdaptersArePerConversation()
{
    ChatFixture& f = mFixture;
    const QString lora = kFixtures + "/tiny_qwen2_lora.gguf";
    f.find<QToolButton>("chatSettingsButton")->click();
    QVERIFY(f.find<ui::LoraList>("loraList")->isVisible());
    QVERIFY(loraRows(f).isEmpty());
    f.type("Hello there");
    QVERIFY(f.waitForAnswer());
    const QString plain = lastAnswer(f);
    QVERIFY(!plain.isEmpty());
    const qint64 first = f.chat->currentConversation();

    // A second conversation with the adapter: another answer to the same question.
    f.chat->newConversation();
    addLora(f, lora);
    QTRY_COMPARE(loraRows(f).size(), 1);
    QWidget* row = loraRows(f).first();
    QCOMPARE(row->findChild<QLabel*>("loraFileLabel")->text(), QStringLiteral("tiny_qwen2_lora.gguf"));
    QCOMPARE(row->findChild<QDoubleSpinBox*>("loraScaleSpin")->value(), 1.0);
    f.type("Hello there");
    QVERIFY(f.waitForAnswer());
    const QString adapted = lastAnswer(f);
    QVERIFY2(!adapted.isEmpty() && adapted != plain, qPrintable(adapted));
    const qint64 second = f.chat->currentConversation();
    QTRY_VERIFY(savedSettings(f, second).loras == (QList<store::LoraChoice>{{lora, 1.0}}));
    QCOMPARE(f.messages().size(), 2);
    if (const QByteArray dir = qgetenv("ATELIER_TEST_SCREENSHOTS"); !dir.isEmpty())
        f.chat->grab().save(QString::fromLocal8Bit(dir) + "/chat_lora_settings.png");

    // Each conversation shows and uses its own adapters.
    f.chat->openConversation(first);
    QTRY_VERIFY(loraRows(f).isEmpty());
    f.chat->openConversation(second);
    QTRY_COMPARE(loraRows(f).size(), 1);

    // Scale 0 through the spin box, in a third conversation: the model's own answer again.
    f.chat->newConversation();
    addLora(f, lora);
    QTRY_COMPARE(loraRows(f).size(), 1);
    loraRows(f).first()->findChild<QDoubleSpinBox*>("loraScaleSpin")->setValue(0);
    f.type("Hello there");
    QVERIFY(f.waitForAnswer());
    QCOMPARE(lastAnswer(f), plain);
    QTRY_COMPARE(savedSettings(f, f.chat->currentConversation()).loras.value(0).scale, 0.0);

    // Removed, and an adapter made for another architecture instead: refused with the reason.
    const qint64 third = f.chat->currentConversation();
    QTest::mouseClick(loraRows(f).first()->findChild<QToolButton*>("loraRemoveButton"), Qt::LeftButton);
    QTRY_VERIFY(loraRows(f).isEmpty());
    QTRY_VERIFY(savedSettings(f, third).loras.isEmpty());
    addLora(f, kFixtures + "/tiny_llama_lora.gguf");
    QTRY_COMPARE(loraRows(f).size(), 1);
    f.type("Hello again");
    QVERIFY(f.waitForAnswer());
    auto* error = f.find<QLabel>("answerError");
    QTRY_VERIFY(error->isVisible());
    QVERIFY2(error->text().contains("tiny_llama_lora.gguf cannot be used: the adapter is for 'llama' models, but "
                                    "the model is 'qwen2'"),
             qPrintable(error->text()));
}
