#pragma once
// The tiny vision models of tests/llm/fixtures where a test needs them: the tiny Gemma 3 with its
// vision projector beside it (mmproj-tiny_gemma3.gguf, as LM Studio and llama.cpp users keep
// them) or alone, the tiny Qwen2 (a chat model with the Gemma's width that reads no pictures); and
// what a fresh ChatSession of them answers about pictures, the reference the server, Chat and
// Describe are held to.

#include "core/result.h"
#include "engine/compute_engine.h"
#include "llm/chat_session.h"
#include "llm/picture.h"

#include <QString>

#include <string>
#include <vector>

namespace atelier::test {

// A file of tests/llm/fixtures.
QString llmFixture(const QString& name);

// Copies the tiny Gemma 3 into `folder` (made if missing), with its projector beside it unless
// `withProjector` is false; a file already there is kept. The model's path; empty on failure.
QString installTinyGemma(const QString& folder, bool withProjector = true);
// Copies the tiny Qwen2 into `folder` (made if missing; a folder of its own, so that no Gemma
// projector, which fits its width, is offered for it). The model's path; empty on failure.
QString installTinyQwen(const QString& folder);

// A picture file as the window reads it: upright, over white, RGB.
Result<llm::PictureRef> readPicture(const QString& path);

struct SessionAnswer {
    QString text;
    llm::GenerationStats stats;
};

// What a fresh ChatSession of `model` (context 512), reading pictures with `projector`, answers
// `question` showing `pictures` (none: the question alone), on the engine's device.
Result<SessionAnswer> sessionAnswer(engine::ComputeEngine& engine, const QString& model, const QString& projector,
                                    const std::string& question, std::vector<llm::PictureRef> pictures,
                                    const llm::GenerationSettings& settings);

} // namespace atelier::test
