// How a message's Markdown is shown: prose through Qt's Markdown reader, fenced code in blocks
// with a copy button, including a fence still open while an answer streams.

#include "tst_chat.h"

#include "chat/code_block.h"
#include "chat/markdown_blocks.h"
#include "chat/message_body.h"

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
