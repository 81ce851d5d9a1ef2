#include "chat/chat_input.h"

#include "chat/picture_files.h"
#include "chat/picture_strip.h"

#include <QAbstractTextDocumentLayout>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QImageReader>
#include <QKeyEvent>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include <cmath>

namespace atelier::ui {

void fitHeightToText(QPlainTextEdit* edit, int minLines, int maxLines)
{
    edit->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    edit->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // wrapped: a bar would only eat a line
    auto fit = [edit, minLines, maxLines] {
        // QPlainTextEdit's document layout measures its height in lines, wrapped ones included.
        const int lines = qBound(minLines, int(std::ceil(edit->document()->size().height())), maxLines);
        const QMargins margins = edit->contentsMargins();
        const int height = lines * edit->fontMetrics().lineSpacing() + 2 * int(edit->document()->documentMargin()) +
                           2 * edit->frameWidth() + margins.top() + margins.bottom() + 2;
        edit->setFixedHeight(height);
    };
    QObject::connect(edit->document()->documentLayout(), &QAbstractTextDocumentLayout::documentSizeChanged, edit, fit);
    fit();
}

PromptEdit::PromptEdit(QWidget* parent) : QPlainTextEdit(parent)
{
    setObjectName("chatInput");
    setPlaceholderText(tr("Write a message… (Enter sends, Shift+Enter adds a line)"));
    setTabChangesFocus(true);
}

QSize PromptEdit::sizeHint() const
{
    const QSize base = QPlainTextEdit::sizeHint();
    return {base.width(), fontMetrics().lineSpacing() * 3 + 16};
}

void PromptEdit::keyPressEvent(QKeyEvent* event)
{
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter && !(event->modifiers() & Qt::ShiftModifier)) {
        emit submitted();
        event->accept();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

bool PromptEdit::canInsertFromMimeData(const QMimeData* source) const
{
    return source->hasImage() || QPlainTextEdit::canInsertFromMimeData(source);
}

void PromptEdit::insertFromMimeData(const QMimeData* source)
{
    if (mTakePictures && mTakePictures(source))
        return;
    QPlainTextEdit::insertFromMimeData(source);
}

ChatInput::ChatInput(QWidget* parent)
    : QWidget(parent)
    , mEdit(new PromptEdit(this))
    , mButton(new QPushButton(this))
    , mAttach(new QToolButton(this))
    , mStrip(new PictureStrip(64, true, this))
    , mPictureError(new QLabel(this))
{
    setAcceptDrops(true);
    setFocusProxy(mEdit); // the workspace's focus goes to the message box
    mButton->setObjectName("sendButton");
    mAttach->setObjectName("attachPictureButton");
    mAttach->setText(tr("Picture…"));
    mPictureError->setObjectName("pictureError");
    mPictureError->setWordWrap(true);
    mPictureError->setForegroundRole(QPalette::PlaceholderText);
    mPictureError->hide();
    mEdit->setPictureHandler([this](const QMimeData* mime) { return attachFromMime(mime); });
    connect(mAttach, &QToolButton::clicked, this, &ChatInput::chooseFiles);
    connect(mStrip, &PictureStrip::removeRequested, this, [this](int index) {
        QStringList names = mStrip->pictures();
        if (index >= 0 && index < names.size())
            names.removeAt(index);
        setPictures(names);
    });
    connect(mEdit, &PromptEdit::submitted, this, &ChatInput::submit);
    connect(mButton, &QPushButton::clicked, this, [this] {
        if (mAnswering)
            emit stopRequested();
        else
            submit();
    });
    auto* row = new QHBoxLayout;
    row->addWidget(mAttach, 0, Qt::AlignBottom);
    row->addWidget(mEdit, 1);
    row->addWidget(mButton, 0, Qt::AlignBottom);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 6, 12, 10);
    layout->setSpacing(4);
    layout->addWidget(mStrip);
    layout->addWidget(mPictureError);
    layout->addLayout(row);
    setAnswering(false);
    setPicturesAllowed(false, tr("No model is loaded yet."));
    fitHeightToText(mEdit, 2, 8); // grows with the text up to eight lines, then scrolls
}

void ChatInput::setAnswering(bool answering)
{
    mAnswering = answering;
    mButton->setText(answering ? tr("Stop") : tr("Send"));
    mButton->setToolTip(answering ? tr("Stop the answer here, keeping what it wrote") : tr("Send (Enter)"));
}

void ChatInput::setText(const QString& text) { mEdit->setPlainText(text); }
QString ChatInput::text() const { return mEdit->toPlainText(); }
void ChatInput::focusInput() { mEdit->setFocus(); }

void ChatInput::submit()
{
    // Enter while an answer is written does nothing: the text stays for when it is done.
    const QString text = mEdit->toPlainText();
    const QStringList pictures = mStrip->pictures();
    if (mAnswering || (text.trimmed().isEmpty() && pictures.isEmpty()))
        return;
    mEdit->clear();
    setPictures({});
    emit sendRequested(text, pictures);
}

void ChatInput::setPicturesAllowed(bool allowed, const QString& why)
{
    mPicturesAllowed = allowed;
    mNoPicturesWhy = allowed ? QString() : why;
    mAttach->setEnabled(allowed);
    mAttach->setToolTip(allowed ? tr("Show the model pictures (or drop or paste them here)") : why);
    // Pictures already waiting stay (the model may come back), but say why they cannot go.
    showPictureError(!allowed && !pictures().isEmpty() ? why : QString());
}

bool ChatInput::attachPicture(const QString& path)
{
    if (!mPicturesAllowed) {
        showPictureError(mNoPicturesWhy);
        return false;
    }
    auto kept = keepChatPicture(path);
    if (!kept) {
        showPictureError(QString::fromStdString(kept.error().message));
        return false;
    }
    setPictures(pictures() << kept.value());
    return true;
}

bool ChatInput::attachPicture(const QImage& image)
{
    if (!mPicturesAllowed) {
        showPictureError(mNoPicturesWhy);
        return false;
    }
    auto kept = keepChatPicture(image);
    if (!kept) {
        showPictureError(QString::fromStdString(kept.error().message));
        return false;
    }
    setPictures(pictures() << kept.value());
    return true;
}

QStringList ChatInput::pictures() const { return mStrip->pictures(); }

void ChatInput::setPictures(const QStringList& names)
{
    mStrip->setPictures(names);
    showPictureError({});
}

bool ChatInput::hasPictures(const QMimeData* mime) const
{
    if (mime->hasImage())
        return true;
    for (const QUrl& url : mime->urls())
        if (url.isLocalFile() && isPictureFile(url.toLocalFile()))
            return true;
    return false;
}

bool ChatInput::attachFromMime(const QMimeData* mime)
{
    if (!mPicturesAllowed || !hasPictures(mime))
        return false;
    bool any = false;
    for (const QUrl& url : mime->urls()) { // image files: kept as they are
        if (url.isLocalFile() && isPictureFile(url.toLocalFile()))
            any = attachPicture(url.toLocalFile()) || any;
    }
    if (!any && mime->hasImage())
        any = attachPicture(qvariant_cast<QImage>(mime->imageData()));
    mEdit->setFocus();
    return any;
}

void ChatInput::dragEnterEvent(QDragEnterEvent* event)
{
    if (mPicturesAllowed && hasPictures(event->mimeData()))
        event->acceptProposedAction();
}

void ChatInput::dropEvent(QDropEvent* event)
{
    if (attachFromMime(event->mimeData()))
        event->acceptProposedAction();
}

void ChatInput::chooseFiles()
{
    QStringList patterns;
    for (const QByteArray& format : QImageReader::supportedImageFormats())
        patterns << QStringLiteral("*.") + QString::fromLatin1(format);
    const QStringList files = QFileDialog::getOpenFileNames(
        this, tr("Show the model pictures"), QString(),
        tr("Pictures (%1)").arg(patterns.join(QLatin1Char(' '))));
    for (const QString& file : files)
        attachPicture(file);
    mEdit->setFocus();
}

void ChatInput::showPictureError(const QString& text)
{
    mPictureError->setText(text);
    mPictureError->setVisible(!text.isEmpty());
}


} // namespace atelier::ui
