#include "store/chat_export.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <QUrl>

namespace atelier::store {

namespace {

QString isoUtc(const QDateTime& time) { return time.toUTC().toString(Qt::ISODateWithMs); }

QString settingsLine(const ChatSettings& s)
{
    QStringList parts;
    parts << QStringLiteral("Model: %1").arg(s.modelPath.isEmpty() ? QStringLiteral("the default model")
                                                                   : QFileInfo(s.modelPath).fileName());
    parts << QStringLiteral("temperature %1").arg(s.temperature);
    parts << (s.topK > 0 ? QStringLiteral("top-k %1").arg(s.topK) : QStringLiteral("top-k off"));
    parts << (s.topP < 1 ? QStringLiteral("top-p %1").arg(s.topP) : QStringLiteral("top-p off"));
    parts << (s.minP > 0 ? QStringLiteral("min-p %1").arg(s.minP) : QStringLiteral("min-p off"));
    parts << (s.repeatPenalty != 1
                  ? QStringLiteral("repeat penalty %1 over %2 tokens").arg(s.repeatPenalty).arg(s.repeatLastN)
                  : QStringLiteral("repeat penalty off"));
    parts << QStringLiteral("at most %1 tokens per answer").arg(s.maxTokens);
    parts << (s.seed < 0 ? QStringLiteral("random seed") : QStringLiteral("seed %1").arg(s.seed));
    parts << QStringLiteral("context %1 tokens").arg(s.contextLength);
    return parts.join(QStringLiteral(" · "));
}

QString statsLine(const MessageStats& s)
{
    QStringList parts;
    if (!s.model.isEmpty())
        parts << s.model;
    if (s.generatedTokens > 0)
        parts << QStringLiteral("%1 tokens").arg(s.generatedTokens);
    if (s.tokensPerSecond > 0)
        parts << QStringLiteral("%1 tokens/s").arg(s.tokensPerSecond, 0, 'f', 1);
    if (s.droppedMessages > 0)
        parts << QStringLiteral("%1 earlier messages left out of the context").arg(s.droppedMessages);
    if (s.stopped)
        parts << QStringLiteral("stopped");
    return parts.isEmpty() ? QString() : QStringLiteral("*%1*").arg(parts.join(QStringLiteral(" · ")));
}

// The fence that closes a code block still open at the end of `text` (an answer stopped half-way
// through one), or empty. Without it every later message would render as code.
QString unclosedFence(const QString& text)
{
    QString open;
    for (const QString& line : text.split(QLatin1Char('\n'))) {
        const QString trimmed = line.trimmed();
        if (!trimmed.startsWith(QLatin1String("```")) && !trimmed.startsWith(QLatin1String("~~~")))
            continue;
        const QChar mark = trimmed[0];
        qsizetype length = 0;
        while (length < trimmed.size() && trimmed[length] == mark)
            ++length;
        const QString fence = trimmed.left(length);
        if (open.isEmpty())
            open = fence;
        else if (fence.startsWith(open) && trimmed.size() == length) // a closing fence has no info string
            open.clear();
    }
    return open;
}

} // namespace

QString exportMarkdown(const Conversation& conversation, const QList<StoredMessage>& path)
{
    QString title = conversation.title.simplified();
    QString out = QStringLiteral("# %1\n\n").arg(title.isEmpty() ? QStringLiteral("Conversation") : title);
    out += settingsLine(conversation.settings) + QStringLiteral("\n\n");
    if (!conversation.settings.systemPrompt.isEmpty())
        out += QStringLiteral("**System**\n\n%1\n\n").arg(conversation.settings.systemPrompt);
    for (const StoredMessage& message : path) {
        out += message.role == QLatin1String("user") ? QStringLiteral("**User**\n\n") : QStringLiteral("**Assistant**\n\n");
        for (const QString& picture : message.pictures) // the stored file, as an image link
            out += QStringLiteral("![%1](%2)\n\n").arg(picture, QUrl::fromLocalFile(chatPicturePath(picture)).toString());
        out += message.text;
        if (!message.text.endsWith(QLatin1Char('\n')))
            out += QLatin1Char('\n');
        if (const QString fence = unclosedFence(message.text); !fence.isEmpty())
            out += fence + QLatin1Char('\n');
        if (const QString stats = statsLine(message.stats); !stats.isEmpty() && message.role != QLatin1String("user"))
            out += QLatin1Char('\n') + stats + QLatin1Char('\n');
        out += QLatin1Char('\n');
    }
    return out;
}

QByteArray exportJson(const Conversation& conversation, const QList<StoredMessage>& path)
{
    QJsonArray messages;
    for (const StoredMessage& message : path) {
        QJsonObject json{
            {"role", message.role},
            {"content", message.text},
            {"created", isoUtc(message.created)},
            {"stats", message.stats.toJson()},
        };
        if (!message.pictures.isEmpty()) {
            QJsonArray pictures;
            for (const QString& picture : message.pictures)
                pictures.append(chatPicturePath(picture));
            json.insert(QStringLiteral("pictures"), pictures);
        }
        messages.append(json);
    }
    const QJsonObject root{
        {"title", conversation.title},
        {"created", isoUtc(conversation.created)},
        {"updated", isoUtc(conversation.updated)},
        {"settings", conversation.settings.toJson()},
        {"messages", messages},
    };
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace atelier::store
