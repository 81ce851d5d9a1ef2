#pragma once

#include "diffusion/generation_parameters.h"
#include "library/library_workspace.h"
#include "store/database.h"
#include "store/picture_store.h"

#include <QColor>
#include <QObject>
#include <QSize>
#include <QString>

#include <memory>

namespace atelier::test {

// A PNG of `size` in one colour, with an A1111 `parameters` chunk when `parameters` is not empty.
QByteArray tinyPng(QColor colour, QSize size = {8, 8}, const QString& parameters = {});
// What a picture of Atelier's own says made it.
diffusion::GenerationParameters parametersFor(const QString& prompt, const QString& model, quint64 seed);
// The A1111 text of the task's example, as AUTOMATIC1111 writes it.
extern const QString kA1111Text;

// Set to a writer number, the executable adds that writer's pictures and exits (integrity_test.cpp).
constexpr const char* kWriterVariable = "ATELIER_LIBRARY_TEST_WRITER";
int runPictureWriter(int writer);

} // namespace atelier::test

class TestLibrary : public QObject {
    Q_OBJECT

private:
    // Opens the database and, for widget tests, a shown LibraryWorkspace on it.
    bool openDatabase();
    bool openWorkspace();
    void closeAll();
    // Adds a picture of Atelier's through the workspace (or the store when there is none).
    qint64 addPicture(const QString& prompt, const QString& model, quint64 seed, qint64 createdMs = 0);
    template <typename T>
    T* find(const char* name) const;

    std::unique_ptr<atelier::store::Database> mDatabase;
    std::unique_ptr<atelier::store::PictureStore> mStore;
    std::unique_ptr<atelier::ui::LibraryWorkspace> mLibrary;

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // store_test.cpp
    void migratesChatDatabase();
    void addWritesPngAndRow();
    void failedWriteLeavesNoRow();
    void importsA1111Png();
    void refusesPngWithoutParameters();
    void filtersAndPages();
    void purgeDeletesFiles();

    // gallery_test.cpp
    void galleryShowsNewestFirst();
    void filterByTextModelAndDate();
    void deleteAndUndo();
    void detailsButtons();
    void sourceLinkSelectsTheSource();
    void fileMenuExportsThePicture();
    void opensFullSize();
    void dragOutCarriesTheFile();
    void dropImportFillsCreate();
    void finishedPicturesAreRecorded();

    // history_test.cpp
    void promptHistoryListsAndCounts();
    void promptHistoryFillsTheRightWorkspace();

    // integrity_test.cpp
    void concurrentWritersKeepTheirPictures();
    void upgradeMakesFilesUnique();
    void orphansAreAdoptedOrRemoved();
    void purgeDeletesOnlyGalleryFiles();
    void importRefusesOversizedText();
    void importDefaultsMalformedValues();

    // benchmark_test.cpp
    void tenThousandPictures();
};

template <typename T>
T* TestLibrary::find(const char* name) const
{
    return mLibrary->findChild<T*>(QString::fromLatin1(name));
}
