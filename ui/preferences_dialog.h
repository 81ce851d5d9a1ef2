#pragma once
// Edit > Preferences: the settings new conversations start with.

#include <QDialog>

namespace atelier::ui {

class ChatSettingsForm;

class PreferencesDialog : public QDialog {
    Q_OBJECT
public:
    explicit PreferencesDialog(QWidget* parent = nullptr);
    void accept() override; // saves

private:
    ChatSettingsForm* mChat = nullptr;
};

} // namespace atelier::ui
