#include "chat/remote_model_dialog.h"

#include "chat/remote_models.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPushButton>
#include <QVBoxLayout>

namespace atelier::ui {

namespace {
QUrl baseUrl(const QString& text)
{
    QString t = text.trimmed();
    while (t.endsWith('/'))
        t.chop(1);
    const QUrl url(t);
    return (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https")) && !url.host().isEmpty() ? url : QUrl();
}
} // namespace

RemoteModelDialog::RemoteModelDialog(QWidget* parent)
    : QDialog(parent)
    , mUrl(new QLineEdit(this))
    , mKey(new QLineEdit(this))
    , mModel(new QComboBox(this))
    , mList(new QPushButton(tr("List models"), this))
    , mStatus(new QLabel(this))
    , mNetwork(new QNetworkAccessManager(this))
{
    setObjectName("remoteModelDialog");
    setWindowTitle(tr("Remote chat model"));
    mUrl->setObjectName("remoteUrl");
    mKey->setObjectName("remoteKey");
    mModel->setObjectName("remoteModel");
    mList->setObjectName("remoteListModels");
    mStatus->setObjectName("remoteStatus");
    mUrl->setPlaceholderText(QStringLiteral("http://127.0.0.1:8080/v1"));
    mUrl->setToolTip(tr("The address of an OpenAI-compatible API, up to /v1: llama.cpp's server, Ollama "
                        "(http://localhost:11434/v1), vLLM, another Atelier (atelier serve) or a hosted service."));
    mKey->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    mKey->setPlaceholderText(tr("none"));
    mModel->setEditable(true);
    mModel->setMinimumContentsLength(24);
    mStatus->setWordWrap(true);
    setMinimumWidth(520);
    mStatus->setText(tr("Questions and answers of conversations with this model go to this address."));

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    mOk = buttons->button(QDialogButtonBox::Ok);
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(mModel, 1);
    modelRow->addWidget(mList);
    auto* form = new QFormLayout;
    form->addRow(tr("URL:"), mUrl);
    form->addRow(tr("API key:"), mKey);
    form->addRow(tr("Model:"), modelRow);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(mStatus);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(mList, &QPushButton::clicked, this, &RemoteModelDialog::listModels);
    connect(mUrl, &QLineEdit::textChanged, this, &RemoteModelDialog::updateButtons);
    connect(mModel, &QComboBox::currentTextChanged, this, &RemoteModelDialog::updateButtons);
    updateButtons();
}

RemoteEndpoint RemoteModelDialog::endpoint() const
{
    return {baseUrl(mUrl->text()), mKey->text().trimmed(), mModel->currentText().trimmed()};
}

void RemoteModelDialog::updateButtons()
{
    const bool url = baseUrl(mUrl->text()).isValid();
    mList->setEnabled(url && !mReply);
    mOk->setEnabled(url && !mModel->currentText().trimmed().isEmpty());
}

void RemoteModelDialog::listModels()
{
    QNetworkRequest request(QUrl(baseUrl(mUrl->text()).toString() + "/models"));
    if (!mKey->text().trimmed().isEmpty())
        request.setRawHeader("Authorization", "Bearer " + mKey->text().trimmed().toUtf8());
    mStatus->setText(tr("Asking %1…").arg(request.url().toString()));
    mReply = mNetwork->get(request);
    updateButtons();
    connect(mReply, &QNetworkReply::finished, this, [this, reply = mReply.data()] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
        mReply.clear();
        updateButtons();
        if (status != 200) {
            const QString why = body.value("error").toObject().value("message").toString();
            mStatus->setText(tr("Could not list the models: %1")
                                 .arg(!why.isEmpty() ? why : status ? tr("the server answered %1").arg(status) : reply->errorString()));
            return;
        }
        const QString typed = mModel->currentText();
        mModel->clear();
        for (const QJsonValue& m : body.value("data").toArray()) {
            const QJsonObject model = m.toObject();
            if (model.value("kind").toString("chat") == QLatin1String("chat")) // Atelier's servers say which are for pictures
                mModel->addItem(model.value("id").toString());
        }
        if (!typed.isEmpty() && mModel->findText(typed) >= 0)
            mModel->setCurrentText(typed);
        mStatus->setText(mModel->count() == 1 ? tr("1 chat model there.") : tr("%1 chat models there.").arg(mModel->count()));
    });
}

void RemoteModelDialog::accept()
{
    saveRemoteModel(endpoint());
    QDialog::accept();
}

} // namespace atelier::ui
