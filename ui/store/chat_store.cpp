#include "store/chat_store.h"

#include "store/database.h"
#include "store/sql.h"

#include "core/app_paths.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>

namespace atelier::store {

namespace {

const QString kConversationColumns =
    QStringLiteral("id, title, created, updated, settings, current_leaf_id");
const QString kMessageColumns = QStringLiteral("id, conversation_id, parent_id, role, text, created, stats");

QDateTime fromMs(qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms); }

// A null QString binds as SQL NULL; the text columns are NOT NULL.
QString nonNull(const QString& text) { return text.isNull() ? QString("") : text; }

QString jsonText(const QJsonObject& json) { return QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)); }

// Unreadable JSON gives an empty object, so the defaults apply rather than the row being lost.
QJsonObject parseJson(const QString& text) { return QJsonDocument::fromJson(text.toUtf8()).object(); }

QVariant idOrNull(qint64 id) { return id == 0 ? QVariant(QMetaType::fromType<qint64>()) : QVariant(id); }

Conversation readConversation(const QSqlQuery& query)
{
    Conversation conversation;
    conversation.id = query.value(0).toLongLong();
    conversation.title = query.value(1).toString();
    conversation.created = fromMs(query.value(2).toLongLong());
    conversation.updated = fromMs(query.value(3).toLongLong());
    conversation.settings = ChatSettings::fromJson(parseJson(query.value(4).toString()));
    conversation.currentLeafId = query.value(5).toLongLong(); // NULL reads as 0
    return conversation;
}

StoredMessage readMessage(const QSqlQuery& query)
{
    StoredMessage message;
    message.id = query.value(0).toLongLong();
    message.conversationId = query.value(1).toLongLong();
    message.parentId = query.value(2).toLongLong();
    message.role = query.value(3).toString();
    message.text = query.value(4).toString();
    message.created = fromMs(query.value(5).toLongLong());
    const QJsonObject json = parseJson(query.value(6).toString());
    message.stats = MessageStats::fromJson(json);
    for (const QJsonValue& name : json.value(QLatin1String("pictures")).toArray()) // beside the stats
        if (name.isString() && !name.toString().isEmpty())
            message.pictures << name.toString();
    return message;
}

// The message column's JSON: its stats, and the file names of its pictures when it has any.
QString messageJson(const MessageStats& stats, const QStringList& pictures)
{
    QJsonObject json = stats.toJson();
    if (!pictures.isEmpty())
        json.insert(QStringLiteral("pictures"), QJsonArray::fromStringList(pictures));
    return jsonText(json);
}

Error noConversation(const Database& db, qint64 id)
{
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("There is no conversation %1 in %2.").arg(id).arg(db.path()).toStdString());
}

Error notInConversation(const Database& db, qint64 messageId, qint64 conversationId)
{
    return makeError(ErrorCode::InvalidArgument, QStringLiteral("Message %1 is not in conversation %2 of %3.")
                                                     .arg(messageId)
                                                     .arg(conversationId)
                                                     .arg(db.path())
                                                     .toStdString());
}

// The time a change to a conversation is stamped with: now, but always later than every
// conversation's last activity, so "most recent first" holds for two changes in one millisecond.
Result<qint64> activityStamp(Database& db, const QString& what)
{
    ATELIER_ASSIGN(const QVariant stamp,
                   scalar(db, what, QStringLiteral("SELECT max(?, coalesce(max(updated), 0) + 1) FROM conversations"),
                          {QDateTime::currentMSecsSinceEpoch()}));
    return stamp.toLongLong();
}

// Runs an UPDATE of one conversation row: an error when no row has `id`.
Status updateConversation(Database& db, qint64 id, const QString& what, const QString& sql,
                          const QVariantList& values)
{
    ATELIER_ASSIGN(const QSqlQuery query, execute(db, what, sql, values));
    if (query.numRowsAffected() == 0)
        return noConversation(db, id);
    return {};
}

// Stamps the conversation's activity and sets `assignments` ("title = ?, ...") in one transaction.
Status touchConversation(Database& db, qint64 id, const QString& what, const QString& assignments,
                         QVariantList values)
{
    ATELIER_ASSIGN(WriteTransaction transaction, WriteTransaction::begin(db, what));
    ATELIER_ASSIGN(const qint64 stamp, activityStamp(db, what));
    values << stamp << id;
    ATELIER_TRY(updateConversation(db, id, what,
                                   QStringLiteral("UPDATE conversations SET %1, updated = ? WHERE id = ?").arg(assignments),
                                   values));
    return transaction.commit();
}

} // namespace

QString chatPicturesDir() { return paths::dataDir() + QStringLiteral("/chat-pictures"); }
QString chatPicturePath(const QString& name) { return chatPicturesDir() + QLatin1Char('/') + name; }

Result<Conversation> ChatStore::createConversation(const QString& title, const ChatSettings& settings)
{
    const QString what = QStringLiteral("create the conversation");
    ATELIER_ASSIGN(WriteTransaction transaction, WriteTransaction::begin(mDb, what));
    ATELIER_ASSIGN(const qint64 stamp, activityStamp(mDb, what));
    ATELIER_ASSIGN(const QSqlQuery insert,
                   execute(mDb, what,
                           QStringLiteral("INSERT INTO conversations (title, title_folded, created, updated, settings) "
                                          "VALUES (?, ?, ?, ?, ?)"),
                           {nonNull(title), nonNull(title.toCaseFolded()), stamp, stamp, jsonText(settings.toJson())}));
    Conversation conversation;
    conversation.id = insert.lastInsertId().toLongLong();
    conversation.title = nonNull(title);
    conversation.created = fromMs(stamp);
    conversation.updated = conversation.created;
    conversation.settings = settings;
    ATELIER_TRY(transaction.commit());
    return conversation;
}

Result<Conversation> ChatStore::conversation(qint64 id) const
{
    const QString what = QStringLiteral("read conversation %1").arg(id);
    ATELIER_ASSIGN(QSqlQuery query,
                   execute(mDb, what, QStringLiteral("SELECT %1 FROM conversations WHERE id = ?").arg(kConversationColumns),
                           {id}));
    if (query.next())
        return readConversation(query);
    if (query.lastError().isValid())
        return sqlError(mDb, what, query.lastError());
    return noConversation(mDb, id);
}

Result<QList<Conversation>> ChatStore::conversations(const QString& filter) const
{
    const QString what = QStringLiteral("list the conversations");
    QString sql = QStringLiteral("SELECT %1 FROM conversations AS c WHERE removed IS NULL").arg(kConversationColumns);
    QVariantList values;
    if (!filter.isEmpty()) {
        // instr() on the case-folded copies: a literal substring match, so % and _ mean themselves.
        sql += QStringLiteral(" AND (instr(title_folded, ?) > 0 OR EXISTS (SELECT 1 FROM messages AS m "
                              "WHERE m.conversation_id = c.id AND instr(m.text_folded, ?) > 0))");
        const QString needle = filter.toCaseFolded();
        values << needle << needle;
    }
    sql += QStringLiteral(" ORDER BY updated DESC, id DESC");
    ATELIER_ASSIGN(QSqlQuery query, execute(mDb, what, sql, values));
    QList<Conversation> found;
    while (query.next())
        found << readConversation(query);
    if (query.lastError().isValid())
        return sqlError(mDb, what, query.lastError());
    return found;
}

Status ChatStore::rename(qint64 id, const QString& title)
{
    return touchConversation(mDb, id, QStringLiteral("rename conversation %1").arg(id),
                             QStringLiteral("title = ?, title_folded = ?"),
                             {nonNull(title), nonNull(title.toCaseFolded())});
}

Status ChatStore::setSettings(qint64 id, const ChatSettings& settings)
{
    return touchConversation(mDb, id, QStringLiteral("save the settings of conversation %1").arg(id),
                             QStringLiteral("settings = ?"), {jsonText(settings.toJson())});
}

Status ChatStore::remove(qint64 id)
{
    // coalesce: removing twice keeps the first time, and still counts as a row found.
    return updateConversation(mDb, id, QStringLiteral("remove conversation %1").arg(id),
                              QStringLiteral("UPDATE conversations SET removed = coalesce(removed, ?) WHERE id = ?"),
                              {QDateTime::currentMSecsSinceEpoch(), id});
}

Status ChatStore::restore(qint64 id)
{
    return updateConversation(mDb, id, QStringLiteral("restore conversation %1").arg(id),
                              QStringLiteral("UPDATE conversations SET removed = NULL WHERE id = ?"), {id});
}

Status ChatStore::purgeRemoved()
{
    // Their messages go with them: ON DELETE CASCADE (foreign_keys is on for every connection).
    ATELIER_TRY(execute(mDb, QStringLiteral("delete the removed conversations"),
                        QStringLiteral("DELETE FROM conversations WHERE removed IS NOT NULL")));
    return {};
}

Result<StoredMessage> ChatStore::addMessage(qint64 conversationId, qint64 parentId, const QString& role,
                                            const QString& text, const MessageStats& stats,
                                            const QStringList& pictures)
{
    if (role != QLatin1String("user") && role != QLatin1String("assistant")) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("A message's role is \"user\" or \"assistant\", not \"%1\".").arg(role).toStdString());
    }
    const QString what = QStringLiteral("add the message to conversation %1").arg(conversationId);
    ATELIER_ASSIGN(WriteTransaction transaction, WriteTransaction::begin(mDb, what));
    if (parentId != 0) {
        ATELIER_ASSIGN(QSqlQuery parent, execute(mDb, what, QStringLiteral("SELECT conversation_id FROM messages WHERE id = ?"),
                                                 {parentId}));
        if (!parent.next() || parent.value(0).toLongLong() != conversationId) {
            if (parent.lastError().isValid())
                return sqlError(mDb, what, parent.lastError());
            return notInConversation(mDb, parentId, conversationId);
        }
    }
    ATELIER_ASSIGN(const qint64 stamp, activityStamp(mDb, what));

    StoredMessage message;
    message.conversationId = conversationId;
    message.parentId = parentId;
    message.role = role;
    message.text = nonNull(text);
    message.created = fromMs(QDateTime::currentMSecsSinceEpoch());
    message.stats = stats;
    message.pictures = pictures;
    // The conversation row first: a missing one fails here, before a message without a home exists.
    ATELIER_TRY(updateConversation(mDb, conversationId, what,
                                   QStringLiteral("UPDATE conversations SET updated = ? WHERE id = ?"),
                                   {stamp, conversationId}));
    ATELIER_ASSIGN(const QSqlQuery insert,
                   execute(mDb, what,
                           QStringLiteral("INSERT INTO messages (conversation_id, parent_id, role, text, text_folded, "
                                          "created, stats) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                           {conversationId, idOrNull(parentId), role, message.text, nonNull(text.toCaseFolded()),
                            message.created.toMSecsSinceEpoch(), messageJson(stats, pictures)}));
    message.id = insert.lastInsertId().toLongLong();
    ATELIER_TRY(execute(mDb, what, QStringLiteral("UPDATE conversations SET current_leaf_id = ? WHERE id = ?"),
                        {message.id, conversationId}));
    ATELIER_TRY(transaction.commit());
    return message;
}

Result<QList<StoredMessage>> ChatStore::messages(qint64 conversationId) const
{
    const QString what = QStringLiteral("read the messages of conversation %1").arg(conversationId);
    ATELIER_ASSIGN(QSqlQuery query,
                   execute(mDb, what,
                           QStringLiteral("SELECT %1 FROM messages WHERE conversation_id = ? ORDER BY id").arg(kMessageColumns),
                           {conversationId}));
    QList<StoredMessage> found;
    while (query.next())
        found << readMessage(query);
    if (query.lastError().isValid())
        return sqlError(mDb, what, query.lastError());
    if (found.isEmpty())
        ATELIER_TRY(conversation(conversationId)); // none yet, or no such conversation
    return found;
}

Status ChatStore::setCurrentLeaf(qint64 conversationId, qint64 messageId)
{
    const QString what = QStringLiteral("show message %1 of conversation %2").arg(messageId).arg(conversationId);
    ATELIER_ASSIGN(const QSqlQuery update,
                   execute(mDb, what,
                           QStringLiteral("UPDATE conversations SET current_leaf_id = ? WHERE id = ? AND (? = 0 OR "
                                          "EXISTS (SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?))"),
                           {idOrNull(messageId), conversationId, messageId, messageId, conversationId}));
    if (update.numRowsAffected() > 0)
        return {};
    ATELIER_TRY(conversation(conversationId));
    return notInConversation(mDb, messageId, conversationId);
}

} // namespace atelier::store
