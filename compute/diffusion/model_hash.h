#pragma once
// A1111's "Model hash" (AutoV2): the first 10 hex digits of a checkpoint file's SHA-256. Reading a
// 2-7 GB file takes seconds, so hashes are remembered in <cache>/model-hashes.json by path, size and
// modification time (as A1111's cache.json does) and a file is read again only when it changed.

#include <string>

namespace atelier::diffusion {

// Empty when the file cannot be read. `cacheFile` empty: paths::cacheDir() + "/model-hashes.json".
std::string modelHash(const std::string& path, const std::string& cacheFile = {});

} // namespace atelier::diffusion
