#pragma once
// What the models folder (paths::modelsDir(), where Chat's and Create's pickers look) holds, and
// the memory a model may use on this computer.

#include "catalogue.h"

#include <QList>
#include <QObject>
#include <QString>

namespace atelier::models {

struct InstalledFile {
    QString path;     // absolute
    QString fileName; // "Llama-3.2-1B-Instruct-Q4_K_M.gguf"
    qint64 size = 0;
    bool partial = false; // a "<file>.part" a download left (paused, failed or interrupted)
};

// Every *.gguf and *.safetensors file in the models folder, and the .part files beside them.
QList<InstalledFile> installedFiles();
// Where a catalogue model's file goes (or is).
QString installPath(const CatalogueModel& model);
bool isInstalled(const CatalogueModel& model);
// Deletes a model file (and its .part) from the models folder; `fileName` must be a plain name of
// a .gguf or .safetensors file there, never a path.
Status removeModelFile(const QString& fileName);
// Copies a model file from elsewhere into the models folder (refuses other kinds of file).
Result<QString> importModelFile(const QString& sourcePath);

// Says when a download, an import or a delete changed the models folder, so that pickers list it
// again. One per process, on the UI thread.
class FolderEvents : public QObject {
    Q_OBJECT
signals:
    void changed();
};
FolderEvents* folderEvents();

// Physical memory of this computer (Linux: MemTotal), 0 when unknown.
qint64 systemMemoryBytes();
// The memory a model may need to fit: a discrete GPU's own memory, else (CPU devices, integrated
// GPUs, or no device yet) the computer's memory.
qint64 memoryBudget(const QString& deviceType, qint64 deviceLocalBytes);
// The window remembers the device the engine opened; deviceMemoryBudget() is memoryBudget() of it
// (the computer's memory until a device is known).
void rememberDevice(const QString& deviceType, qint64 deviceLocalBytes);
qint64 deviceMemoryBudget();
// The largest model worth suggesting first on that device: 2 GB on a CPU device (lavapipe) or while
// no device is known, where a larger model answers too slowly; 0 (no cap) on a GPU.
qint64 suggestionCap();

} // namespace atelier::models
