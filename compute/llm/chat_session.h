#pragma once
// One conversation with a model: renders the turns with the model's chat template (or, for a base
// model without one, as plain text to complete), reuses the KV cache for the prefix the previous
// turn left, drops the oldest turns when the context overflows, and streams the answer.

#include "core/result.h"
#include "llm/lora_adapter.h"
#include "llm/sampler.h"
#include "llm/template/chat_template.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::llm {

class LanguageModel;
class VisionEncoder;
struct RgbPicture;
using PictureRef = std::shared_ptr<const RgbPicture>;

struct GenerationStats {
    int promptTokens = 0;        // tokens of the rendered conversation
    int reusedTokens = 0;        // of those, found in the KV cache from the previous turn
    int generatedTokens = 0;
    int droppedMessages = 0;     // oldest turns left out so the conversation fits the context
    double promptSeconds = 0;    // processing the new prompt tokens
    double generationSeconds = 0;
    double firstTokenSeconds = 0; // from the request to the first answer text
    bool stoppedByUser = false;
};

struct GenerationSettings {
    SamplingParams sampling;
    int maxTokens = 512;
    int contextLength = 0; // tokens the conversation may use; 0 or more than the model's: the model's
};

class ChatSession {
public:
    explicit ChatSession(LanguageModel& model);

    void setSystemPrompt(std::string text) { mSystemPrompt = std::move(text); }
    // Hears (prompt tokens read, prompt tokens to read) while a long prompt is processed, before
    // the answer's first token; returning false stops the answer there (ErrorCode::Cancelled).
    void setPromptProgress(std::function<bool(int, int)> progress) { mPromptProgress = std::move(progress); }
    const std::vector<ChatMessage>& messages() const { return mMessages; }
    // A vision projector for this model (the caller owns it; same device, its projection as wide
    // as the model's embeddings): messages' pictures are then read, each in the place its
    // VisionConfig gives it before the message's text. Without one, a message with pictures is an
    // error. nullptr takes it away.
    Status setVision(VisionEncoder* encoder);
    bool readsPictures() const { return mVision != nullptr; }
    VisionEncoder* vision() const { return mVision; }
    // Replaces the conversation (another branch, an edited question). The KV cache keeps whatever
    // prefix the new conversation shares with what it holds.
    void setMessages(std::vector<ChatMessage> messages) { mMessages = std::move(messages); }
    bool completesText() const { return !mTemplate.has_value(); }
    // LoRA adapters for the answers from now on (LanguageModel::setAdapters); another set than the
    // last one reads the whole conversation again on the next answer.
    Status setAdapters(std::vector<ActiveLora> adapters);
    // Why the model's chat template could not be read (a syntax error, say): such a model is no
    // base model, yet it completes text too, having no template to follow. Empty when the template
    // was read or the model has none.
    const std::optional<Error>& templateError() const { return mTemplateError; }

    // Adds the user's message and generates the answer, which is also added. onText receives the
    // answer as it grows, in valid UTF-8 pieces, and returns false to stop (the text so far stays).
    Result<std::string> reply(const std::string& userText, const GenerationSettings& settings,
                              const std::function<bool(std::string_view)>& onText, GenerationStats* stats = nullptr,
                              std::vector<PictureRef> pictures = {});
    // Answers the conversation as it stands, whose last message must be the user's; the answer is
    // added. On an error the messages are left as they were.
    Result<std::string> answer(const GenerationSettings& settings, const std::function<bool(std::string_view)>& onText,
                               GenerationStats* stats = nullptr);

private:
    // The prompt's tokens; each picture stands there as `tokensPerPicture` copies of a negative id
    // of its own (its pixels' hash), which mPictures maps back to it.
    Result<std::vector<int32_t>> promptTokens(size_t firstMessage);
    Result<std::vector<int32_t>> pictureTokens(const PictureRef& picture);
    Result<int32_t> tokenOfText(const std::string& text);
    Status prefill(const std::vector<int32_t>& prompt, const Sampler& sampler, GenerationStats& stats);
    // Runs one more token of the context, asking the device for the candidates `sampler` needs.
    Status advance(const std::vector<int32_t>& tokens, const Sampler& sampler);
    // Runs a picture's places (copies of one negative id) with its embeddings.
    Status advancePicture(const std::vector<int32_t>& places, const Sampler& sampler);
    Result<int32_t> nextToken(Sampler& sampler);

    LanguageModel& mModel;
    std::optional<ChatTemplate> mTemplate;
    std::optional<Error> mTemplateError;
    std::string mSystemPrompt;
    std::vector<ChatMessage> mMessages; // user and assistant turns
    std::vector<int32_t> mContext;      // the tokens in the model's KV cache, in order
    VisionEncoder* mVision = nullptr;
    std::map<int32_t, PictureRef> mPictures; // a tile's place id -> the tile (picture_plan.h)
    // A conversation picture's tokens, kept with the picture so the address is never another's.
    std::map<const RgbPicture*, std::pair<PictureRef, std::vector<int32_t>>> mPictureTokens;
    std::map<std::string, int32_t> mTokenOfText;
    int mCandidates = 0;
    std::function<bool(int, int)> mPromptProgress;                // largest logits the last forward pass chose on the device (0: none)
};

} // namespace atelier::llm
