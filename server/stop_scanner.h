#pragma once
// Ends an answer before the first of its stop strings while it streams: text that could still be
// the start of a stop string is held back until the next piece says whether it is.

#include <QString>
#include <QStringList>

namespace atelier::server {

class StopScanner {
public:
    explicit StopScanner(QStringList stops) : mStops(std::move(stops)) {}

    struct Step {
        QString text;         // safe to send now
        bool stopped = false; // a stop string was found: the answer ends after `text`
    };
    Step push(const QString& piece);
    // The text held back when the answer ends without a stop string.
    QString finish();
    bool stopped() const { return mStopped; }

private:
    QStringList mStops;
    QString mPending;
    bool mStopped = false;
};

} // namespace atelier::server
