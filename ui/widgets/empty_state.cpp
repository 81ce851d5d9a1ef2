#include "widgets/empty_state.h"

#include "models/models_dialog.h"
#include "widgets/open_folder.h"
#include "widgets/tinted_icon.h"

#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace atelier::ui {

namespace {

constexpr int iconSize = 64;
constexpr int maxListed = 6;

QLabel* makeLabel(const QString& objectName, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setAlignment(Qt::AlignHCenter);
    label->setWordWrap(true);
    return label;
}

QString listing(const AwaitedFiles& files, const QStringList& names)
{
    QStringList shown = names.mid(0, maxListed);
    if (names.size() > maxListed)
        shown << EmptyState::tr("and %1 more").arg(names.size() - maxListed);
    const QString noun = names.size() == 1 ? files.singular : files.plural;
    return EmptyState::tr("%1 %2 in %3: %4")
        .arg(names.size())
        .arg(noun, QDir::toNativeSeparators(files.folder), shown.join(QStringLiteral(", ")));
}

QString shellQuoted(const QString& text)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./=:-]+$"));
    if (plain.match(text).hasMatch())
        return text;
    return QLatin1Char('\'') + QString(text).replace(QLatin1Char('\''), QStringLiteral("'\\''")) +
           QLatin1Char('\'');
}

// installer/models.sh fetches the default language model into the models folder: the package
// installs it in share/atelier beside bin/, a source build finds it in the checkout above build/bin.
QString defaultModelsCommand(const AwaitedFiles& files)
{
    if (!files.nameFilters.contains(QStringLiteral("*.gguf")))
        return {};
    const QString bin = QCoreApplication::applicationDirPath();
    for (const QString& candidate : {bin + "/../share/atelier/models.sh", bin + "/../../installer/models.sh"}) {
        if (!QFileInfo(candidate).isFile())
            continue;
        QString command = QStringLiteral("bash ") + shellQuoted(QDir::cleanPath(candidate));
        // The script follows ATELIER_DATA_DIR as the app does; a terminal may not have it set.
        if (qEnvironmentVariableIsSet("ATELIER_DATA_DIR"))
            command.prepend(QStringLiteral("ATELIER_DATA_DIR=") +
                            shellQuoted(qEnvironmentVariable("ATELIER_DATA_DIR")) + QLatin1Char(' '));
        return command;
    }
    return {};
}

} // namespace

EmptyState::EmptyState(const QString& iconPath, const QString& heading, const QString& summary,
                       const AwaitedFiles& files, const QString& buttonText, QWidget* parent)
    : QWidget(parent)
    , mIconPath(iconPath)
    , mFiles(files)
    , mIcon(new QLabel(this))
    , mDetail(makeLabel("emptyStateDetail", this))
    , mDefaults(makeLabel("emptyStateDefaults", this))
    , mError(makeLabel("emptyStateError", this))
    , mButton(new QPushButton(buttonText, this))
{
    mIcon->setObjectName("emptyStateIcon");
    mIcon->setAlignment(Qt::AlignHCenter);
    auto* headingLabel = makeLabel("emptyStateHeading", this);
    headingLabel->setText(heading);
    QFont headingFont = headingLabel->font();
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.6);
    headingFont.setWeight(QFont::DemiBold);
    headingLabel->setFont(headingFont);

    auto* summaryLabel = makeLabel("emptyStateSummary", this);
    summaryLabel->setText(summary);

    // PlaceholderText is the palette's own muted colour, so it follows dark and light themes.
    mDetail->setForegroundRole(QPalette::PlaceholderText);
    mDetail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mDefaults->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mDefaults->hide();
    mError->hide();

    mButton->setObjectName("openFolderButton");
    connect(mButton, &QPushButton::clicked, this, &EmptyState::openFolderClicked);

    auto* column = new QWidget(this);
    column->setMaximumWidth(560);
    auto* columnLayout = new QVBoxLayout(column);
    columnLayout->setSpacing(12);
    columnLayout->addWidget(mIcon);
    columnLayout->addWidget(headingLabel);
    columnLayout->addWidget(summaryLabel);
    columnLayout->addWidget(mDetail);
    columnLayout->addWidget(mDefaults);
    columnLayout->addSpacing(8);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(mButton);
    if (files.nameFilters.contains(QStringLiteral("*.gguf")) || files.nameFilters.contains(QStringLiteral("*.safetensors"))) {
        auto* download = new QPushButton(tr("Download models…"), this); // the catalogue (issue 19)
        download->setObjectName("downloadModelsButton");
        connect(download, &QPushButton::clicked, this, [this] { showModelsDialog(this); });
        buttons->addWidget(download);
    }
    buttons->addStretch();
    columnLayout->addLayout(buttons);
    columnLayout->addWidget(mError);

    // The column takes the width it can up to its maximum, centred, and sits a little above the middle.
    auto* row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(column, 8);
    row->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addStretch(2);
    layout->addLayout(row);
    layout->addStretch(3);

    updateIcon();
    refresh();
}

void EmptyState::refresh()
{
    const QStringList names =
        QDir(mFiles.folder).entryList(mFiles.nameFilters, QDir::Files | QDir::Readable, QDir::Name);
    mDetail->setText(names.isEmpty() ? mFiles.whenMissing : listing(mFiles, names));
    const QString command = names.isEmpty() ? defaultModelsCommand(mFiles) : QString();
    mDefaults->setText(tr("To fetch the default model (Gemma 3 270M, about 250 MB), run in a terminal:\n%1")
                           .arg(command));
    mDefaults->setVisible(!command.isEmpty());
}

bool EmptyState::event(QEvent* event)
{
    // Files are usually added from a file manager; coming back to the window shows them.
    if (event->type() == QEvent::WindowActivate)
        refresh();
    else if (event->type() == QEvent::PaletteChange)
        updateIcon();
    return QWidget::event(event);
}

void EmptyState::showEvent(QShowEvent* event)
{
    refresh();
    QWidget::showEvent(event);
}

void EmptyState::updateIcon()
{
    mIcon->setPixmap(tintedPixmap(mIconPath, iconSize, palette().color(QPalette::PlaceholderText),
                                  devicePixelRatioF()));
    mIcon->setVisible(!mIcon->pixmap().isNull());
}

void EmptyState::openFolderClicked()
{
    const bool opened = openFolder(mFiles.folder);
    mError->setText(opened ? QString()
                           : tr("Could not open %1 in a file manager.")
                                 .arg(QDir::toNativeSeparators(mFiles.folder)));
    mError->setVisible(!opened);
    refresh();
}

} // namespace atelier::ui
