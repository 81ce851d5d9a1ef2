#pragma once
// "Describe for Create" (issue 22): a picture becomes a Stable Diffusion prompt, as A1111's
// Interrogate or ComfyUI's caption nodes make one, written by the chat model through its vision
// projector. The instruction, the sampling and the tidying of the answer live here so the window's
// job and `atelier describe` write the same prompt for the same picture.

#include "core/result.h"
#include "llm/chat_session.h"

#include <QString>

#include <functional>
#include <string_view>

namespace atelier::ui {

// What the model is asked, with the picture before it.
QString describeInstruction();

// Greedy (the same picture gives the same prompt), a light repeat penalty so a small model does not
// list one word over and over, and room for about 60 words.
llm::GenerationSettings describeSettings();

// The answer as a prompt: one line of comma-separated phrases, without an introduction ("Prompt:",
// "Here is…:"), list markers, Markdown emphasis, surrounding quotes or a final full stop. An answer
// `cutShort` by the token limit loses its last phrase, which the limit may have cut in two.
QString promptFromAnswer(const QString& answer, bool cutShort = false);
// Whether an answer ended at describeSettings()'s token limit rather than where the model stopped.
bool cutShort(const llm::GenerationStats& stats);

// Asks `session` (whose model reads pictures: ChatSession::setVision) for the picture's prompt:
// replaces its conversation with the one question, without a system prompt or LoRA adapters.
// onText hears the raw answer as it grows and returns false to stop. Returns the raw answer.
Result<std::string> describePicture(llm::ChatSession& session, llm::PictureRef picture,
                                    const std::function<bool(std::string_view)>& onText,
                                    llm::GenerationStats* stats = nullptr);

} // namespace atelier::ui
