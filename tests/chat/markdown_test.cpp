// How a message's Markdown is shown: prose through Qt's Markdown reader, fenced code in blocks
// with a copy button, including a fence still open while an answer streams.

#include "tst_chat.h"

#include "chat/code_block.h"
#include "chat/markdown_blocks.h"
#include "chat/message_body.h"
#include "chat/message_view.h"
#include "chat/message_widget.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier::ui;

using Blocks = QList<MarkdownBlock>;
Q_DECLARE_METATYPE(Blocks)

namespace {
MarkdownBlock prose(const QString& text) { return {MarkdownBlock::Kind::Prose, text, {}, true}; }
MarkdownBlock code(const QString& text, const QString& language = {}, bool closed = true)
{
    return {MarkdownBlock::Kind::Code, text, language, closed};
}
} // namespace

void TestChat::splitMarkdown_data()
{
    QTest::addColumn<QString>("markdown");
    QTest::addColumn<Blocks>("blocks");
    QTest::newRow("prose only") << "# Title\n\n- one\n- two" << Blocks{prose("# Title\n\n- one\n- two")};
    QTest::newRow("empty") << "" << Blocks{};
    QTest::newRow("code between prose")
        << "Look:\n```cpp\nint main() {}\n```\nDone." << Blocks{prose("Look:"), code("int main() {}", "cpp"), prose("Done.")};
    QTest::newRow("tilde fence, blank lines kept") << "~~~\na\n\nb\n~~~" << Blocks{code("a\n\nb")};
    QTest::newRow("longer closing fence") << "````\n```\ninner\n```\n````" << Blocks{code("```\ninner\n```")};
    QTest::newRow("backticks do not close tildes") << "~~~\n```\n~~~" << Blocks{code("```")};
    QTest::newRow("unclosed while streaming") << "Here:\n```python\nprint(1)" << Blocks{prose("Here:"), code("print(1)", "python", false)};
    QTest::newRow("indented fence strips its indent") << "  ```\n  x = 1\n    y\n  ```" << Blocks{code("x = 1\n  y")};
    QTest::newRow("four spaces is not a fence") << "    ```\ntext" << Blocks{prose("    ```\ntext")};
    QTest::newRow("inline backticks stay prose") << "use ``` `x` ``` inline" << Blocks{prose("use ``` `x` ``` inline")};
    QTest::newRow("info string words") << "```rust ignore\nfn f() {}\n```" << Blocks{code("fn f() {}", "rust")};
    QTest::newRow("table stays prose") << "| a | b |\n|---|---|\n| 1 | 2 |" << Blocks{prose("| a | b |\n|---|---|\n| 1 | 2 |")};
}

void TestChat::splitMarkdown()
{
    QFETCH(QString, markdown);
    QFETCH(Blocks, blocks);
    QCOMPARE(atelier::ui::splitMarkdown(markdown), blocks);
}

void TestChat::codeBlocksCopy()
{
    MessageBody body;
    body.setMarkdown("Run this:\n```sh\necho hello\nls -la\n```\nand that is all.");
    body.show();
    const auto blocks = body.findChildren<CodeBlock*>();
    QCOMPARE(blocks.size(), 1);
    QCOMPARE(blocks[0]->code(), QStringLiteral("echo hello\nls -la"));
    QCOMPARE(blocks[0]->findChild<QLabel*>("codeLanguage")->text(), QStringLiteral("sh"));
    const QFont font = blocks[0]->findChild<QLabel*>("codeText")->font();
    QVERIFY(font.fixedPitch() && font.styleHint() == QFont::Monospace);
    QTest::mouseClick(blocks[0]->findChild<QToolButton*>("copyCodeButton"), Qt::LeftButton);
    QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("echo hello\nls -la"));

    // Streaming on: the block grows in place rather than being rebuilt.
    CodeBlock* same = blocks[0];
    body.setMarkdown("Run this:\n```sh\necho hello\nls -la\npwd\n```\nand that is all.");
    QCOMPARE(body.findChildren<CodeBlock*>().size(), 1);
    QCOMPARE(body.findChildren<CodeBlock*>().first(), same);
    QCOMPARE(same->code(), QStringLiteral("echo hello\nls -la\npwd"));
}

void TestChat::proseRendersMarkdown()
{
    MessageBody body;
    body.setMarkdown("## Plan\n\n1. **bold** step\n2. `inline` code\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    const auto labels = body.findChildren<QLabel*>("messageProse");
    QCOMPARE(labels.size(), 1);
    QCOMPARE(labels[0]->textFormat(), Qt::MarkdownText);
    // What Qt's Markdown reader made of it: a heading, a list, a table.
    QTextDocument doc;
    doc.setMarkdown(labels[0]->text());
    const QString html = doc.toHtml();
    QVERIFY(html.contains("<h2"));
    QVERIFY(html.contains("<li"));
    QVERIFY(html.contains("<table"));
    QVERIFY(html.contains("font-weight:700") || html.contains("font-weight:600"));
}

void TestChat::messagesFitTheirContent()
{
    using atelier::store::StoredMessage;
    QList<StoredMessage> path;
    path.append({1, 1, 0, "user", "How do I list files?", QDateTime::currentDateTimeUtc(), {}});
    path.append({2, 1, 1, "assistant",
                 "# Listing files\n\n## With ls\n\nRun this:\n```sh\necho hello\nls -la\n```\n### Notes\n\nThat is all.",
                 QDateTime::currentDateTimeUtc(), {}});
    MessageView view;
    view.resize(800, 700);
    view.showMessages(path, atelier::store::MessageTree(path), [](const QString&) { return QStringLiteral("model"); });
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCoreApplication::processEvents();

    // A two-line code block is as tall as its two lines and its header, not more (it was 121
    // pixels for 40 pixels of code: the view gave its spare height to the messages).
    auto* code = view.findChild<CodeBlock*>();
    auto* codeText = code->findChild<QLabel*>("codeText");
    const int header = code->findChild<QToolButton*>("copyCodeButton")->sizeHint().height();
    QVERIFY(codeText->height() >= codeText->sizeHint().height()); // no line clipped
    QVERIFY2(code->height() <= codeText->sizeHint().height() + header + 12, qPrintable(QString::number(code->height())));
    for (MessageWidget* w : view.messageWidgets())
        QCOMPARE(w->height(), w->heightForWidth(w->width()));

    // Markdown titles are drawn as headings: taller than the same words as plain prose.
    auto heightOf = [](const QString& markdown) {
        MessageBody body;
        body.setMarkdown(markdown);
        return body.findChild<QLabel*>("messageProse")->heightForWidth(600);
    };
    const int plain = heightOf("Listing files");
    QVERIFY(heightOf("# Listing files") > plain);
    QVERIFY(heightOf("## Listing files") > plain);
    QVERIFY(heightOf("### Listing files") > plain);

    // Editing a one-line question: a one-line editor (it was 190 pixels), growing as lines are added.
    QTest::mouseClick(view.messageWidgets()[0]->findChild<QToolButton*>("editMessageButton"), Qt::LeftButton);
    QCoreApplication::processEvents();
    auto* editor = view.findChild<QPlainTextEdit*>("messageEditor");
    const int line = editor->fontMetrics().lineSpacing();
    const int oneLine = editor->height();
    QVERIFY2(oneLine >= line + 8 && oneLine < 2 * line + 16, qPrintable(QString::number(oneLine)));
    QVERIFY(!editor->horizontalScrollBar()->isVisible());
    editor->moveCursor(QTextCursor::End);
    for (int i = 0; i < 3; ++i) {
        QTest::keyClick(editor, Qt::Key_Return);
        QTest::keyClicks(editor, "more");
    }
    QTRY_COMPARE(editor->height(), oneLine + 3 * line);
    MessageWidget* question = view.messageWidgets()[0];
    QTRY_COMPARE(question->height(), question->sizeHint().height()); // no spare height in it either
}
