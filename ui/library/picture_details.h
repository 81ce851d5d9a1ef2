#pragma once
// Beside the gallery: the chosen picture, what made it, and what can be done with it.

#include "store/picture_store.h"

#include <QFutureWatcher>
#include <QImage>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QVBoxLayout;

namespace atelier::ui {

class DescribeButton;
class PictureDescriber;

class PictureDetails : public QWidget {
    Q_OBJECT
public:
    explicit PictureDetails(QWidget* parent = nullptr);

    // `path`: the PNG, read on a worker; `thumbnail` stands in meanwhile. An id of 0 clears.
    void showPicture(const store::PictureRecord& record, const QString& path, const QPixmap& thumbnail);
    void clear();
    qint64 pictureId() const { return mRecord.id; }
    // Turns on "Describe for Create" (Chat's vision model writes Create's prompt from the picture).
    void setDescriber(PictureDescriber* describer);

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
    DescribeButton* mDescribe = nullptr;
    QVBoxLayout* mLayout = nullptr;
    QString mPath; // the picture's file
};

} // namespace atelier::ui
