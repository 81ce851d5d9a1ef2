#pragma once
// A collection's embedding model as a docs::Embedder that any thread may call (the document
// indexer's): each call becomes a job on the window's compute engine, which owns the device and
// keeps the model loaded (llm/embedding_resident.h, shared with the API server), and the caller
// waits for its vectors, giving up when `cancel` is set.

#include "docs/embedder.h"

#include <QString>

#include <atomic>
#include <memory>

namespace atelier::engine { class ComputeEngine; }

namespace atelier::ui {

// "nomic-embed-text-v1.5.Q8_0.gguf:146146432": what vectors are stored under (as `atelier docs`).
QString embeddingModelId(const QString& path);

docs::Embedder computeEmbedder(engine::ComputeEngine& engine, const QString& modelPath,
                               std::shared_ptr<std::atomic<bool>> cancel);

} // namespace atelier::ui
