#include "library/gallery_filter_bar.h"

#include <QComboBox>
#include <QDateEdit>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QTimer>

namespace atelier::ui {

namespace {

constexpr int kTypingMs = 200;
const QDate kAnyDate(2000, 1, 1); // the date edits' minimum, shown as "Any"

QDateEdit* dateEdit(const QString& name, const QString& tip, QWidget* parent)
{
    auto* edit = new QDateEdit(parent);
    edit->setObjectName(name);
    edit->setToolTip(tip);
    edit->setCalendarPopup(true);
    edit->setMinimumDate(kAnyDate);
    edit->setSpecialValueText(GalleryFilterBar::tr("Any"));
    edit->setDate(kAnyDate);
    return edit;
}

QDate chosen(const QDateEdit* edit) { return edit->date() == kAnyDate ? QDate() : edit->date(); }

} // namespace

GalleryFilterBar::GalleryFilterBar(QWidget* parent)
    : QWidget(parent)
    , mText(new QLineEdit(this))
    , mModel(new QComboBox(this))
    , mFrom(dateEdit(QStringLiteral("fromDate"), tr("Pictures made on or after this day"), this))
    , mTo(dateEdit(QStringLiteral("toDate"), tr("Pictures made on or before this day"), this))
    , mCount(new QLabel(this))
    , mTyping(new QTimer(this))
{
    setObjectName("galleryFilterBar");
    mText->setObjectName("gallerySearch");
    mText->setPlaceholderText(tr("Search prompts"));
    mText->setClearButtonEnabled(true);
    mModel->setObjectName("modelFilter");
    mModel->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    mModel->addItem(tr("All models"));
    mCount->setObjectName("galleryCount");
    mTyping->setSingleShot(true);
    mTyping->setInterval(kTypingMs);

    connect(mText, &QLineEdit::textChanged, mTyping, qOverload<>(&QTimer::start));
    connect(mTyping, &QTimer::timeout, this, &GalleryFilterBar::filterChanged);
    connect(mModel, &QComboBox::currentIndexChanged, this, &GalleryFilterBar::filterChanged);
    connect(mFrom, &QDateEdit::dateChanged, this, &GalleryFilterBar::filterChanged);
    connect(mTo, &QDateEdit::dateChanged, this, &GalleryFilterBar::filterChanged);

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(mText, 1);
    layout->addWidget(mModel);
    layout->addWidget(new QLabel(tr("From"), this));
    layout->addWidget(mFrom);
    layout->addWidget(new QLabel(tr("to"), this));
    layout->addWidget(mTo);
    layout->addWidget(mCount);
}

store::PictureFilter GalleryFilterBar::filter() const
{
    store::PictureFilter filter;
    filter.text = mText->text().trimmed();
    filter.model = mModel->currentIndex() > 0 ? mModel->currentText() : QString();
    filter.from = chosen(mFrom);
    filter.to = chosen(mTo);
    return filter;
}

void GalleryFilterBar::setModels(const QStringList& models)
{
    const QString current = mModel->currentIndex() > 0 ? mModel->currentText() : QString();
    const QSignalBlocker quiet(mModel); // the caller compares the filter before and after
    while (mModel->count() > 1)
        mModel->removeItem(1);
    mModel->addItems(models);
    const int index = current.isEmpty() ? 0 : mModel->findText(current);
    mModel->setCurrentIndex(qMax(0, index));
}

void GalleryFilterBar::reset()
{
    {
        const QSignalBlocker text(mText), model(mModel), from(mFrom), to(mTo);
        mText->clear();
        mModel->setCurrentIndex(0);
        mFrom->setDate(kAnyDate);
        mTo->setDate(kAnyDate);
    }
    mTyping->stop();
    emit filterChanged();
}

void GalleryFilterBar::setCount(int shown)
{
    mCount->setText(shown == 1 ? tr("1 picture") : tr("%1 pictures").arg(QLocale().toString(shown)));
}

} // namespace atelier::ui
