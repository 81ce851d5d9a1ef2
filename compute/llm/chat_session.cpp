#include "llm/chat_session.h"

#include "core/elapsed.h"
#include "llm/language_model.h"

#include <algorithm>
#include <chrono>

namespace atelier::llm {

namespace {
using Clock = std::chrono::steady_clock;
} // namespace

ChatSession::ChatSession(LanguageModel& model) : mModel(model)
{
    if (!model.chatTemplate().empty()) {
        if (auto parsed = ChatTemplate::parse(model.chatTemplate()); parsed.ok())
            mTemplate = parsed.value();
        else
            mTemplateError = parsed.error();
    }
}

Status ChatSession::setAdapters(std::vector<ActiveLora> adapters)
{
    ATELIER_ASSIGN(const bool changed, mModel.setAdapters(std::move(adapters)));
    if (changed)
        mContext.clear(); // the KV cache was emptied: nothing of it is reusable
    return {};
}

Result<std::vector<int32_t>> ChatSession::promptTokens(size_t firstMessage) const
{
    const Tokenizer& tokenizer = mModel.tokenizer();
    std::string text;
    if (mTemplate) {
        ChatTemplateInput input;
        if (!mSystemPrompt.empty())
            input.messages.push_back({"system", mSystemPrompt, {}});
        input.messages.insert(input.messages.end(), mMessages.begin() + long(firstMessage), mMessages.end());
        const Vocab& v = tokenizer.vocab();
        input.bosToken = v.bos >= 0 ? v.tokens[size_t(v.bos)] : std::string();
        input.eosToken = v.eos >= 0 ? v.tokens[size_t(v.eos)] : std::string();
        ATELIER_ASSIGN(text, mTemplate->render(input));
        // Templates usually write the BOS token themselves; never add a second one.
        const bool hasBos = !input.bosToken.empty() && text.rfind(input.bosToken, 0) == 0;
        return tokenizer.encode(text, !hasBos, true);
    }
    // A base model: the turns as plain lines of text, each answer following its question.
    if (!mSystemPrompt.empty())
        text += mSystemPrompt + "\n";
    for (size_t i = firstMessage; i < mMessages.size(); ++i)
        text += mMessages[i].content + "\n";
    return tokenizer.encode(text, true, false);
}

Status ChatSession::advance(const std::vector<int32_t>& tokens, const Sampler& sampler)
{
    // The sampler looks at the context as it will be, these tokens included.
    const size_t before = mContext.size();
    mContext.insert(mContext.end(), tokens.begin(), tokens.end());
    mCandidates = sampler.candidatesNeeded(mContext, int(ops::kTopLogitsMaxK));
    if (const Status s = mModel.forward(tokens, mCandidates, mPromptProgress); !s) {
        mContext.resize(before);
        mCandidates = 0;
        return s;
    }
    return {};
}

Result<int32_t> ChatSession::nextToken(Sampler& sampler)
{
    if (mCandidates > 0) {
        ATELIER_ASSIGN(const ops::TopLogits top, mModel.topLogits());
        if (top.nans > 0)
            return makeError(ErrorCode::InvalidArgument, "the model produced NaN logits");
        if (!top.overflowed)
            return sampler.sample(top.candidates, mContext);
        // More logits tie at the threshold than the device list holds: read the whole row.
    }
    ATELIER_ASSIGN(const std::vector<float> logits, mModel.logits());
    return sampler.sample(logits, mContext);
}

Status ChatSession::prefill(const std::vector<int32_t>& prompt, const Sampler& sampler, GenerationStats& stats)
{
    // Keep what the cache already holds of this prompt; run only the rest (at least one token,
    // whose logits start the answer).
    size_t same = 0;
    while (same < prompt.size() && same < mContext.size() && prompt[same] == mContext[same])
        ++same;
    same = std::min(same, prompt.size() - 1);
    mModel.truncate(int(same));
    mContext.assign(prompt.begin(), prompt.begin() + long(same));
    stats.reusedTokens = int(same);
    const auto start = Clock::now();
    const std::vector<int32_t> rest(prompt.begin() + long(same), prompt.end());
    ATELIER_TRY(advance(rest, sampler));
    stats.promptSeconds = secondsSince(start);
    return {};
}

Result<std::string> ChatSession::reply(const std::string& userText, const GenerationSettings& settings,
                                       const std::function<bool(std::string_view)>& onText, GenerationStats* statsOut)
{
    mMessages.push_back({"user", userText, {}});
    auto answered = answer(settings, onText, statsOut);
    if (!answered)
        mMessages.pop_back();
    return answered;
}

Result<std::string> ChatSession::answer(const GenerationSettings& settings,
                                        const std::function<bool(std::string_view)>& onText, GenerationStats* statsOut)
{
    if (mMessages.empty() || mMessages.back().role != "user")
        return makeError(ErrorCode::InvalidArgument, "there is no question to answer");
    const auto requested = Clock::now();
    GenerationStats stats;
    const int context = settings.contextLength > 0 ? std::min(settings.contextLength, mModel.contextLength())
                                                   : mModel.contextLength();

    // Drop the oldest turns (the system prompt stays) until the prompt and the answer fit.
    const int budget = context - std::max(1, std::min(settings.maxTokens, context / 2));
    size_t first = 0;
    std::vector<int32_t> prompt;
    for (;;) {
        auto tokens = promptTokens(first);
        if (!tokens)
            return tokens.error();
        prompt = std::move(tokens).value();
        if (int(prompt.size()) <= budget || first + 1 >= mMessages.size())
            break;
        first += 2; // a question and its answer
    }
    stats.droppedMessages = int(first);
    stats.promptTokens = int(prompt.size());
    if (int(prompt.size()) > budget)
        return makeError(ErrorCode::InvalidArgument,
                         "the message is too long for the context of " + std::to_string(context) + " tokens");
    Sampler sampler(settings.sampling);
    if (auto s = prefill(prompt, sampler, stats); !s) {
        mContext.clear();
        return s.error();
    }

    Utf8Stream utf8;
    std::string written;
    const auto generating = Clock::now();
    for (int i = 0; i < settings.maxTokens && mModel.position() < context; ++i) {
        ATELIER_ASSIGN(const int32_t token, nextToken(sampler));
        if (mModel.tokenizer().isEndOfGeneration(token))
            break;
        const std::string piece = utf8.push(mModel.tokenizer().piece(token));
        // A base model keeps writing new questions: its answer ends at the first line break.
        const bool endOfLine = !mTemplate && !written.empty() && piece.find('\n') != std::string::npos;
        const std::string text = endOfLine ? piece.substr(0, piece.find('\n')) : piece;
        if (!text.empty()) {
            if (written.empty())
                stats.firstTokenSeconds = secondsSince(requested);
            written += text;
            if (onText && !onText(text)) {
                stats.stoppedByUser = true;
                ++stats.generatedTokens;
                break;
            }
        }
        ++stats.generatedTokens;
        if (endOfLine)
            break;
        ATELIER_TRY(advance({token}, sampler));
    }
    // Bytes of a character the answer never finished: the listener hears them too, as the reply has them.
    if (const std::string tail = utf8.flush(); !tail.empty()) {
        written += tail;
        if (onText)
            onText(tail);
    }
    stats.generationSeconds = secondsSince(generating);
    if (!mTemplate && !written.empty() && written.front() == ' ')
        written.erase(0, 1);
    mMessages.push_back({"assistant", written, {}});
    if (statsOut)
        *statsOut = stats;
    return written;
}

} // namespace atelier::llm
