#include "create/prompt_highlighter.h"

#include "diffusion/lora_prompt.h"
#include "diffusion/prompt_weights.h"

#include <QPalette>
#include <QTextDocument>

#include <algorithm>

namespace atelier::ui {

PromptHighlighter::PromptHighlighter(QTextDocument* document)
    : QSyntaxHighlighter(document)
{
}

void PromptHighlighter::highlightBlock(const QString& text)
{
    // Groups may span lines, so the whole prompt is parsed and this block's part of it coloured.
    const QString prompt = document()->toPlainText();
    const qsizetype blockStart = currentBlock().position();
    const qsizetype blockEnd = blockStart + text.size();
    for (const diffusion::PromptSyntaxSpan& span : diffusion::promptSyntax(prompt)) {
        const qsizetype start = std::max(span.start, blockStart);
        const qsizetype end = std::min(span.start + span.length, blockEnd);
        if (start >= end)
            continue;
        QTextCharFormat format;
        switch (span.kind) {
        case diffusion::PromptSyntax::Group: {
            // Up-weighted groups warm, down-weighted cool, the stronger the deeper.
            const double strength = std::min(1.0, std::abs(span.weight - 1.0) * 2.0);
            const QColor tint = span.weight >= 1.0 ? QColor(255, 150, 60) : QColor(80, 150, 255);
            QColor background = tint;
            background.setAlphaF(float(0.12 + 0.25 * strength));
            format.setBackground(background);
            break;
        }
        case diffusion::PromptSyntax::Weight:
            format.setForeground(QColor(200, 90, 0));
            format.setFontWeight(QFont::Bold);
            break;
        case diffusion::PromptSyntax::Escape:
            format.setForeground(QColor(120, 120, 120));
            break;
        case diffusion::PromptSyntax::Break:
            format.setForeground(QColor(150, 60, 200));
            format.setFontWeight(QFont::Bold);
            break;
        case diffusion::PromptSyntax::Stray:
            format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
            format.setUnderlineColor(Qt::red);
            break;
        }
        // Later (nested) spans add to what earlier ones set.
        QTextCharFormat merged = this->format(int(start - blockStart));
        merged.merge(format);
        setFormat(int(start - blockStart), int(end - start), merged);
    }
    // LoRA tags are taken out before the weighting is read, so they replace what it set.
    for (const diffusion::LoraTag& tag : diffusion::extractLoraTags(prompt).loras) {
        const qsizetype start = std::max(tag.start, blockStart);
        const qsizetype end = std::min(tag.start + tag.length, blockEnd);
        if (start >= end)
            continue;
        QTextCharFormat format;
        format.setBackground(QColor(60, 170, 90, 60));
        format.setForeground(QColor(20, 120, 60));
        if (!tag.valid) {
            format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
            format.setUnderlineColor(Qt::red);
        }
        setFormat(int(start - blockStart), int(end - start), format);
        // the name, after "<lora:"
        const qsizetype nameStart = std::max(tag.start + 6, blockStart);
        const qsizetype nameEnd = std::min(tag.start + 6 + qsizetype(tag.name.size()), blockEnd);
        if (nameStart < nameEnd) {
            format.setFontWeight(QFont::Bold);
            setFormat(int(nameStart - blockStart), int(nameEnd - nameStart), format);
        }
    }
}

} // namespace atelier::ui
