// 10,000 pictures: opening the Library and scrolling from the newest to the oldest stay fast.
// Rows go straight into the database in one transaction and share four picture files; every row
// still gets its own thumbnail. The numbers are printed; the asserted bounds are generous, for
// a loaded CI machine, and catch only what a user would call broken (a frozen window).

#include "tst_library.h"

#include "core/app_paths.h"
#include "library/library_workspace.h"
#include "library/picture_model.h"
#include "library/prompt_history.h"
#include "library/thumbnail_cache.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>
#include <QtWidgets>

#include <algorithm>

using namespace atelier;

namespace {

constexpr int kPictures = 10000;

bool insertRows(store::Database& db)
{
    QSqlQuery q(db.sql());
    if (!q.exec(QStringLiteral("BEGIN")))
        return false;
    q.prepare(QStringLiteral(
        "INSERT INTO pictures (file, created, kind, prompt, prompt_folded, negative, parameters, parameters_json, "
        "model, model_hash, sampler, scheduler, steps, cfg, seed, width, height, duration_ms) "
        "VALUES (?, ?, 'txt2img', ?, ?, '', ?, '{}', ?, '', 'Euler a', '', 20, 7, ?, 256, 256, 1000)"));
    const qint64 start = QDateTime::currentMSecsSinceEpoch() - qint64(kPictures) * 60000;
    for (int i = 0; i < kPictures; ++i) {
        const QString prompt = QStringLiteral("picture %1 of a %2").arg(i).arg(i % 3 ? "forest" : "city");
        q.addBindValue(QStringLiteral("shared/%1.png").arg(i));
        q.addBindValue(start + qint64(i) * 60000);
        q.addBindValue(prompt);
        q.addBindValue(prompt.toCaseFolded());
        q.addBindValue(prompt + QStringLiteral("\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: %1").arg(i));
        q.addBindValue(i % 2 ? QStringLiteral("sd15") : QStringLiteral("sd21"));
        q.addBindValue(i);
        if (!q.exec())
            return false;
    }
    return q.exec(QStringLiteral("COMMIT"));
}

int visibleItems(QListView* grid)
{
    int n = 0;
    const QRect viewport = grid->viewport()->rect();
    for (int row = 0; row < grid->model()->rowCount(); ++row) {
        if (grid->visualRect(grid->model()->index(row, 0)).intersects(viewport))
            ++n;
        else if (n > 0)
            break;
    }
    return n;
}

} // namespace

void TestLibrary::tenThousandPictures()
{
    QVERIFY(openDatabase());
    QVERIFY(QDir().mkpath(paths::galleryDir() + QStringLiteral("/shared")));
    for (int i = 0; i < 4; ++i) {
        QFile file(paths::galleryDir() + QStringLiteral("/shared/source-%1.png").arg(i));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(test::tinyPng(QColor::fromHsv(i * 90, 180, 220), {512, 512}));
    }
    // Each row names its own file (UNIQUE since schema 3); four pictures on disk stand behind them.
    for (int i = 0; i < kPictures; ++i) {
        QVERIFY(QFile::link(paths::galleryDir() + QStringLiteral("/shared/source-%1.png").arg(i % 4),
                            paths::galleryDir() + QStringLiteral("/shared/%1.png").arg(i)));
    }
    QVERIFY(insertRows(*mDatabase));

    QElapsedTimer timer;
    timer.start();
    QVERIFY(openWorkspace());
    auto* grid = find<QListView>("galleryView");
    grid->viewport()->repaint();
    const qint64 openMs = timer.elapsed();
    QCOMPARE(find<QLabel>("galleryCount")->text(), QLocale().toString(kPictures) + QStringLiteral(" pictures"));
    QVERIFY(grid->model()->rowCount() <= ui::PictureModel::kPageSize); // read a page at a time
    const int visible = visibleItems(grid);
    QTRY_VERIFY_WITH_TIMEOUT(mLibrary->thumbnails().made() >= visible, 30000);
    const qint64 thumbnailsMs = timer.elapsed();

    // Scroll a screen at a time down to the oldest picture, painting every step.
    QScrollBar* bar = grid->verticalScrollBar();
    QList<qint64> steps;
    timer.restart();
    while (grid->model()->rowCount() < kPictures || bar->value() < bar->maximum()) {
        QElapsedTimer step;
        step.start();
        bar->setValue(bar->value() + bar->pageStep());
        QCoreApplication::processEvents();
        grid->viewport()->repaint();
        steps << step.elapsed();
        QVERIFY2(steps.size() < 20000, "scrolling never reached the end");
    }
    const qint64 scrollMs = timer.elapsed();
    QCOMPARE(grid->model()->rowCount(), kPictures);
    QCOMPARE(grid->model()->index(kPictures - 1, 0).data(Qt::AccessibleTextRole).toString(),
             QStringLiteral("picture 0 of a city"));
    std::sort(steps.begin(), steps.end());
    const qint64 median = steps.at(steps.size() / 2);
    const qint64 worst = steps.last();

    // Filtering all 10,000 by text.
    timer.restart();
    QTest::keyClicks(find<QLineEdit>("gallerySearch"), "city");
    QTRY_COMPARE(find<QLabel>("galleryCount")->text(), QLocale().toString(3334) + QStringLiteral(" pictures"));
    const qint64 filterMs = timer.elapsed() - 200; // less the typing pause

    // The prompt history groups all 10,000 prompts.
    timer.restart();
    mLibrary->showPromptHistory();
    auto* history = find<QTreeWidget>("promptHistoryList");
    QTRY_VERIFY(history->isVisible());
    QCOMPARE(history->topLevelItemCount(), ui::PromptHistory::kLimit);
    QCOMPARE(history->topLevelItem(0)->text(0), QStringLiteral("picture 9999 of a city"));
    const qint64 historyMs = timer.elapsed();

    qInfo("10,000 pictures: open %lld ms (first thumbnails of %d on show after %lld ms); scroll to the end in %d "
          "steps, %lld ms (median step %lld ms, worst %lld ms); text filter %lld ms; prompt history %lld ms; "
          "%d thumbnails made",
          openMs, visible, thumbnailsMs, int(steps.size()), scrollMs, median, worst, filterMs, historyMs,
          mLibrary->thumbnails().made());
    QVERIFY2(openMs < 5000, "opening the Library took longer than 5 s");
    QVERIFY2(median < 250, "a scroll step takes longer than 250 ms");
    QVERIFY2(worst < 3000, "a scroll step froze the window for 3 s");
    QVERIFY2(filterMs < 5000, "filtering took longer than 5 s");
    QVERIFY2(historyMs < 5000, "the prompt history took longer than 5 s");
}
