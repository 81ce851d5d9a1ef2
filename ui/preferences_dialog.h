#pragma once
// Edit > Preferences: the settings new conversations start with, and the window's API server.

#include <QDialog>

namespace atelier::ui {

class ChatSettingsForm;
class ServerForm;

class PreferencesDialog : public QDialog {
    Q_OBJECT
public:
    explicit PreferencesDialog(QWidget* parent = nullptr);
    void accept() override; // saves

private:
    ChatSettingsForm* mChat = nullptr;
    ServerForm* mServer = nullptr; // when the parent window has a WindowServer
};

} // namespace atelier::ui
