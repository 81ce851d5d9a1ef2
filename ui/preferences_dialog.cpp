#include "preferences_dialog.h"

#include "chat/chat_defaults.h"
#include "chat/chat_settings_form.h"
#include "serving/server_form.h"
#include "serving/window_server.h"

#include <QDialogButtonBox>
#include <QGroupBox>
#include <QLabel>
#include <QVBoxLayout>

namespace atelier::ui {

PreferencesDialog::PreferencesDialog(QWidget* parent) : QDialog(parent), mChat(new ChatSettingsForm(this))
{
    setObjectName("preferencesDialog");
    setWindowTitle(tr("Preferences"));
    mChat->setSettings(loadChatDefaults());

    auto* group = new QGroupBox(tr("New conversations"), this);
    auto* note = new QLabel(tr("Each conversation keeps its own copy of these; changing them here does not change "
                               "conversations that exist."),
                            group);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    auto* groupLayout = new QVBoxLayout(group);
    groupLayout->addWidget(note);
    groupLayout->addWidget(mChat);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(group);
    if (auto* server = parent ? parent->findChild<WindowServer*>() : nullptr) {
        mServer = new ServerForm(*server, this);
        layout->addWidget(mServer);
    }
    layout->addWidget(buttons);
}

void PreferencesDialog::accept()
{
    store::ChatSettings defaults = mChat->settings();
    defaults.modelPath = loadChatDefaults().modelPath;
    saveChatDefaults(defaults);
    if (mServer && !mServer->apply())
        return; // the form says why the server could not start
    QDialog::accept();
}

} // namespace atelier::ui
