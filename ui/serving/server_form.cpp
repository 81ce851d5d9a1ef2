#include "serving/server_form.h"

#include "serving/window_server.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>

namespace atelier::ui {

ServerForm::ServerForm(WindowServer& server, QWidget* parent)
    : QGroupBox(tr("Server"), parent)
    , mServer(server)
    , mEnabled(new QCheckBox(tr("Let other programs use Atelier's models (OpenAI-compatible API)"), this))
    , mHost(new QLineEdit(this))
    , mPort(new QSpinBox(this))
    , mKey(new QLineEdit(this))
    , mState(new QLabel(this))
{
    setObjectName("serverForm");
    mEnabled->setObjectName("serverEnabled");
    mHost->setObjectName("serverHost");
    mPort->setObjectName("serverPort");
    mKey->setObjectName("serverApiKey");
    mState->setObjectName("serverState");
    mHost->setToolTip(tr("127.0.0.1 serves this computer only. Any other address (0.0.0.0 for every network) "
                         "needs an API key."));
    mPort->setRange(0, 65535);
    mPort->setSpecialValueText(tr("any free port"));
    mKey->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    mKey->setPlaceholderText(tr("none (this computer only)"));
    mKey->setToolTip(tr("Clients send it as \"Authorization: Bearer KEY\"."));
    mState->setWordWrap(true);
    mState->setTextInteractionFlags(Qt::TextSelectableByMouse);

    const ServerSettings s = ServerSettings::load();
    mEnabled->setChecked(s.enabled);
    mHost->setText(s.host);
    mPort->setValue(s.port);
    mKey->setText(s.apiKey);

    auto* form = new QFormLayout(this);
    form->addRow(mEnabled);
    form->addRow(tr("Address:"), mHost);
    form->addRow(tr("Port:"), mPort);
    form->addRow(tr("API key:"), mKey);
    form->addRow(mState);
    connect(&mServer, &WindowServer::stateChanged, this, &ServerForm::showState);
    showState();
}

ServerSettings ServerForm::settings() const
{
    ServerSettings s;
    s.enabled = mEnabled->isChecked();
    s.host = mHost->text().trimmed();
    s.port = mPort->value();
    s.apiKey = mKey->text();
    return s;
}

bool ServerForm::apply()
{
    const ServerSettings s = settings();
    const ServerSettings before = ServerSettings::load();
    const bool same = s.enabled == before.enabled && s.host == before.host && s.port == before.port && s.apiKey == before.apiKey;
    if (same && s.enabled == mServer.running())
        return true; // nothing changed: keep serving without dropping clients
    return mServer.apply(s).ok();
}

void ServerForm::showState()
{
    if (!mServer.error().isEmpty()) {
        mState->setText(tr("Could not start: %1").arg(mServer.error()));
    } else if (mServer.running()) {
        const QString model = mServer.chatModel();
        mState->setText(tr("Serving %1 at %2").arg(model.isEmpty() ? tr("pictures only") : model, mServer.url()));
    } else {
        mState->setText(tr("Off."));
    }
}

} // namespace atelier::ui
