#pragma once
// What the window tests set up before their first case: settings kept in the test's data folder
// and cleared, a model file installed in the models folder, and the compute engine started with
// validation on.

#include "engine/compute_engine.h"

#include <QObject>
#include <QString>

namespace atelier::test {

// QSettings in ATELIER_DATA_DIR/settings (INI), emptied.
void useFreshSettings();

// Copies `source` to `target` (replacing it), making the models folder first; false on failure.
bool installModel(const QString& source, const QString& target);

// Starts `engine` on the environment's device with validation; false when no device opened in time.
bool startEngine(engine::ComputeEngine& engine, int timeoutMs = 60000);

// The child of `parent` named `name`; the test program stops when there is none (a widget renamed
// or gone).
template <typename T>
T* childNamed(const QObject* parent, const char* name)
{
    T* child = parent->findChild<T*>(QString::fromLatin1(name));
    if (!child)
        qFatal("no widget %s", name);
    return child;
}

} // namespace atelier::test
