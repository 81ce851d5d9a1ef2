#pragma once
// Where Atelier keeps user data, following QStandardPaths (XDG on Linux).
// ATELIER_DATA_DIR overrides the data root (tests point it at a temporary folder).

#include <QString>

namespace atelier::paths {

QString dataDir();          // ~/.local/share/Atelier: the root of everything below
QString modelsDir();        // <data>/models: GGUF and safetensors files
QString lorasDir();         // <models>/loras: LoRA adapters for pictures (<lora:NAME:1> in a prompt)
QString galleryDir();       // <data>/gallery: generated pictures
QString databasePath();     // <data>/atelier.sqlite3
QString logsDir();          // <data>/logs
QString cacheDir();         // ~/.cache/Atelier (or <data>/cache with ATELIER_DATA_DIR)
QString pipelineCachePath(); // <cache>/vulkan-pipelines.bin
QString thumbnailsDir();    // <cache>/thumbnails: the gallery's thumbnails, made again when missing

// Creates the folder if needed; returns false when it cannot be made.
bool ensureDir(const QString& path);

} // namespace atelier::paths
