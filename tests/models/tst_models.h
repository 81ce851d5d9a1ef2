#pragma once
// The model catalogue, downloads against a local HTTP server (tests/models/test_http_server.*),
// `atelier models` as a user runs it, and the Models dialog. No test touches the internet.

#include "test_http_server.h"

#include <QObject>
#include <QTemporaryDir>

class TestModels : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();

    // catalogue_test.cpp
    void builtInCatalogueParses();
    void catalogueRefusesBadFields_data();
    void catalogueRefusesBadFields();
    void bestChatModelFitsTheBudget();

    // download_test.cpp
    void downloadsAndVerifies();
    void resumesAfterADroppedConnection();
    void wrongChecksumDeletesTheFile();
    void notFoundSaysSo();
    void cancelDeletesThePart();
    void pauseAndResumeUseRange();
    void serverWithoutRangeStartsOver();
    void fullDiskSaysSo();
    void notEnoughFreeSpaceBeforeStarting();
    void refusedConnectionSaysSo();
    void resumesThroughARedirect();
    void unknownHostSaysOffline();
    void noChecksumIsSaid();

    // cli_test.cpp
    void cliListDownloadVerifyRemove();
    void cliRefusesUnknownModel();
    void cliFullDiskOnTmpfs();

    // dialog_test.cpp
    void dialogDownloadsPausesResumesAndDeletes();
    void dialogSaysADownloadIsNotVerified();
    void chatOffersTheBestModel();
    void mainWindowReachesModels();

private:
    QByteArray makeContent(int bytes, int seed) const;
    QString writeCatalogue(const QString& name, const QByteArray& json);
    QString catalogueFor(const QByteArray& file, const QByteArray& url, const QByteArray& sha256, qint64 size) const;

    TestHttpServer* mServer = nullptr;
    QTemporaryDir mTemp;
    QByteArray mSmall;  // 300 KB
    QByteArray mLarge;  // 3 MB, for the slow server
};
