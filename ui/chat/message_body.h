#pragma once
// A message's text as the reader sees it: prose rendered from Markdown (headings, lists, tables,
// inline code, links) and fenced code in CodeBlocks. Updating the text while an answer streams in
// reuses the blocks already shown, so the view does not flicker.

#include "chat/markdown_blocks.h"

#include <QWidget>

class QVBoxLayout;

namespace atelier::ui {

class MessageBody : public QWidget {
    Q_OBJECT
public:
    explicit MessageBody(QWidget* parent = nullptr);

    void setMarkdown(const QString& markdown);
    const QString& markdown() const { return mMarkdown; }

private:
    QWidget* widgetFor(const MarkdownBlock& block, QWidget* existing);

    QString mMarkdown;
    QList<MarkdownBlock> mBlocks;
    QList<QWidget*> mWidgets;
    QVBoxLayout* mLayout = nullptr;
};

} // namespace atelier::ui
