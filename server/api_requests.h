#pragma once
// The bodies of POST /v1/chat/completions, /v1/completions, /v1/images/generations and
// /v1/embeddings read into
// what the compute jobs take. Every field is checked (type, range) and a bad one names itself in
// the ApiError; fields OpenAI has that Atelier ignores (user, logit_bias, ...) are ignored.

#include "server/api_error.h"
#include "server/request_pictures.h"

#include "diffusion/sampling/sampler_names.h"
#include "llm/chat_session.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <variant>
#include <vector>

namespace atelier::server {

// A chat or a plain text completion.
struct TextRequest {
    QString model;
    QString user; // OpenAI's end-user id: the server takes turns between users
    bool chat = true;
    std::string systemPrompt;                // chat: the system (and developer) messages, joined
    std::vector<llm::ChatMessage> messages;  // chat: user and assistant turns; the last is the user's
    std::vector<RequestPicture> pictures;    // chat: the user messages' pictures, still encoded (TextJob decodes them)
    std::string prompt;                      // completion: the text to continue
    llm::GenerationSettings generation;      // temperature, top_p, (top_k, min_p), seed, max_tokens
    QStringList stop;                        // at most 4; the answer ends before the first one
    bool stream = false;
    bool streamUsage = false;                // stream_options.include_usage
};

struct ImagesRequest {
    QString model;
    QString user; // OpenAI's end-user id: the server takes turns between users
    QString prompt;
    QString negativePrompt;     // Atelier: negative_prompt
    int width = 0;              // size "WxH"; 0: the model's own
    int height = 0;
    int count = 1;              // n
    int steps = 20;             // Atelier: steps
    double cfgScale = 7.0;      // Atelier: cfg_scale
    diffusion::SamplerChoice sampler{diffusion::SamplerKind::EulerAncestral, diffusion::ScheduleKind::Automatic};
    uint64_t seed = 0;          // Atelier: seed; picture i uses seed + i
};

// POST /v1/embeddings: one text or several.
struct EmbeddingRequest {
    QString model;
    QString user; // OpenAI's end-user id: the server takes turns between users
    std::vector<std::string> inputs; // `input`: a string or an array of strings (UTF-8, none empty)
    bool base64 = false;             // encoding_format "base64": little-endian float32 bytes
    int dimensions = 0;              // the first `dimensions` values, unit length again; 0: all
};

template <typename T>
using Parsed = std::variant<T, ApiError>;

Parsed<TextRequest> parseChatRequest(const QByteArray& body);
Parsed<TextRequest> parseCompletionRequest(const QByteArray& body);
Parsed<ImagesRequest> parseImagesRequest(const QByteArray& body);
Parsed<EmbeddingRequest> parseEmbeddingRequest(const QByteArray& body);

} // namespace atelier::server
