#pragma once
// The remote chat models the user added (Chat's model picker, Open… > Remote model…): endpoint URL, API key and
// model id, kept in QSettings under "remoteModels" (the key in the settings file, as other
// OpenAI clients keep theirs; never in the database or an export).

#include "chat/remote_engine.h"

#include <QList>
#include <QString>

class QComboBox;

#include <optional>

namespace atelier::ui {

QList<RemoteEndpoint> savedRemoteModels();
// Adds the endpoint, or replaces the saved one with the same model path (a new key).
void saveRemoteModel(const RemoteEndpoint& endpoint);
void forgetRemoteModel(const QString& modelPath);
// The saved endpoint, key included, for a conversation's model path; nothing when it is not remote.
std::optional<RemoteEndpoint> remoteModel(const QString& modelPath);

// The model picker's part: the saved remote models as combo entries (data: the model path) after
// the files, and the status line for one ("" when the path is not remote).
void addRemoteModels(QComboBox& combo);
QString describeRemoteModel(const QString& modelPath);

} // namespace atelier::ui
