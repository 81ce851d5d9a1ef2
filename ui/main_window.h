#pragma once
// Atelier's one window: a navigation rail, the four workspaces and the engine's status.

#include <QList>
#include <QMainWindow>

#include <memory>

class QAction;
class QActionGroup;
class QStackedWidget;

namespace atelier::engine {
class ComputeEngine;
}
namespace atelier::store {
class Database;
}
namespace atelier::diffusion {
struct GenerationParameters;
}

namespace atelier::ui {

class ChatWorkspace;
class CreateWorkspace;
class EngineStatus;
class InpaintWorkspace;
class LibraryWorkspace;
struct ImageResult;
class NavigationRail;

// Remembers its geometry and current workspace in QSettings, under the application's
// organisation and name (app/main.cpp sets them). Opens the database (paths::databasePath()) that
// the workspaces share; when it cannot, the workspaces say why instead of starting empty.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(engine::ComputeEngine& engine, QWidget* parent = nullptr);
    ~MainWindow() override;

protected:
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;
    // PNG files dropped from outside go into the Library; the last one's parameters fill Create.
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    struct Workspace {
        QString key;      // settings value and objectName prefix: "chat"
        QString iconPath; // monochrome SVG, tinted to the palette
        QAction* action;  // checkable, in the exclusive workspace group
    };

    void addWorkspace(QWidget* page, const QString& key, const QString& title);
    void showWorkspace(int index);
    void createMenus();
    void updateIcons();
    void showAbout();
    void restoreSettings();
    void showPreferences();
    void updateExportActions();
    void exportPicture();
    void sendToCreate(const QString& prompt);
    void sendToChat(const QString& text);
    void reuseInCreate(const diffusion::GenerationParameters& parameters);
    void recordPicture(const ImageResult& result);
    void recordInpaint(const ImageResult& result, const QByteArray& maskPng);

    std::unique_ptr<store::Database> mDatabase; // before the workspaces that use it
    QString mDatabaseError;
    QStackedWidget* mStack = nullptr;
    NavigationRail* mRail = nullptr;
    QActionGroup* mWorkspaceGroup = nullptr;
    EngineStatus* mEngineStatus = nullptr;
    QList<Workspace> mWorkspaces;
    ChatWorkspace* mChat = nullptr;
    CreateWorkspace* mCreate = nullptr;
    InpaintWorkspace* mInpaint = nullptr;
    LibraryWorkspace* mLibrary = nullptr;
    QAction* mExportConversation = nullptr;
    QAction* mExportPicture = nullptr;
};

} // namespace atelier::ui
