#include "chat/message_body.h"

#include "chat/code_block.h"

#include <QLabel>
#include <QVBoxLayout>

namespace atelier::ui {

MessageBody::MessageBody(QWidget* parent) : QWidget(parent), mLayout(new QVBoxLayout(this))
{
    mLayout->setContentsMargins(0, 0, 0, 0);
    mLayout->setSpacing(6);
}

void MessageBody::setMarkdown(const QString& markdown)
{
    if (markdown == mMarkdown && !mWidgets.isEmpty())
        return;
    mMarkdown = markdown;
    const QList<MarkdownBlock> blocks = splitMarkdown(markdown);
    for (qsizetype i = 0; i < blocks.size(); ++i) {
        QWidget* existing = i < mWidgets.size() ? mWidgets[i] : nullptr;
        if (existing && i < mBlocks.size() && mBlocks[i] == blocks[i])
            continue;
        QWidget* widget = widgetFor(blocks[i], existing);
        if (widget != existing) {
            if (existing) {
                mLayout->replaceWidget(existing, widget);
                existing->deleteLater();
                mWidgets[i] = widget;
            } else {
                mLayout->addWidget(widget);
                mWidgets.append(widget);
            }
        }
    }
    while (mWidgets.size() > blocks.size()) {
        QWidget* extra = mWidgets.takeLast();
        mLayout->removeWidget(extra);
        extra->deleteLater();
    }
    mBlocks = blocks;
}

QWidget* MessageBody::widgetFor(const MarkdownBlock& block, QWidget* existing)
{
    if (block.kind == MarkdownBlock::Kind::Code) {
        auto* code = qobject_cast<CodeBlock*>(existing);
        if (!code)
            code = new CodeBlock(this);
        code->setCode(block.text, block.language);
        return code;
    }
    auto* prose = qobject_cast<QLabel*>(existing);
    if (!prose) {
        prose = new QLabel(this);
        prose->setObjectName("messageProse");
        prose->setTextFormat(Qt::MarkdownText);
        prose->setWordWrap(true);
        prose->setOpenExternalLinks(true);
        prose->setTextInteractionFlags(Qt::TextBrowserInteraction);
        prose->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    }
    prose->setText(block.text);
    return prose;
}

} // namespace atelier::ui
