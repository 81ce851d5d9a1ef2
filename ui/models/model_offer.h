#pragma once
// Chat's first-run offer: while no instruction-following model from the catalogue is installed,
// a bar names the best catalogue chat model that fits this device (next to the offline default,
// a base model that only continues text) and downloads it through the Models dialog.

#include <QFrame>

class QLabel;
class QPushButton;

namespace atelier::ui {

class ModelOffer : public QFrame {
    Q_OBJECT
public:
    explicit ModelOffer(QWidget* parent = nullptr);

    void refresh();                 // shown or hidden from the catalogue and the models folder
    QString offeredId() const { return mOfferedId; }

private:
    void downloadOffered();
    void dismiss();

    QString mOfferedId;
    QLabel* mText = nullptr;
    QPushButton* mDownload = nullptr;
    QPushButton* mBrowse = nullptr;
    QPushButton* mDismiss = nullptr;
};

} // namespace atelier::ui
