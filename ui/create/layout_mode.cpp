#include "create/layout_mode.h"

#include "create/layout_canvas.h"
#include "create/region_layout.h"
#include "create/region_list.h"
#include "diffusion/generation_parameters.h"
#include "io/png_text.h"

#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QSaveFile>
#include <QSettings>
#include <QSplitter>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>

namespace atelier::ui {

namespace {

Status fileError(const QString& text) { return makeError(ErrorCode::Io, text.toStdString()); }

} // namespace

LayoutMode::LayoutMode(QWidget* parent, const QString& settingsGroup)
    : QWidget(parent)
    , mLayout(new RegionLayout(this))
    , mSettingsGroup(settingsGroup)
{
    setObjectName("layoutMode");
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);

    // A tool bar, so a narrow window folds the last tools into its » menu instead of widening Create.
    auto* tools = new QToolBar(this);
    tools->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto tool = [this, tools](QAction* action, const char* name) {
        action->setParent(this);
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(action);
        tools->addAction(action);
        auto* button = qobject_cast<QToolButton*>(tools->widgetForAction(action));
        button->setObjectName(QString::fromLatin1(name));
        return button;
    };
    // Undo and Redo keep their names (the step they would take is in the tooltip), so the row
    // does not jump as the steps change.
    QUndoStack* stack = mLayout->undoStack();
    auto* undo = new QAction(tr("Undo"), this);
    undo->setShortcuts(QKeySequence::Undo);
    undo->setEnabled(false);
    connect(undo, &QAction::triggered, stack, &QUndoStack::undo);
    connect(stack, &QUndoStack::canUndoChanged, undo, &QAction::setEnabled);
    connect(stack, &QUndoStack::undoTextChanged, undo,
            [undo](const QString& text) { undo->setToolTip(text.isEmpty() ? tr("Undo") : tr("Undo: %1").arg(text)); });
    tool(undo, "layoutUndo");
    auto* redo = new QAction(tr("Redo"), this);
    redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    redo->setEnabled(false);
    connect(redo, &QAction::triggered, stack, &QUndoStack::redo);
    connect(stack, &QUndoStack::canRedoChanged, redo, &QAction::setEnabled);
    connect(stack, &QUndoStack::redoTextChanged, redo,
            [redo](const QString& text) { redo->setToolTip(text.isEmpty() ? tr("Redo") : tr("Redo: %1").arg(text)); });
    tool(redo, "layoutRedo");
    auto* open = new QAction(tr("Open layout…"), this);
    open->setToolTip(tr("Read regions from a layout file (.json) or a picture made with regions (.png)"));
    connect(open, &QAction::triggered, this, &LayoutMode::chooseLayoutFile);
    tool(open, "openLayout");
    auto* save = new QAction(tr("Save layout…"), this);
    save->setToolTip(tr("Write the regions as a layout file, as atelier generate --layout reads them"));
    connect(save, &QAction::triggered, this, &LayoutMode::chooseSaveFile);
    tool(save, "saveLayout");
    auto* clear = new QAction(tr("Clear"), this);
    clear->setToolTip(tr("Delete every region"));
    connect(clear, &QAction::triggered, this, [this] { mLayout->replaceAll({}, tr("Clear the layout")); });
    tool(clear, "clearLayout");
    mClear = clear;
    column->addWidget(tools);
    mInitNote = new QLabel(this);
    mInitNote->setObjectName("layoutInitNote");
    mInitNote->setWordWrap(true);
    mInitNote->hide();
    column->addWidget(mInitNote);

    auto* splitter = new QSplitter(this);
    mCanvas = new LayoutCanvas(mLayout, splitter);
    mList = new RegionList(mLayout, splitter);
    splitter->addWidget(mCanvas);
    splitter->addWidget(mList);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setCollapsible(0, false);
    splitter->setCollapsible(1, false);
    splitter->setSizes({600, 300});
    column->addWidget(splitter, 1);
    connect(mCanvas, &LayoutCanvas::editPromptRequested, mList, &RegionList::editPrompt);
    connect(mCanvas, &LayoutCanvas::refused, this, [this](const QString& reason) { emit message(reason, true); });

    auto* rememberDelay = new QTimer(this);
    rememberDelay->setSingleShot(true);
    rememberDelay->setInterval(300);
    connect(rememberDelay, &QTimer::timeout, this, &LayoutMode::remember);
    connect(mLayout, &RegionLayout::changed, this, [this, rememberDelay] {
        mClear->setEnabled(mLayout->count() > 0);
        rememberDelay->start();
        emit edited();
    });
    mClear->setEnabled(false);
    restore();
}

LayoutMode::~LayoutMode() { remember(); }

void LayoutMode::setPictureSize(QSize size)
{
    const bool changed = size != pictureSize();
    mCanvas->setPictureSize(size);
    if (changed && !mInit.isNull())
        showBackground();
}

QSize LayoutMode::pictureSize() const { return mCanvas->pictureSize(); }

std::vector<diffusion::Region> LayoutMode::regions() const { return mLayout->toPixels(pictureSize()); }

void LayoutMode::setRegions(const std::vector<diffusion::Region>& regions, QSize picture, const QString& what)
{
    mLayout->replaceAll(RegionLayout::fromPixels(regions, picture), what);
}

void LayoutMode::setBackground(const QImage& image)
{
    mLastPicture = image;
    showBackground();
}

void LayoutMode::setInitPicture(const QString& path)
{
    if (path == mInitPath)
        return;
    mInitPath = path;
    mInit = QImage();
    if (!path.isEmpty()) {
        QImageReader reader(path);
        reader.setAutoTransform(true);
        const QSize size = reader.size();
        if (size.isValid() && std::max(size.width(), size.height()) > 1024)
            reader.setScaledSize(size.scaled(1024, 1024, Qt::KeepAspectRatio));
        mInit = reader.read();
    }
    if (!path.isEmpty())
        mInitNote->setText(mInit.isNull() ? tr("The init picture %1 cannot be read.").arg(QFileInfo(path).fileName())
                                          : tr("Over the init picture %1: the regions repaint it (img2img, at the "
                                               "form's denoising strength).")
                                                .arg(QFileInfo(path).fileName()));
    mInitNote->setVisible(!path.isEmpty());
    showBackground();
}

void LayoutMode::showBackground()
{
    // The init picture as the request stretches it to the picture's size; else the last picture.
    mCanvas->setBackground(mInit.isNull() ? mLastPicture
                                          : mInit.scaled(pictureSize(), Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
}

Status LayoutMode::openLayout(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fileError(tr("Could not open %1: %2").arg(QFileInfo(path).fileName(), file.errorString()));
    const QByteArray bytes = file.read(64 << 20);
    const QString name = QFileInfo(path).fileName();
    if (!path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) {
        auto regions = diffusion::parseLayout(bytes);
        if (!regions)
            return fileError(tr("%1: %2").arg(name, QString::fromStdString(regions.error().message)));
        setRegions(*regions, pictureSize(), tr("Open a layout"));
        return {};
    }
    // A picture: its A1111 parameters' "Regions", in pixels of its own size.
    auto chunks = io::readPngText(bytes);
    if (!chunks)
        return fileError(tr("%1: %2").arg(name, QString::fromStdString(chunks.error().message)));
    for (const io::PngTextChunk& chunk : *chunks) {
        if (chunk.keyword != QLatin1String("parameters"))
            continue;
        auto parameters = diffusion::parseA1111(chunk.text);
        if (!parameters)
            break;
        auto regions = diffusion::regionsOf(*parameters);
        if (!regions)
            return fileError(tr("%1: %2").arg(name, QString::fromStdString(regions.error().message)));
        if (regions->empty())
            break;
        setRegions(*regions, QSize(parameters->width, parameters->height), tr("Open a layout"));
        return {};
    }
    return fileError(tr("%1 holds no regions: it was made without a layout").arg(name));
}

Status LayoutMode::saveLayout(const QString& path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fileError(tr("Could not write %1: %2").arg(QFileInfo(path).fileName(), file.errorString()));
    const auto pixels = regions();
    file.write(diffusion::layoutJson(pixels));
    if (!file.commit())
        return fileError(tr("Could not write %1: %2").arg(QFileInfo(path).fileName(), file.errorString()));
    return {};
}

void LayoutMode::chooseLayoutFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a layout"), {},
                                                      tr("Layouts and pictures (*.json *.png)"));
    if (path.isEmpty())
        return;
    if (Status opened = openLayout(path); !opened)
        emit message(QString::fromStdString(opened.error().message), true);
    else
        emit message(tr("Opened %1").arg(QFileInfo(path).fileName()), false);
}

void LayoutMode::chooseSaveFile()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Save the layout"), tr("layout.json"), tr("Layouts (*.json)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
        path += QStringLiteral(".json");
    if (Status saved = saveLayout(path); !saved)
        emit message(QString::fromStdString(saved.error().message), true);
    else
        emit message(tr("Saved %1").arg(QFileInfo(path).fileName()), false);
}

void LayoutMode::remember() const
{
    QSettings settings;
    settings.beginGroup(mSettingsGroup);
    const auto pixels = regions();
    settings.setValue("layout", QString::fromUtf8(diffusion::layoutJson(pixels)));
    settings.setValue("layoutWidth", pictureSize().width());
    settings.setValue("layoutHeight", pictureSize().height());
}

void LayoutMode::restore()
{
    QSettings settings;
    settings.beginGroup(mSettingsGroup);
    if (!settings.contains("layout"))
        return;
    const QSize size(settings.value("layoutWidth").toInt(), settings.value("layoutHeight").toInt());
    auto regions = diffusion::parseLayout(settings.value("layout").toString().toUtf8());
    if (!regions || size.isEmpty())
        return;
    mCanvas->setPictureSize(size);
    mLayout->apply(RegionLayout::fromPixels(*regions, size), -1);
    mLayout->undoStack()->clear();
}

} // namespace atelier::ui
