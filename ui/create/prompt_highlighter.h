#pragma once
// Colours A1111's prompt syntax as the user types: (emphasis:1.2) groups tinted by how much they
// weigh, their numbers, escapes, BREAK, brackets that close nothing, and <lora:NAME:WEIGHT> tags
// (green, the name bold; a weight that is no number underlined in red).

#include <QSyntaxHighlighter>

namespace atelier::ui {

class PromptHighlighter : public QSyntaxHighlighter {
    Q_OBJECT
public:
    explicit PromptHighlighter(QTextDocument* document);

protected:
    void highlightBlock(const QString& text) override;
};

} // namespace atelier::ui
