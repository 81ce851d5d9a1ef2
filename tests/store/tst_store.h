#pragma once
// atelier_store tests. Each test function gets a fresh folder; the database file lives in it.

#include "store/chat_store.h"
#include "store/database.h"
#include "test_result.h"

#include <QObject>
#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

namespace atelier::test {

// A plain Qt SQL connection to a file, standing for another program (or another Atelier) with
// the same database open. No Atelier checks, no migration.
class RawConnection {
public:
    explicit RawConnection(const QString& path, int busyTimeoutMs = 0);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool exec(const QString& sql); // false (and a qWarning with SQLite's message) on failure
    QVariant scalar(const QString& sql);

private:
    QSqlDatabase mSql;
};

QByteArray fileBytes(const QString& path);
bool writeFile(const QString& path, const QByteArray& bytes);

// The text of the child writer's message number `i` (crash_test.cpp); a few KiB with code and
// non-ASCII text, different for every i.
QString writerMessageText(int i);
// main() runs this instead of the tests when the writer variable names a database file.
int runWriter(const QString& path);
inline constexpr char kWriterVariable[] = "ATELIER_STORE_TEST_WRITER";

} // namespace atelier::test

class TestStore : public QObject {
    Q_OBJECT

private:
    QString dbPath() const { return mDir->filePath(QStringLiteral("atelier.sqlite3")); }
    std::unique_ptr<QTemporaryDir> mDir;

private slots:
    void init();
    void cleanup();

    // chat_store_test.cpp
    void createsAndReadsConversation();
    void settingsRoundTrip_data();
    void settingsRoundTrip();
    void settingsJsonKeepsDefaults();
    void renameAndSettingsTouchActivity();
    void ordersByActivity_data();
    void ordersByActivity();
    void removeRestorePurge();
    void unknownIdsAreErrors();
    void search_data();
    void search();
    void addMessageCommitsAndMovesLeaf();
    void addMessageRefusesBadInput_data();
    void addMessageRefusesBadInput();
    void setCurrentLeafStaysInConversation();
    void reopenFindsEverything();

    // message_tree_test.cpp
    void treePath_data();
    void treePath();
    void treeSiblings_data();
    void treeSiblings();
    void treeLatestLeaf_data();
    void treeLatestLeaf();
    void treeSurvivesParentLoop();
    void branchesAfterEditAndRegenerate();

    // database_test.cpp
    void newDatabaseIsConfigured();
    void createsMissingFolder();
    void migratesSchemaZero_data();
    void migratesSchemaZero();
    void refusesNewerSchema();
    void refusesForeignFile_data();
    void refusesForeignFile();
    void refusesFolder();
    void lockedDatabase_data();
    void lockedDatabase();
    void twoConnectionsToOneFile();

    // crash_test.cpp
    void killedWriterLosesNothing_data();
    void killedWriterLosesNothing();

    // export_test.cpp
    void markdownKeepsTextVerbatim();
    void markdownClosesStoppedCodeBlock();
    void jsonParsesBack();
};
