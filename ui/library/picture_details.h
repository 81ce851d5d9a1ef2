#pragma once
// Beside the gallery: the chosen picture, what made it, and what can be done with it.

#include "store/picture_store.h"

#include <QFutureWatcher>
#include <QImage>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace atelier::ui {

class PictureDetails : public QWidget {
    Q_OBJECT
public:
    explicit PictureDetails(QWidget* parent = nullptr);

    // `path`: the PNG, read on a worker; `thumbnail` stands in meanwhile. An id of 0 clears.
    void showPicture(const store::PictureRecord& record, const QString& path, const QPixmap& thumbnail);
    void clear();
    qint64 pictureId() const { return mRecord.id; }

signals:
    void reuseRequested();
    void img2imgRequested();
    void inpaintRequested();
    void askRequested(); // "Ask about this picture": a chat question with it attached (issue 22)
    void copyPromptRequested();
    void revealRequested();
    void deleteRequested();
    void openRequested();
    void sourceRequested(qint64 id); // the "from picture N" link of an img2img or inpaint

protected:
    void resizeEvent(QResizeEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QPushButton* button(const QString& name, const QString& text, const QString& tip, void (PictureDetails::*signal)());
    void showPreview();

    store::PictureRecord mRecord;
    QPixmap mPreviewSource;
    QFutureWatcher<QImage> mLoading;
    QLabel* mPreview = nullptr;
    QLabel* mSummary = nullptr;
    QPlainTextEdit* mParameters = nullptr;
    QList<QPushButton*> mButtons;
};

} // namespace atelier::ui
