#pragma once
// Create's Layout mode (issue 20): regional prompts drawn as boxes. A tool row (Undo, Redo, Open
// layout…, Save layout…, Clear), the canvas with the picture's shape and the list of regions
// beside it. The regions are kept as fractions of the picture, so changing the form's size
// rescales them; `regions()` gives them in pixels of the current size for the request. The layout
// is kept in QSettings (group "create", or the one given) across runs, as the form is. Inpaint has
// one too, over the picture being inpainted.

#include "core/result.h"
#include "diffusion/regions.h"

#include <QImage>
#include <QSize>
#include <QWidget>

#include <vector>

class QLabel;
class QAction;

namespace atelier::ui {

class LayoutCanvas;
class RegionLayout;
class RegionList;

class LayoutMode : public QWidget {
    Q_OBJECT
public:
    // settingsGroup: where remember() keeps the layout ("create"; Inpaint keeps its own).
    explicit LayoutMode(QWidget* parent = nullptr, const QString& settingsGroup = QStringLiteral("create"));
    ~LayoutMode() override;

    RegionLayout* layout() const { return mLayout; }
    LayoutCanvas* canvas() const { return mCanvas; }

    void setPictureSize(QSize size);
    QSize pictureSize() const;
    // The regions in pixels of the current picture size, for GenerationRequest::regions.
    std::vector<diffusion::Region> regions() const;
    // Replaces the regions (undoably) with those of a picture of `picture` size, e.g. Reuse parameters.
    void setRegions(const std::vector<diffusion::Region>& regions, QSize picture, const QString& what);
    // The last finished picture, faintly under the boxes.
    void setBackground(const QImage& image);
    // img2img: the init picture (a file; empty: none) goes under the boxes instead, stretched to the
    // picture's size as the request stretches it, with a note that the regions repaint it.
    void setInitPicture(const QString& path);
    QString initPicture() const { return mInitPath; }

    // A layout file (regions.h's JSON, boxes in pixels of the current size) or a PNG whose
    // parameters carry regions (boxes in its own size, rescaled); errors come back as values.
    Status openLayout(const QString& path);
    Status saveLayout(const QString& path) const;

    void remember() const;
    void restore();

signals:
    // Something the user should read in the workspace's banner (an error when `error`).
    void message(const QString& text, bool error);
    // The regions or their prompts changed: an error about the old ones is stale.
    void edited();

private:
    void chooseLayoutFile();
    void chooseSaveFile();
    void showBackground();

    RegionLayout* mLayout = nullptr;
    LayoutCanvas* mCanvas = nullptr;
    RegionList* mList = nullptr;
    QAction* mClear = nullptr;
    QString mSettingsGroup;
    QLabel* mInitNote = nullptr;
    QImage mLastPicture;
    QString mInitPath;
    QImage mInit;  // the init picture, at most 1024 pixels a side
};

} // namespace atelier::ui
