// Chunks follow the document's structure, stay under the size, overlap, and say where they are.

#include "tst_docs.h"

#include "docs/chunker.h"

using namespace atelier::docs;

namespace {

QString paragraph(const QString& word, int words)
{
    QStringList w;
    for (int i = 0; i < words; ++i)
        w << word + QString::number(i);
    return w.join(u' ');
}

} // namespace

void TestDocs::plainTextSplitsOnParagraphs()
{
    // Three 200-character paragraphs in 300-character chunks: no paragraph is cut in two.
    const QString a = paragraph(QStringLiteral("alpha"), 28), b = paragraph(QStringLiteral("beta"), 30),
                  c = paragraph(QStringLiteral("gamma"), 28);
    const QString text = a + QStringLiteral("\n\n") + b + QStringLiteral("\n\n\n") + c + u'\n';
    const Chunks chunks = chunkText(text, TextKind::Plain, {300, 0});
    QCOMPARE(chunks.size(), size_t(3));
    QCOMPARE(chunks[0].text, a);
    QCOMPARE(chunks[1].text, b);
    QCOMPARE(chunks[2].text, c);
    QCOMPARE(chunks[2].ordinal, 2);
    // Small paragraphs share a chunk.
    const Chunks together = chunkText(QStringLiteral("one\n\ntwo\n\nthree"), TextKind::Plain, {300, 0});
    QCOMPARE(together.size(), size_t(1));
    QCOMPARE(together[0].text, QStringLiteral("one\n\ntwo\n\nthree"));
    // A paragraph longer than a chunk is cut at spaces, every piece within the size.
    const Chunks cut = chunkText(paragraph(QStringLiteral("word"), 400), TextKind::Plain, {256, 0});
    QVERIFY(cut.size() > 5);
    for (const Chunk& chunk : cut) {
        QVERIFY(chunk.text.size() <= 256);
        QVERIFY(chunk.text.startsWith(QStringLiteral("word")));
    }
    QVERIFY(chunkText(QStringLiteral(" \n\n \t\n"), TextKind::Plain, {}).empty());
}

void TestDocs::markdownKeepsHeadingsAndFences()
{
    QString fence = QStringLiteral("```cpp\n");
    for (int i = 0; i < 20; ++i)
        fence += QStringLiteral("int value%1 = %1;\n\n").arg(i); // blank lines inside: still one block
    fence += QStringLiteral("```");
    const QString text = QStringLiteral("# Install\n\nRead this first.\n\n## Linux\n\nRun the script.\n\n") + fence +
                         QStringLiteral("\n\n## Windows\n\nNot yet.\n\n# Use\n\nOpen the window.\n");
    const Chunks chunks = chunkText(text, TextKind::Markdown, {200, 0});
    QStringList headings;
    for (const Chunk& c : chunks)
        headings << c.heading;
    QCOMPARE(headings, (QStringList{"Install", "Install > Linux", "Install > Linux", "Install > Windows", "Use"}));
    QCOMPARE(chunks[0].text, QStringLiteral("# Install\n\nRead this first."));
    QCOMPARE(chunks[1].text, QStringLiteral("## Linux\n\nRun the script."));
    QCOMPARE(chunks[2].text, fence); // longer than a chunk, kept whole
    QCOMPARE(chunks[3].text, QStringLiteral("## Windows\n\nNot yet."));
    // A '#' inside a fence is no heading: the fence stays in section A.
    const Chunks code = chunkText(QStringLiteral("# A\n\n```sh\n# not a heading\n```\n"), TextKind::Markdown, {});
    QCOMPARE(code.size(), size_t(1));
    QCOMPARE(code[0].heading, QStringLiteral("A"));
    QVERIFY(code[0].text.endsWith(QStringLiteral("# not a heading\n```")));
}

void TestDocs::codeSplitsOnTopLevelBlocks()
{
    const QString f1 = QStringLiteral("int first()\n{\n    int a = 1;\n\n    return a;\n}");
    const QString f2 = QStringLiteral("int second()\n{\n    return 2;\n}");
    const Chunks chunks = chunkText(f1 + QStringLiteral("\n\n") + f2 + u'\n', TextKind::Code, {60, 0});
    QCOMPARE(chunks.size(), size_t(2));
    QCOMPARE(chunks[0].text, f1); // the blank line inside the body does not split it
    QCOMPARE(chunks[1].text, f2);
    QCOMPARE(chunks[1].lineStart, 8);
    QCOMPARE(chunks[1].lineEnd, 11);
}

void TestDocs::overlapRepeatsTheEndOfTheLastChunk()
{
    const QString text = paragraph(QStringLiteral("w"), 300);
    const Chunks chunks = chunkText(text, TextKind::Plain, {200, 40});
    QVERIFY(chunks.size() > 3);
    for (size_t i = 1; i < chunks.size(); ++i) {
        // The first word of each chunk was in the previous one, no more than the overlap back.
        const QString first = chunks[i].text.section(u' ', 0, 0);
        QVERIFY2(chunks[i - 1].text.contains(u' ' + first + u' ') || chunks[i - 1].text.endsWith(u' ' + first),
                 qPrintable(first));
        QVERIFY(chunks[i].byteStart < chunks[i - 1].byteEnd);
        QVERIFY(chunks[i - 1].byteEnd - chunks[i].byteStart <= 40);
    }
    // Every word is in some chunk.
    QString all;
    for (const Chunk& c : chunks)
        all += c.text + u' ';
    for (int i = 0; i < 300; ++i)
        QVERIFY(all.contains(QStringLiteral("w%1 ").arg(i)));
}

void TestDocs::positionsPointIntoTheFile()
{
    // Multi-byte characters before a chunk: byte offsets are UTF-8 offsets into the file.
    const QString text = QStringLiteral("Ünïcödé títle\n\nfirst paragraph ✓\n\n") + paragraph(QStringLiteral("zz"), 40);
    const QByteArray bytes = text.toUtf8();
    const Chunks chunks = chunkText(text, TextKind::Plain, {100, 0});
    QVERIFY(chunks.size() >= 2);
    for (const Chunk& c : chunks) {
        QCOMPARE(QString::fromUtf8(bytes.mid(c.byteStart, c.byteEnd - c.byteStart)), c.text);
        const QStringList lines = text.split(u'\n');
        QVERIFY(lines[c.lineStart - 1].contains(c.text.section(u'\n', 0, 0).left(5)));
    }
    QCOMPARE(chunks[0].lineStart, 1);
    QCOMPARE(chunks[0].lineEnd, 3);
}

void TestDocs::htmlDropsMarkupAndScripts()
{
    const QString html = QStringLiteral(
        "<html><head><title>T</title><script type=\"text/javascript\">if (a < b) { alert('x>y'); }</script>"
        "<style>p{color:red}</style></head><body><!-- hidden <p>comment</p> -->"
        "<h1>Main &amp; only</h1><p class=\"a>b\">Fish &lt;3 chips&#33; caf&eacute;&nbsp;now</p>"
        "<ul><li>one</li><li>two</li></ul><h2>Sub</h2><p>Body<br>next line</p><p>unclosed <b");
    const QString text = htmlToText(html);
    QVERIFY2(!text.contains(QStringLiteral("alert")) && !text.contains(QStringLiteral("color")) &&
                 !text.contains(QStringLiteral("comment")) && !text.contains(QStringLiteral("<b")) &&
                 !text.contains(QStringLiteral("<p")) && !text.contains(QStringLiteral("title")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("# Main & only")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Fish <3 chips! caf")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("- one\n- two")));
    QVERIFY(text.contains(QStringLiteral("Body\nnext line")));
    const Chunks chunks = chunkText(text, TextKind::Markdown, {});
    QCOMPARE(chunks.back().heading, QStringLiteral("Main & only > Sub"));
}
