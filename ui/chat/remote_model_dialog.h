#pragma once
// Chat's model picker, Open… > Remote model…: a chat model behind an OpenAI-compatible endpoint. The user gives
// the URL (".../v1") and, when the service needs one, a key; "List models" asks GET /models for
// the ids to choose from. OK saves it (remote_models.h) for the picker.

#include "chat/remote_engine.h"

#include <QDialog>
#include <QPointer>

class QComboBox;
class QLabel;
class QLineEdit;
class QNetworkAccessManager;
class QNetworkReply;
class QPushButton;

namespace atelier::ui {

class RemoteModelDialog : public QDialog {
    Q_OBJECT
public:
    explicit RemoteModelDialog(QWidget* parent = nullptr);
    RemoteEndpoint endpoint() const;
    void accept() override; // saves the endpoint

private:
    void listModels();
    void updateButtons();

    QLineEdit* mUrl = nullptr;
    QLineEdit* mKey = nullptr;
    QComboBox* mModel = nullptr;
    QPushButton* mList = nullptr;
    QPushButton* mOk = nullptr;
    QLabel* mStatus = nullptr;
    QNetworkAccessManager* mNetwork = nullptr;
    QPointer<QNetworkReply> mReply;
};

} // namespace atelier::ui
