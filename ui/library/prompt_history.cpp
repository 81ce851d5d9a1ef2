#include "library/prompt_history.h"

#include "store/picture_store.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QLocale>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace atelier::ui {

namespace {

constexpr int kTextRole = Qt::UserRole;
constexpr int kImageRole = Qt::UserRole + 1;
enum Column { PromptColumn, WhereColumn, CountColumn, LastUsedColumn };

QString firstLine(const QString& text)
{
    const QString simplified = text.section(QLatin1Char('\n'), 0, 0).trimmed();
    return text.contains(QLatin1Char('\n')) ? simplified + QStringLiteral(" …") : simplified;
}

} // namespace

PromptHistory::PromptHistory(store::PictureStore* store, QWidget* parent)
    : QWidget(parent)
    , mStore(store)
    , mSearch(new QLineEdit(this))
    , mList(new QTreeWidget(this))
    , mTyping(new QTimer(this))
{
    setObjectName("promptHistory");
    mSearch->setObjectName("promptSearch");
    mSearch->setPlaceholderText(tr("Search prompts and chat messages"));
    mSearch->setClearButtonEnabled(true);
    mTyping->setSingleShot(true);
    mTyping->setInterval(150);
    connect(mSearch, &QLineEdit::textChanged, mTyping, qOverload<>(&QTimer::start));
    connect(mTyping, &QTimer::timeout, this, &PromptHistory::refresh);

    mList->setObjectName("promptHistoryList");
    mList->setRootIsDecorated(false);
    mList->setUniformRowHeights(true);
    mList->setHeaderLabels({tr("Prompt"), tr("Used in"), tr("Times"), tr("Last used")});
    mList->header()->setStretchLastSection(false);
    mList->header()->setSectionResizeMode(PromptColumn, QHeaderView::Stretch);
    for (int column : {WhereColumn, CountColumn, LastUsedColumn})
        mList->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    mList->setToolTip(tr("Click a prompt to use it again"));
    connect(mList, &QTreeWidget::itemClicked, this, &PromptHistory::choose);
    connect(mList, &QTreeWidget::itemActivated, this, &PromptHistory::choose);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(mSearch);
    layout->addWidget(mList, 1);
}

void PromptHistory::refresh()
{
    mList->clear();
    if (!mStore)
        return;
    auto uses = mStore->prompts(mSearch->text().trimmed(), kLimit);
    if (!uses.ok()) {
        emit storeError(QString::fromStdString(uses.error().message));
        return;
    }
    QList<QTreeWidgetItem*> items;
    for (const store::PromptUse& use : uses.value()) {
        auto* item = new QTreeWidgetItem;
        item->setText(PromptColumn, firstLine(use.text));
        item->setToolTip(PromptColumn, use.text.left(2000));
        item->setText(WhereColumn, use.image ? tr("Picture") : tr("Chat"));
        item->setText(CountColumn, QLocale().toString(use.count));
        item->setTextAlignment(CountColumn, Qt::AlignRight | Qt::AlignVCenter);
        item->setText(LastUsedColumn, QLocale().toString(use.lastUsed.toLocalTime(), QLocale::ShortFormat));
        item->setData(PromptColumn, kTextRole, use.text);
        item->setData(PromptColumn, kImageRole, use.image);
        items << item;
    }
    mList->addTopLevelItems(items);
}

void PromptHistory::choose(QTreeWidgetItem* item)
{
    if (item)
        emit promptChosen(item->data(PromptColumn, kTextRole).toString(), item->data(PromptColumn, kImageRole).toBool());
}

void PromptHistory::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    refresh();
}

} // namespace atelier::ui
