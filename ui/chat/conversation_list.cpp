#include "chat/conversation_list.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMenu>
#include <QPushButton>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace atelier::ui {

namespace {
constexpr int kIdRole = Qt::UserRole;
constexpr int kUndoMs = 10000;

QString whenText(const QDateTime& when)
{
    const QDateTime local = when.toLocalTime();
    if (local.date() == QDate::currentDate())
        return QLocale().toString(local.time(), QLocale::ShortFormat);
    return QLocale().toString(local.date(), QLocale::ShortFormat);
}
} // namespace

ConversationList::ConversationList(QWidget* parent)
    : QWidget(parent)
    , mSearch(new QLineEdit(this))
    , mNew(new QToolButton(this))
    , mList(new QListWidget(this))
    , mUndoBar(new QWidget(this))
    , mUndoText(new QLabel(mUndoBar))
    , mUndoTimer(new QTimer(this))
{
    setObjectName("conversationPanel");
    mSearch->setObjectName("conversationSearch");
    mSearch->setPlaceholderText(tr("Search conversations"));
    mSearch->setClearButtonEnabled(true);
    connect(mSearch, &QLineEdit::textChanged, this, &ConversationList::filterChanged);

    mNew->setObjectName("newConversationButton");
    mNew->setText(tr("New chat"));
    mNew->setToolTip(tr("Start a new conversation (Ctrl+N)"));
    mNew->setToolButtonStyle(Qt::ToolButtonTextOnly);
    connect(mNew, &QToolButton::clicked, this, &ConversationList::newRequested);

    mList->setObjectName("conversationList");
    mList->setContextMenuPolicy(Qt::CustomContextMenu);
    mList->setUniformItemSizes(true);
    mList->installEventFilter(this);
    connect(mList, &QListWidget::customContextMenuRequested, this, &ConversationList::showMenu);
    connect(mList, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        if (!mFilling && item)
            emit selected(idOf(item));
    });
    connect(mList, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        if (!mFilling && !item->text().trimmed().isEmpty())
            emit renameRequested(idOf(item), item->text().trimmed());
    });

    mUndoBar->setObjectName("undoBar");
    mUndoText->setWordWrap(true);
    auto* undo = new QPushButton(tr("Undo"), mUndoBar);
    undo->setObjectName("undoButton");
    connect(undo, &QPushButton::clicked, this, [this] {
        hideUndo();
        emit undoRequested();
    });
    auto* undoLayout = new QHBoxLayout(mUndoBar);
    undoLayout->setContentsMargins(4, 2, 4, 2);
    undoLayout->addWidget(mUndoText, 1);
    undoLayout->addWidget(undo);
    mUndoBar->hide();
    mUndoTimer->setSingleShot(true);
    connect(mUndoTimer, &QTimer::timeout, this, &ConversationList::hideUndo);

    auto* top = new QHBoxLayout;
    top->addWidget(mSearch, 1);
    top->addWidget(mNew);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 4, 8);
    layout->addLayout(top);
    layout->addWidget(mList, 1);
    layout->addWidget(mUndoBar);
}

void ConversationList::setConversations(const QList<store::Conversation>& conversations, qint64 currentId)
{
    mFilling = true;
    mList->clear();
    for (const store::Conversation& c : conversations) {
        auto* item = new QListWidgetItem(c.title, mList);
        item->setData(kIdRole, c.id);
        item->setToolTip(tr("%1\nLast active %2").arg(c.title, whenText(c.updated)));
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        if (c.id == currentId)
            mList->setCurrentItem(item);
    }
    mFilling = false;
}

QString ConversationList::filter() const { return mSearch->text(); }

void ConversationList::offerUndo(const QString& text)
{
    mUndoText->setText(text);
    mUndoBar->show();
    mUndoTimer->start(kUndoMs);
}

void ConversationList::hideUndo()
{
    mUndoTimer->stop();
    mUndoBar->hide();
}

void ConversationList::startRename(qint64 id)
{
    for (int i = 0; i < mList->count(); ++i) {
        if (idOf(mList->item(i)) == id)
            mList->editItem(mList->item(i));
    }
}

qint64 ConversationList::idOf(const QListWidgetItem* item) const { return item->data(kIdRole).toLongLong(); }

void ConversationList::showMenu(const QPoint& at)
{
    QListWidgetItem* item = mList->itemAt(at);
    if (!item)
        return;
    const qint64 id = idOf(item);
    QMenu menu(this);
    menu.addAction(tr("Rename"), this, [this, item] { mList->editItem(item); });
    menu.addAction(tr("Export…"), this, [this, id] { emit exportRequested(id); });
    menu.addSeparator();
    menu.addAction(tr("Delete"), this, [this, id] { emit deleteRequested(id); });
    menu.exec(mList->viewport()->mapToGlobal(at));
}

bool ConversationList::eventFilter(QObject* watched, QEvent* event)
{
    // While a title is edited, keys go to the editor, not to the list.
    if (watched == mList && event->type() == QEvent::KeyPress && mList->currentItem()) {
        const auto* key = static_cast<QKeyEvent*>(event);
        if (key->key() == Qt::Key_Delete) {
            emit deleteRequested(idOf(mList->currentItem()));
            return true;
        }
        if (key->key() == Qt::Key_F2) {
            mList->editItem(mList->currentItem());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace atelier::ui
