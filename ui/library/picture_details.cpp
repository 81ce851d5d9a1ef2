#include "library/picture_details.h"

#include "describe/describe_button.h"
#include "describe/describe_status.h"

#include <QEvent>
#include <QGridLayout>
#include <QImageReader>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace atelier::ui {

namespace {

constexpr int kPreviewMax = 1024; // what the pane ever shows; larger pictures are scaled while read

QImage readPreview(const QString& path)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QSize size = reader.size();
    if (size.isValid() && (size.width() > kPreviewMax || size.height() > kPreviewMax))
        reader.setScaledSize(size.scaled(kPreviewMax, kPreviewMax, Qt::KeepAspectRatio));
    return reader.read();
}

QString summaryOf(const store::PictureRecord& r)
{
    QStringList parts;
    parts << PictureDetails::tr("%1 × %2").arg(r.width).arg(r.height);
    if (!r.model.isEmpty())
        parts << r.model;
    parts << PictureDetails::tr("seed %1").arg(r.seed);
    parts << store::pictureKindName(r.kind);
    if (r.durationMs > 0)
        parts << PictureDetails::tr("made in %1 s").arg(QLocale().toString(r.durationMs / 1000.0, 'f', 1));
    parts << QLocale().toString(r.created.toLocalTime(), QLocale::ShortFormat);
    for (QString& part : parts)
        part = part.toHtmlEscaped();
    if (r.parentId != 0)
        parts << QStringLiteral("<a href=\"picture:%1\">%2</a>")
                     .arg(r.parentId)
                     .arg(PictureDetails::tr("from picture %1").arg(r.parentId).toHtmlEscaped());
    return parts.join(QStringLiteral(" · "));
}

} // namespace

PictureDetails::PictureDetails(QWidget* parent)
    : QWidget(parent)
    , mPreview(new QLabel(this))
    , mSummary(new QLabel(this))
    , mParameters(new QPlainTextEdit(this))
{
    setObjectName("pictureDetails");
    mPreview->setObjectName("picturePreview");
    mPreview->setAlignment(Qt::AlignCenter);
    mPreview->setMinimumSize(160, 160);
    mPreview->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    mPreview->setToolTip(tr("Double-click to see it full size"));
    mPreview->installEventFilter(this);
    mSummary->setObjectName("pictureSummary");
    mSummary->setWordWrap(true);
    mSummary->setTextFormat(Qt::RichText);
    mSummary->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse |
                                      Qt::LinksAccessibleByKeyboard);
    mSummary->setToolTip(tr("Click \"from picture\" to show the picture this one was made from"));
    connect(mSummary, &QLabel::linkActivated, this, [this](const QString& link) {
        if (link.startsWith(QLatin1String("picture:")))
            emit sourceRequested(link.mid(8).toLongLong());
    });
    mParameters->setObjectName("parametersText");
    mParameters->setReadOnly(true);
    mParameters->setMaximumHeight(160);

    auto* buttons = new QGridLayout;
    buttons->addWidget(button("reuseButton", tr("Reuse parameters"), tr("Fill the Create form with these settings"),
                              &PictureDetails::reuseRequested), 0, 0);
    buttons->addWidget(button("copyPromptButton", tr("Copy prompt"), tr("Copy the prompt to the clipboard"),
                              &PictureDetails::copyPromptRequested), 0, 1);
    buttons->addWidget(button("img2imgButton", tr("Send to img2img"), tr("Start a new picture from this one"),
                              &PictureDetails::img2imgRequested), 1, 0);
    buttons->addWidget(button("inpaintButton", tr("Send to Inpaint"), tr("Paint over part of this picture"),
                              &PictureDetails::inpaintRequested), 1, 1);
    buttons->addWidget(button("askButton", tr("Ask about this picture"),
                              tr("Start a chat question with this picture attached (a model with vision reads it)"),
                              &PictureDetails::askRequested), 2, 0);
    mDescribe = new DescribeButton(tr("Describe for Create"), this);
    mDescribe->setObjectName("describeButton");
    mDescribe->setPictureSource([this] { return mRecord.id != 0 ? mPath : QString(); });
    buttons->addWidget(mDescribe, 2, 1);
    buttons->addWidget(button("revealButton", tr("Show in folder"), tr("Open the folder that holds the file"),
                              &PictureDetails::revealRequested), 3, 0);
    buttons->addWidget(button("deleteButton", tr("Delete"), tr("Delete the picture (Del); it can be undone"),
                              &PictureDetails::deleteRequested), 3, 1);

    mLayout = new QVBoxLayout(this);
    mLayout->setContentsMargins(8, 0, 0, 0);
    mLayout->addWidget(mPreview, 1);
    mLayout->addWidget(mSummary);
    mLayout->addWidget(mParameters);
    mLayout->addLayout(buttons);

    connect(&mLoading, &QFutureWatcher<QImage>::finished, this, [this] {
        if (mLoading.isCanceled() || mLoading.future().resultCount() == 0)
            return; // cleared meanwhile
        const QImage image = mLoading.result();
        if (!image.isNull()) {
            mPreviewSource = QPixmap::fromImage(image);
            showPreview();
        }
    });
    clear();
}

QPushButton* PictureDetails::button(const QString& name, const QString& text, const QString& tip,
                                    void (PictureDetails::*signal)())
{
    auto* b = new QPushButton(text, this);
    b->setObjectName(name);
    b->setToolTip(tip);
    connect(b, &QPushButton::clicked, this, signal);
    mButtons << b;
    return b;
}

void PictureDetails::setDescriber(PictureDescriber* describer)
{
    mDescribe->setDescriber(describer);
    if (describer && !findChild<DescribeStatus*>())
        mLayout->addWidget(new DescribeStatus(*describer, this));
}

void PictureDetails::showPicture(const store::PictureRecord& record, const QString& path, const QPixmap& thumbnail)
{
    if (record.id == 0) {
        clear();
        return;
    }
    mRecord = record;
    mPath = path;
    mPreviewSource = thumbnail;
    showPreview();
    mSummary->setText(summaryOf(record));
    mParameters->setPlainText(record.parametersText);
    for (QPushButton* b : std::as_const(mButtons))
        b->setEnabled(true);
    mDescribe->setPictureAvailable(true);
    // A stale result of an earlier picture is dropped: the watcher follows the newest future only.
    mLoading.setFuture(QtConcurrent::run(readPreview, path));
}

void PictureDetails::clear()
{
    mRecord = {};
    mPath.clear();
    mPreviewSource = {};
    mLoading.setFuture({});
    mPreview->setPixmap({});
    mPreview->setText(tr("Choose a picture to see how it was made."));
    mSummary->clear();
    mParameters->clear();
    for (QPushButton* b : std::as_const(mButtons))
        b->setEnabled(false);
    mDescribe->setPictureAvailable(false);
}

void PictureDetails::showPreview()
{
    if (mPreviewSource.isNull())
        return;
    const qreal dpr = devicePixelRatioF();
    QPixmap scaled = mPreviewSource.scaled(mPreview->size() * dpr, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    scaled.setDevicePixelRatio(dpr);
    mPreview->setPixmap(scaled);
}

void PictureDetails::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    showPreview();
}

bool PictureDetails::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == mPreview && event->type() == QEvent::MouseButtonDblClick && mRecord.id != 0) {
        emit openRequested();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace atelier::ui
