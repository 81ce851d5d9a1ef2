#pragma once
// Preferences > Server: the switch that starts and stops the window's OpenAI-compatible server,
// its address, port and API key, the embedding model for /v1/embeddings (the Documents dialog's by
// default), and what it serves (or why it could not start).

#include <QGroupBox>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace atelier::ui {

class WindowServer;
struct ServerSettings;

class ServerForm : public QGroupBox {
    Q_OBJECT
public:
    ServerForm(WindowServer& server, QWidget* parent = nullptr);
    ServerSettings settings() const;
    // Starts, restarts or stops the server as the form says; false (the reason on show) when it failed.
    bool apply();

private:
    void showState();

    WindowServer& mServer;
    QCheckBox* mEnabled = nullptr;
    QLineEdit* mHost = nullptr;
    QSpinBox* mPort = nullptr;
    QLineEdit* mKey = nullptr;
    QComboBox* mEmbedding = nullptr; // data: ServerSettings::embeddingModel
    QLabel* mState = nullptr;
};

} // namespace atelier::ui
