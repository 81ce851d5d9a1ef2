#pragma once
// Chat's first-run offer: while the models folder holds no instruction-following model (no
// catalogue chat model, and no GGUF whose header carries a chat template), a bar names the best
// catalogue chat model that fits this device (next to the offline default, a base model that only
// continues text) and downloads it through the Models dialog. Headers are read on a worker thread.

#include <QFrame>
#include <QFutureWatcher>

class QLabel;
class QPushButton;

namespace atelier::ui {

class ModelOffer : public QFrame {
    Q_OBJECT
public:
    explicit ModelOffer(QWidget* parent = nullptr);

    void refresh();                 // shown or hidden from the catalogue and the models folder
    QString offeredId() const { return mOfferedId; }
    bool checking() const { return mScan.isRunning(); }

signals:
    void checked(); // refresh() has decided

private:
    void downloadOffered();
    void dismiss();
    void decide();

    QString mOfferedId;
    QLabel* mText = nullptr;
    QPushButton* mDownload = nullptr;
    QPushButton* mBrowse = nullptr;
    QPushButton* mDismiss = nullptr;
    QFutureWatcher<bool> mScan; // true: an installed GGUF follows instructions
    bool mRefreshAgain = false;
};

} // namespace atelier::ui
