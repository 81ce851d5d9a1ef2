#include "library/picture_model.h"

#include "library/thumbnail_cache.h"

#include <QFile>
#include <QIcon>
#include <QLocale>
#include <QMimeData>
#include <QPainter>
#include <QUrl>

namespace atelier::ui {

namespace {

QPixmap placeholder()
{
    QPixmap pixmap(ThumbnailCache::kSize, ThumbnailCache::kSize);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(128, 128, 128, 48));
    painter.drawRoundedRect(pixmap.rect().adjusted(8, 8, -8, -8), 12, 12);
    return pixmap;
}

// Newest first: created descending, then id descending.
bool before(const store::PictureRecord& a, const store::PictureRecord& b)
{
    const qint64 ta = a.created.toMSecsSinceEpoch();
    const qint64 tb = b.created.toMSecsSinceEpoch();
    return ta != tb ? ta > tb : a.id > b.id;
}

QString tooltip(const store::PictureRecord& r)
{
    QString text = r.prompt.left(300);
    if (!r.model.isEmpty())
        text += QStringLiteral("\n%1").arg(r.model);
    text += QStringLiteral("\n%1 × %2, %3").arg(r.width).arg(r.height).arg(QLocale().toString(r.created, QLocale::ShortFormat));
    return text;
}

} // namespace

PictureModel::PictureModel(store::PictureStore* store, ThumbnailCache& thumbnails, QObject* parent)
    : QAbstractListModel(parent)
    , mStore(store)
    , mThumbnails(thumbnails)
    , mPlaceholder(placeholder())
{
    connect(&mThumbnails, &ThumbnailCache::ready, this, &PictureModel::thumbnailReady);
    reload();
}

void PictureModel::setFilter(const store::PictureFilter& filter)
{
    mFilter = filter;
    reload();
}

void PictureModel::reload()
{
    beginResetModel();
    mRows.clear();
    mAtEnd = mStore == nullptr;
    mTotal = 0;
    if (mStore) {
        if (auto total = mStore->count(mFilter); total.ok())
            mTotal = total.value();
        else
            emit storeError(QString::fromStdString(total.error().message));
    }
    endResetModel();
    if (canFetchMore({}))
        fetchMore({});
}

int PictureModel::rowOf(qint64 id) const
{
    for (int row = 0; row < mRows.size(); ++row) {
        if (mRows[row].id == id)
            return row;
    }
    return -1;
}

void PictureModel::removePicture(qint64 id)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    mRows.removeAt(row);
    --mTotal;
    endRemoveRows();
}

bool PictureModel::matches(const store::PictureRecord& r) const
{
    if (!mFilter.text.isEmpty() && !r.prompt.toCaseFolded().contains(mFilter.text.toCaseFolded()))
        return false;
    if (!mFilter.model.isEmpty() && r.model != mFilter.model)
        return false;
    const QDate day = r.created.toLocalTime().date();
    return (!mFilter.from.isValid() || day >= mFilter.from) && (!mFilter.to.isValid() || day <= mFilter.to);
}

void PictureModel::insertPicture(const store::PictureRecord& record)
{
    if (rowOf(record.id) >= 0 || !matches(record))
        return;
    ++mTotal;
    const auto at = std::lower_bound(mRows.cbegin(), mRows.cend(), record, before);
    if (at == mRows.cend() && !mAtEnd)
        return; // it comes with a later page
    const int row = int(at - mRows.cbegin());
    beginInsertRows({}, row, row);
    mRows.insert(row, record);
    endInsertRows();
}

int PictureModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(mRows.size()); }

QVariant PictureModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= mRows.size())
        return {};
    const store::PictureRecord& r = mRows[index.row()];
    switch (role) {
    case Qt::DecorationRole: {
        // Asked only for the items being painted: that is what keeps 10,000 pictures cheap.
        const QPixmap pixmap = mThumbnails.thumbnail(r.id, mStore->absolutePath(r.file));
        return QIcon(pixmap.isNull() ? mPlaceholder : pixmap);
    }
    case Qt::ToolTipRole:
        return tooltip(r);
    case Qt::AccessibleTextRole:
        return r.prompt;
    case IdRole:
        return r.id;
    case RecordRole:
        return QVariant::fromValue(r);
    case PathRole:
        return mStore->absolutePath(r.file);
    default:
        return {};
    }
}

bool PictureModel::canFetchMore(const QModelIndex& parent) const { return !parent.isValid() && !mAtEnd; }

void PictureModel::fetchMore(const QModelIndex& parent)
{
    if (!canFetchMore(parent))
        return;
    store::PictureCursor after;
    if (!mRows.isEmpty())
        after = {mRows.last().created.toMSecsSinceEpoch(), mRows.last().id};
    auto page = mStore->pictures(mFilter, after, kPageSize);
    if (!page.ok()) {
        mAtEnd = true;
        emit storeError(QString::fromStdString(page.error().message));
        return;
    }
    mAtEnd = page->size() < kPageSize;
    if (page->isEmpty())
        return;
    beginInsertRows({}, int(mRows.size()), int(mRows.size() + page->size() - 1));
    mRows.append(page.value());
    endInsertRows();
}

Qt::ItemFlags PictureModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled | Qt::ItemNeverHasChildren;
}

QStringList PictureModel::mimeTypes() const { return {QStringLiteral("text/uri-list"), QStringLiteral("image/png")}; }

// Out to a file manager, a browser or an image editor: the file itself, and its bytes for those
// that take pictures only. The bytes are the PNG as saved, so its parameters travel with it.
QMimeData* PictureModel::mimeData(const QModelIndexList& indexes) const
{
    QList<QUrl> urls;
    for (const QModelIndex& index : indexes)
        urls << QUrl::fromLocalFile(index.data(PathRole).toString());
    if (urls.isEmpty())
        return nullptr;
    auto* mime = new QMimeData;
    mime->setUrls(urls);
    QFile file(urls.first().toLocalFile());
    if (file.open(QIODevice::ReadOnly))
        mime->setData(QStringLiteral("image/png"), file.readAll());
    return mime;
}

void PictureModel::thumbnailReady(qint64 id)
{
    const int row = rowOf(id);
    if (row >= 0)
        emit dataChanged(index(row), index(row), {Qt::DecorationRole});
}

} // namespace atelier::ui
