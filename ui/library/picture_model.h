#pragma once
// The gallery's pictures as a list model: newest first, read from the store a page at a time as
// the view scrolls (canFetchMore/fetchMore), thumbnails from the ThumbnailCache as they arrive.

#include "store/picture_store.h"

#include <QAbstractListModel>
#include <QPixmap>

namespace atelier::ui {

class ThumbnailCache;

class PictureModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        IdRole = Qt::UserRole, // qint64
        RecordRole,            // store::PictureRecord
        PathRole,              // absolute path of the PNG
    };
    static constexpr int kPageSize = 200;

    // `store` may be null (no database): the model stays empty.
    PictureModel(store::PictureStore* store, ThumbnailCache& thumbnails, QObject* parent = nullptr);

    void setFilter(const store::PictureFilter& filter); // reads the first page again
    const store::PictureFilter& filter() const { return mFilter; }
    void reload();
    int total() const { return mTotal; } // pictures matching the filter, loaded or not

    const store::PictureRecord& record(int row) const { return mRows.at(row); }
    int rowOf(qint64 id) const; // -1: not loaded
    void removePicture(qint64 id);
    // Shows a picture added or restored: where it belongs when it matches the filter and falls
    // among the pages read so far.
    void insertPicture(const store::PictureRecord& record);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QModelIndexList& indexes) const override;
    Qt::DropActions supportedDragActions() const override { return Qt::CopyAction; }

signals:
    void storeError(const QString& message);

private:
    void thumbnailReady(qint64 id);
    bool matches(const store::PictureRecord& record) const;

    store::PictureStore* mStore = nullptr;
    ThumbnailCache& mThumbnails;
    store::PictureFilter mFilter;
    QList<store::PictureRecord> mRows;
    bool mAtEnd = true;
    int mTotal = 0;
    QPixmap mPlaceholder; // while a thumbnail is on its way
};

} // namespace atelier::ui
