#include "server/stop_scanner.h"

namespace atelier::server {

StopScanner::Step StopScanner::push(const QString& piece)
{
    if (mStopped)
        return {};
    mPending += piece;
    qsizetype first = -1;
    for (const QString& stop : mStops) {
        const qsizetype at = mPending.indexOf(stop);
        if (at >= 0 && (first < 0 || at < first))
            first = at;
    }
    if (first >= 0) {
        mStopped = true;
        Step step{mPending.left(first), true};
        mPending.clear();
        return step;
    }
    // Hold back the longest tail that some stop string begins with.
    qsizetype hold = 0;
    for (const QString& stop : mStops)
        for (qsizetype n = std::min(stop.size() - 1, mPending.size()); n > hold; --n)
            if (mPending.endsWith(QStringView(stop).left(n))) {
                hold = n;
                break;
            }
    Step step{mPending.left(mPending.size() - hold), false};
    mPending.remove(0, mPending.size() - hold);
    return step;
}

QString StopScanner::finish()
{
    QString rest = mStopped ? QString() : mPending;
    mPending.clear();
    return rest;
}

} // namespace atelier::server
