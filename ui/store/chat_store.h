#pragma once
// Conversations and their messages in the database. Messages form a tree: editing an earlier
// question or regenerating an answer adds a sibling, so every branch stays and can be shown again.
// Each finished message is committed the moment it is added.

#include "core/result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace atelier::store {

class Database;

// A LoRA adapter (a GGUF file in llama.cpp's adapter format) applied to the model, with its scale.
struct LoraChoice {
    QString path;
    double scale = 1.0; // 0: off; negative values subtract the adapter
    bool operator==(const LoraChoice&) const = default;
};

// The most chunks a question may take from its documents (each is up to a few thousand characters).
constexpr int kMostDocumentSources = 20;

// What a conversation remembers about how to answer; stored as JSON so new fields need no migration.
struct ChatSettings {
    QString modelPath;          // the GGUF file; empty: the default model
    QString systemPrompt;
    double temperature = 0.7;
    int topK = 40;              // 0: off
    double topP = 0.95;         // 1: off
    double minP = 0.05;         // 0: off
    double repeatPenalty = 1.0; // 1: off
    int repeatLastN = 64;       // tokens the penalty looks back over
    int maxTokens = 1024;       // per answer
    qint64 seed = -1;           // -1: a new random seed for each answer
    int contextLength = 4096;   // tokens; capped by the model's own
    QStringList documents;      // document collections the answers draw on (docs/; issue 21)
    int documentSources = 5;    // how many of their best chunks go with each question (top-k)
    QList<LoraChoice> loras;    // LoRA adapters on the model, in order (issue 20)

    QJsonObject toJson() const;
    static ChatSettings fromJson(const QJsonObject& json); // missing fields keep their defaults
    bool operator==(const ChatSettings&) const = default;
};

// Shown under an answer.
struct MessageStats {
    int promptTokens = 0;
    int generatedTokens = 0;
    double tokensPerSecond = 0;
    double firstTokenSeconds = 0;
    int droppedMessages = 0; // oldest turns left out because the context overflowed
    bool stopped = false;    // the user pressed Stop; the text is what was written until then
    QString model;           // file name of the model that wrote it

    QJsonObject toJson() const;
    static MessageStats fromJson(const QJsonObject& json);
    bool operator==(const MessageStats&) const = default;
};

struct StoredMessage {
    qint64 id = 0;
    qint64 conversationId = 0;
    qint64 parentId = 0; // 0: the conversation's first message
    QString role;        // "user" or "assistant"
    QString text;
    QDateTime created;
    MessageStats stats;
    QStringList pictures; // pictures shown with a question: file names in chatPicturesDir() (issue 22)
};

// Where the pictures of chat messages are kept (<data>/chat-pictures), each once, named by its
// content's hash; and the full path of one of them.
QString chatPicturesDir();
QString chatPicturePath(const QString& name);

struct Conversation {
    qint64 id = 0;
    QString title;
    QDateTime created;
    QDateTime updated;        // last activity: a message added, a rename, a settings change
    ChatSettings settings;
    qint64 currentLeafId = 0; // the last message of the branch on show; 0: no messages yet
};

class ChatStore {
public:
    explicit ChatStore(Database& db) : mDb(db) {}

    Result<Conversation> createConversation(const QString& title, const ChatSettings& settings);
    Result<Conversation> conversation(qint64 id) const;
    // Conversations not removed, most recent activity first. A non-empty `filter` keeps those whose
    // title or any message contains it (case-insensitive; % and _ are literal).
    Result<QList<Conversation>> conversations(const QString& filter = {}) const;
    Status rename(qint64 id, const QString& title);
    Status setSettings(qint64 id, const ChatSettings& settings);
    // Hides a conversation at once; restore() brings it back (undo) until purgeRemoved().
    Status remove(qint64 id);
    Status restore(qint64 id);
    Status purgeRemoved(); // deletes hidden conversations and their messages for good

    // Adds a finished message under `parentId` (0 for a first message) and commits it; it becomes
    // the current leaf and the conversation's activity time moves to now.
    Result<StoredMessage> addMessage(qint64 conversationId, qint64 parentId, const QString& role,
                                     const QString& text, const MessageStats& stats = {},
                                     const QStringList& pictures = {});
    // Every message of the conversation, every branch, in the order they were added.
    Result<QList<StoredMessage>> messages(qint64 conversationId) const;
    Status setCurrentLeaf(qint64 conversationId, qint64 messageId);

private:
    Database& mDb;
};

} // namespace atelier::store
