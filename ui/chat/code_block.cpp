#include "chat/code_block.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace atelier::ui {

CodeBlock::CodeBlock(QWidget* parent)
    : QFrame(parent)
    , mLanguage(new QLabel(this))
    , mCopy(new QToolButton(this))
    , mText(new QLabel(this))
    , mScroll(new QScrollArea(this))
{
    setObjectName("codeBlock");
    setFrameShape(QFrame::StyledPanel);
    setBackgroundRole(QPalette::AlternateBase);
    setAutoFillBackground(true);

    mLanguage->setObjectName("codeLanguage");
    mLanguage->setForegroundRole(QPalette::PlaceholderText);
    mCopy->setObjectName("copyCodeButton");
    mCopy->setText(tr("Copy"));
    mCopy->setToolTip(tr("Copy this code"));
    mCopy->setAutoRaise(true);
    connect(mCopy, &QToolButton::clicked, this, &CodeBlock::copy);

    mText->setObjectName("codeText");
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setStyleHint(QFont::Monospace); // where the platform has no fixed font configured
    mono.setFixedPitch(true);
    mText->setFont(mono);
    mText->setTextFormat(Qt::PlainText);
    mText->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    mText->setContentsMargins(8, 4, 8, 8);
    mText->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    mScroll->setWidget(mText);
    mScroll->setWidgetResizable(true);
    mScroll->setFrameShape(QFrame::NoFrame);
    mScroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    mScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    mScroll->viewport()->setBackgroundRole(QPalette::AlternateBase);

    auto* header = new QHBoxLayout;
    header->setContentsMargins(8, 2, 2, 0);
    header->addWidget(mLanguage, 1);
    header->addWidget(mCopy);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(header);
    layout->addWidget(mScroll);
}

void CodeBlock::setCode(const QString& code, const QString& language)
{
    if (code == mCode && language == mLanguage->text())
        return;
    mCode = code;
    mLanguage->setText(language);
    mText->setText(code);
    fitHeight();
}

void CodeBlock::resizeEvent(QResizeEvent* event)
{
    QFrame::resizeEvent(event);
    fitHeight();
}

void CodeBlock::fitHeight()
{
    // Tall enough for every line; a horizontal scroll bar when a line is wider than the view.
    const int text = mText->sizeHint().height();
    const bool scrolls = mText->sizeHint().width() > mScroll->viewport()->width();
    mScroll->setFixedHeight(text + (scrolls ? mScroll->horizontalScrollBar()->sizeHint().height() : 0) + 2);
}

void CodeBlock::copy()
{
    QApplication::clipboard()->setText(mCode);
    mCopy->setText(tr("Copied"));
    QTimer::singleShot(1500, mCopy, [b = mCopy] { b->setText(tr("Copy")); });
}

} // namespace atelier::ui
