#include "serving/server_form.h"

#include "core/app_paths.h"
#include "serving/window_server.h"
#include "ui/docs/embedding_choice.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
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
    , mEmbedding(new QComboBox(this))
    , mState(new QLabel(this))
{
    setObjectName("serverForm");
    mEnabled->setObjectName("serverEnabled");
    mHost->setObjectName("serverHost");
    mPort->setObjectName("serverPort");
    mKey->setObjectName("serverApiKey");
    mEmbedding->setObjectName("serverEmbeddingModel");
    mEmbedding->setToolTip(tr("The bert / nomic-bert model POST /v1/embeddings answers with. The one Edit > Documents "
                              "uses stays loaded once for both."));
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
    const QString documents = QFileInfo(mServer.documentsEmbeddingModel()).fileName();
    mEmbedding->addItem(documents.isEmpty() ? tr("As in Documents (none chosen)") : tr("As in Documents (%1)").arg(documents),
                        QString::fromLatin1(ServerSettings::kDocumentsEmbedding));
    mEmbedding->addItem(tr("None"), QString());
    for (const QString& path : installedEmbeddingModels(paths::modelsDir()))
        mEmbedding->addItem(QFileInfo(path).fileName(), path);
    if (const int at = mEmbedding->findData(s.embeddingModel); at >= 0)
        mEmbedding->setCurrentIndex(at);
    else // a model file that has gone: none
        mEmbedding->setCurrentIndex(1);

    auto* form = new QFormLayout(this);
    form->addRow(mEnabled);
    form->addRow(tr("Address:"), mHost);
    form->addRow(tr("Port:"), mPort);
    form->addRow(tr("API key:"), mKey);
    form->addRow(tr("Embeddings:"), mEmbedding);
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
    s.embeddingModel = mEmbedding->currentData().toString();
    return s;
}

bool ServerForm::apply()
{
    const ServerSettings s = settings();
    const ServerSettings before = ServerSettings::load();
    const bool same = s.enabled == before.enabled && s.host == before.host && s.port == before.port &&
                      s.apiKey == before.apiKey && s.embeddingModel == before.embeddingModel;
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
        const QString embedding = mServer.embeddingModel();
        mState->setText(tr("Serving %1 at %2").arg(model.isEmpty() ? tr("pictures only") : model, mServer.url()) +
                        (embedding.isEmpty() ? QString() : tr("\nEmbeddings: %1").arg(embedding)));
    } else {
        mState->setText(tr("Off."));
    }
}

} // namespace atelier::ui
