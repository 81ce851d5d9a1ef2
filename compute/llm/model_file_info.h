#pragma once
// What a model picker shows about a GGUF file without loading its weights: name, architecture,
// quantization, size and context length, or why the file cannot be used.

#include "core/result.h"

#include <cstdint>
#include <string>

namespace atelier::llm {

struct ModelFileInfo {
    std::string path;
    std::string name;          // general.name, else the file name without extension
    std::string architecture;  // general.architecture: "gemma3"
    std::string quantization;  // from general.file_type: "Q4_K_M"; "" when the file does not say
    uint64_t fileBytes = 0;
    int contextLength = 0;     // the longest context the model was trained for
    int64_t parameters = 0;    // elements over all tensors
    bool hasChatTemplate = false;
    std::string problem;       // why it cannot be loaded (unsupported architecture, corrupt); "" when fine
};

// Reads the header only (memory-mapped). A file that is not a GGUF at all is an error; a GGUF this
// build cannot run is a ModelFileInfo whose `problem` says why.
Result<ModelFileInfo> readModelFileInfo(const std::string& path);

// llama.cpp's names for general.file_type values ("Q4_K_M"); "" for unknown ones.
std::string fileTypeName(uint32_t fileType);

} // namespace atelier::llm
