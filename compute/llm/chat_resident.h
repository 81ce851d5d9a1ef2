#pragma once
// A language model kept loaded on the compute thread between jobs (engine/residents.h), with the
// chat session that owns its KV cache. The window's Chat keeps one under kChatResidentKey; the API
// server answers with that one when it serves the same file, instead of loading a second copy.

#include "llm/chat_session.h"
#include "llm/language_model.h"
#include "llm/lora_adapter.h"

#include <map>
#include <memory>
#include <string>

namespace atelier::llm {

inline constexpr const char* kChatResidentKey = "chat.model";

struct ChatResident {
    std::string path;                        // the GGUF it was loaded from
    std::unique_ptr<LanguageModel> model;
    std::unique_ptr<ChatSession> session;    // uses model; destroyed first (declared after it)
    std::map<std::string, std::shared_ptr<const LoraAdapter>> adapters; // LoRA files read for model, by path
};

} // namespace atelier::llm
