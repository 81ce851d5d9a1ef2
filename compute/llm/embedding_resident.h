#pragma once
// An embedding model kept loaded on the compute thread between jobs (engine/residents.h). The API
// server's /v1/embeddings and the window's Documents share the one under kEmbeddingResidentKey:
// asking for another file replaces it (small models; never two loaded at once).

#include "engine/residents.h"
#include "llm/embedding_model.h"

#include <memory>
#include <string>

namespace atelier::llm {

inline constexpr const char* kEmbeddingResidentKey = "embedding.model";

struct EmbeddingResident {
    std::string path; // the GGUF it was loaded from
    std::unique_ptr<EmbeddingModel> model;
};

// The resident model when it was loaded from `path`, else `path` loaded in its place.
inline Result<EmbeddingModel*> residentEmbeddingModel(engine::Residents& residents, vk::Device& device,
                                                      const std::string& path)
{
    if (auto* loaded = residents.find<EmbeddingResident>(kEmbeddingResidentKey); loaded && loaded->path == path)
        return loaded->model.get();
    residents.erase(kEmbeddingResidentKey); // free the old one's memory first
    ATELIER_ASSIGN(auto model, EmbeddingModel::load(device, path));
    auto entry = std::make_unique<EmbeddingResident>();
    entry->path = path;
    entry->model = std::move(model);
    return residents.put(kEmbeddingResidentKey, std::move(entry)).model.get();
}

} // namespace atelier::llm
