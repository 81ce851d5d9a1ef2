#include "create/region_list.h"

#include "create/region_layout.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPainter>
#include <QSignalBlocker>
#include <QToolButton>
#include <QVBoxLayout>

namespace atelier::ui {

namespace {

QIcon swatch(const QColor& colour)
{
    QPixmap pixmap(14, 14);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(colour.darker(150));
    painter.setBrush(colour);
    painter.drawRoundedRect(QRectF(0.5, 0.5, 13, 13), 3, 3);
    return QIcon(pixmap);
}

} // namespace

RegionList::RegionList(RegionLayout* layout, QWidget* parent)
    : QWidget(parent)
    , mLayout(layout)
{
    setObjectName("regionList");
    setMinimumWidth(150);
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    mCount = new QLabel(this);
    mCount->setObjectName("regionCount");
    mCount->setWordWrap(true); // its sentence must not set the column's width, or the canvas jumps as it changes
    column->addWidget(mCount);
    mList = new QListWidget(this);
    mList->setObjectName("regions");
    mList->setToolTip(tr("Later regions are drawn over earlier ones"));
    // Long prompts wrap instead of scrolling sideways; a two rows fit before it scrolls.
    mList->setWordWrap(true);
    mList->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    mList->setMinimumHeight(2 * mList->fontMetrics().lineSpacing());
    column->addWidget(mList, 1);

    auto* buttons = new QHBoxLayout;
    auto button = [this, buttons](const char* name, const QString& text, const QString& tip) {
        auto* b = new QToolButton(this);
        b->setObjectName(QString::fromLatin1(name));
        b->setText(text);
        b->setToolTip(tip);
        buttons->addWidget(b);
        return b;
    };
    mUp = button("regionUp", tr("Up"), tr("Earlier in the list: drawn under the regions after it"));
    mDown = button("regionDown", tr("Down"), tr("Later in the list: drawn over the regions before it"));
    mDelete = button("regionDelete", tr("Delete"), tr("Delete the chosen region (Delete on the canvas)"));
    buttons->addStretch(1);
    column->addLayout(buttons);

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    mPrompt = new QLineEdit(this);
    mPrompt->setObjectName("regionPrompt");
    mPrompt->setPlaceholderText(tr("What this box shows, e.g. a red circle"));
    form->addRow(tr("Prompt"), mPrompt);
    mNegative = new QLineEdit(this);
    mNegative->setObjectName("regionNegative");
    mNegative->setPlaceholderText(tr("Empty: the form's negative prompt"));
    form->addRow(tr("Negative"), mNegative);
    mStrength = new QDoubleSpinBox(this);
    mStrength->setObjectName("regionStrength");
    mStrength->setRange(0.0, 1.0);
    mStrength->setSingleStep(0.05);
    mStrength->setDecimals(2);
    mStrength->setToolTip(tr("How much of its box the region's prompt owns; the form's prompt takes the rest"));
    form->addRow(tr("Strength"), mStrength);
    column->addLayout(form);

    connect(mList, &QListWidget::currentRowChanged, mLayout, &RegionLayout::setCurrent);
    connect(mPrompt, &QLineEdit::textEdited, this, [this](const QString& text) { mLayout->setPrompt(mLayout->current(), text); });
    connect(mNegative, &QLineEdit::textEdited, this,
            [this](const QString& text) { mLayout->setNegativePrompt(mLayout->current(), text); });
    connect(mStrength, &QDoubleSpinBox::valueChanged, this, [this](double v) { mLayout->setStrength(mLayout->current(), v); });
    connect(mUp, &QToolButton::clicked, this, [this] { mLayout->move(mLayout->current(), mLayout->current() - 1); });
    connect(mDown, &QToolButton::clicked, this, [this] { mLayout->move(mLayout->current(), mLayout->current() + 1); });
    connect(mDelete, &QToolButton::clicked, this, [this] { mLayout->remove(mLayout->current()); });
    connect(mLayout, &RegionLayout::changed, this, &RegionList::rebuild);
    connect(mLayout, &RegionLayout::currentChanged, this, &RegionList::showCurrent);
    rebuild();
}

void RegionList::rebuild()
{
    const QSignalBlocker quiet(mList);
    const QList<LayoutRegion>& regions = mLayout->regions();
    while (mList->count() > regions.size())
        delete mList->takeItem(mList->count() - 1);
    for (int i = 0; i < regions.size(); ++i) {
        if (i >= mList->count())
            mList->addItem(new QListWidgetItem);
        QListWidgetItem* item = mList->item(i);
        const QString prompt = regions[i].prompt.simplified();
        item->setIcon(swatch(regionColour(i)));
        item->setText(tr("%1  %2%3")
                          .arg(i + 1)
                          .arg(prompt.isEmpty() ? tr("(no prompt)") : prompt)
                          .arg(regions[i].strength < 1.0 ? tr("  · %1").arg(regions[i].strength, 0, 'f', 2) : QString()));
    }
    mCount->setText(regions.isEmpty()      ? tr("No regions: the form's prompt paints the whole picture")
                    : regions.size() == 1 ? tr("1 region of at most %1").arg(RegionLayout::kMaxRegions)
                                          : tr("%1 regions of at most %2").arg(regions.size()).arg(RegionLayout::kMaxRegions));
    showCurrent();
}

void RegionList::showCurrent()
{
    const int index = mLayout->current();
    const bool chosen = index >= 0;
    {
        const QSignalBlocker quiet(mList);
        mList->setCurrentRow(index);
    }
    for (QWidget* w : {static_cast<QWidget*>(mPrompt), static_cast<QWidget*>(mNegative), static_cast<QWidget*>(mStrength),
                       static_cast<QWidget*>(mDelete)})
        w->setEnabled(chosen);
    mUp->setEnabled(chosen && index > 0);
    mDown->setEnabled(chosen && index < mLayout->count() - 1);
    const LayoutRegion region = chosen ? mLayout->regions()[index] : LayoutRegion{};
    // Only what differs is set again, so typing keeps its cursor.
    if (mPrompt->text() != region.prompt)
        mPrompt->setText(region.prompt);
    if (mNegative->text() != region.negativePrompt)
        mNegative->setText(region.negativePrompt);
    if (mStrength->value() != region.strength) {
        const QSignalBlocker quiet(mStrength);
        mStrength->setValue(region.strength);
    }
}

void RegionList::editPrompt(int index)
{
    mLayout->setCurrent(index);
    mPrompt->setFocus(Qt::OtherFocusReason);
    mPrompt->selectAll();
}

} // namespace atelier::ui
