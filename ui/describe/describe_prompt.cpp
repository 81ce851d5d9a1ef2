#include "describe/describe_prompt.h"

#include <QRegularExpression>
#include <QStringList>

namespace atelier::ui {

QString describeInstruction()
{
    return QStringLiteral(
        "Write a Stable Diffusion prompt for this picture: one line of short comma-separated keywords "
        "naming the subject, the style or medium, the main colours, the lighting and the composition. "
        "Write only the keywords: no sentences about the picture, no introduction.");
}

llm::GenerationSettings describeSettings()
{
    llm::GenerationSettings settings;
    settings.sampling.temperature = 0;
    settings.sampling.repeatPenalty = 1.1f;
    settings.sampling.seed = 0;
    settings.maxTokens = 96;
    return settings;
}

bool cutShort(const llm::GenerationStats& stats)
{
    return !stats.stoppedByUser && stats.generatedTokens >= describeSettings().maxTokens;
}

QString promptFromAnswer(const QString& answer, bool cutShort)
{
    static const QRegularExpression introduction(
        QStringLiteral("^(?:(?:here(?:'s| is)|sure)[^:\\n]*|(?:stable diffusion )?prompt|keywords)\\s*:\\s*"),
        QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression listMarker(QStringLiteral("^(?:[-*•]|\\d+[.)])\\s+"));
    static const QRegularExpression spaces(QStringLiteral("\\s+"));
    static const QRegularExpression emptyPhrases(QStringLiteral("(?:\\s*,)+"));

    QStringList lines = answer.split(u'\n');
    // A first line that only introduces the list ("Here is a prompt:") goes.
    if (lines.size() > 1 && lines.first().trimmed().endsWith(u':'))
        lines.removeFirst();
    QStringList phrases;
    for (QString line : std::as_const(lines)) {
        line = line.trimmed();
        line.remove(introduction);
        line.remove(listMarker);
        line.remove(QStringLiteral("**"));
        line.remove(u'`');
        line = line.trimmed();
        while (line.endsWith(u',') || line.endsWith(u'.') || line.endsWith(u';'))
            line.chop(1);
        if (!line.isEmpty())
            phrases << line;
    }
    QString prompt = phrases.join(QStringLiteral(", "));
    prompt.replace(spaces, QStringLiteral(" "));
    prompt.replace(emptyPhrases, QStringLiteral(","));
    prompt.replace(QStringLiteral(","), QStringLiteral(", "));
    prompt.replace(QStringLiteral(",  "), QStringLiteral(", "));
    prompt = prompt.trimmed();
    // Quotes around the whole answer.
    const std::pair<QChar, QChar> quotes[] = {{u'"', u'"'}, {u'\'', u'\''}, {QChar(0x201C), QChar(0x201D)}};
    for (const auto& [open, close] : quotes) {
        if (prompt.size() >= 2 && prompt.front() == open && prompt.back() == close)
            prompt = prompt.mid(1, prompt.size() - 2).trimmed();
    }
    while (prompt.startsWith(u',') || prompt.endsWith(u',') || prompt.endsWith(u'.'))
        prompt = (prompt.startsWith(u',') ? prompt.mid(1) : prompt.chopped(1)).trimmed();
    if (const qsizetype lastComma = prompt.lastIndexOf(u','); cutShort && lastComma > 0)
        prompt = prompt.left(lastComma).trimmed();
    return prompt;
}

Result<std::string> describePicture(llm::ChatSession& session, llm::PictureRef picture,
                                    const std::function<bool(std::string_view)>& onText, llm::GenerationStats* stats)
{
    if (!session.readsPictures())
        return makeError(ErrorCode::Unsupported, "the model has no vision projector to read the picture with");
    ATELIER_TRY(session.setAdapters({}));
    session.setSystemPrompt({});
    std::vector<llm::ChatMessage> messages;
    messages.push_back({"user", describeInstruction().toStdString(), {}, {std::move(picture)}});
    session.setMessages(std::move(messages));
    return session.answer(describeSettings(), onText, stats);
}

} // namespace atelier::ui
