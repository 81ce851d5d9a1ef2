#pragma once
// Where the user writes: Enter sends, Shift+Enter starts a new line. While an answer is being
// written the Send button becomes Stop. Pictures for a vision model come by the attach button, by
// dropping image files, or by pasting a picture or image files; they wait as thumbnails above the
// text (each with an x) and go with the message.

#include <QPlainTextEdit>
#include <QStringList>
#include <QWidget>

#include <functional>

class QLabel;
class QMimeData;
class QPushButton;
class QToolButton;

namespace atelier::ui {

// Keeps `edit` as tall as its text (wrapped lines counted), between minLines and maxLines; past
// that it scrolls. Follows every change of the text and of the width.
void fitHeightToText(QPlainTextEdit* edit, int minLines, int maxLines);

class PromptEdit : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit PromptEdit(QWidget* parent = nullptr);
    QSize sizeHint() const override;

    // Pastes and drops of pictures go to `take` (which says whether it took them) before the text.
    void setPictureHandler(std::function<bool(const QMimeData*)> take) { mTakePictures = std::move(take); }

signals:
    void submitted();

protected:
    void keyPressEvent(QKeyEvent* event) override;
    bool canInsertFromMimeData(const QMimeData* source) const override;
    void insertFromMimeData(const QMimeData* source) override;

private:
    std::function<bool(const QMimeData*)> mTakePictures;
};

class PictureStrip;

class ChatInput : public QWidget {
    Q_OBJECT
public:
    explicit ChatInput(QWidget* parent = nullptr);

    void setAnswering(bool answering);
    void setText(const QString& text);
    QString text() const;
    void focusInput();

    // Whether the model reads pictures; when not, attaching is off and `why` says so.
    void setPicturesAllowed(bool allowed, const QString& why = {});
    bool picturesAllowed() const { return mPicturesAllowed; }
    // Attaches a picture file or pixels (kept in the data folder at once); false, with the reason
    // shown under the thumbnails, when it is not a picture or pictures are off.
    bool attachPicture(const QString& path);
    bool attachPicture(const QImage& image);
    QStringList pictures() const; // the kept names (picture_files.h) waiting to be sent
    void setPictures(const QStringList& names);
    // Pictures (image data, or URLs of image files) in `mime`; false when it holds none.
    bool attachFromMime(const QMimeData* mime);

signals:
    void sendRequested(const QString& text, const QStringList& pictures);
    void stopRequested();

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void submit();
    void chooseFiles();
    void showPictureError(const QString& text);
    bool hasPictures(const QMimeData* mime) const;

    PromptEdit* mEdit = nullptr;
    QPushButton* mButton = nullptr;
    QToolButton* mAttach = nullptr;
    PictureStrip* mStrip = nullptr;
    QLabel* mPictureError = nullptr;
    bool mAnswering = false;
    bool mPicturesAllowed = false;
    QString mNoPicturesWhy;
};

} // namespace atelier::ui
