#include "llm/chat_session.h"

#include "core/elapsed.h"
#include "llm/language_model.h"
#include "llm/picture.h"
#include "llm/picture_plan.h"
#include "llm/vision_encoder.h"

#include <algorithm>
#include <chrono>

namespace atelier::llm {

namespace {
using Clock = std::chrono::steady_clock;

// Where a message's pictures go in its rendered text, before being replaced by their places.
constexpr std::string_view kPictureMarker = "<__atelier_picture__>";

// A negative id of the picture's own (FNV-1a of its size and pixels): equal pictures get equal
// places, so the KV cache prefix a picture left is found again.
int32_t placeId(const RgbPicture& p)
{
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](uint8_t byte) { h = (h ^ byte) * 1099511628211ull; };
    for (int v : {p.width, p.height})
        for (int i = 0; i < 4; ++i)
            mix(uint8_t(v >> (8 * i)));
    for (uint8_t byte : p.rgb)
        mix(byte);
    return -1 - int32_t(h % 0x3FFFFFFFull);
}

// The message's text with a marker for each of its pictures before it.
ChatMessage withMarkers(const ChatMessage& m)
{
    ChatMessage out = m;
    std::string markers;
    for (size_t i = 0; i < m.pictures.size(); ++i)
        markers += kPictureMarker;
    out.content = markers + m.content;
    return out;
}
} // namespace

Status ChatSession::setVision(VisionEncoder* encoder)
{
    if (encoder && !projectorFits(encoder->config(), mModel.config().architectureName, mModel.config().dim))
        return makeError(ErrorCode::InvalidArgument,
                         "the vision projector (" + encoder->config().projectorName + ", embeddings of " +
                             std::to_string(encoder->config().textDim) + " values) belongs to another model than this " +
                             mModel.config().architectureName + " of width " + std::to_string(mModel.config().dim));
    if (encoder && encoder->tokensPerPicture() > mModel.maxBatch())
        return makeError(ErrorCode::InvalidArgument, "a picture's " + std::to_string(encoder->tokensPerPicture()) +
                                                         " embeddings do not fit the model's batch of " +
                                                         std::to_string(mModel.maxBatch()));
    mVision = encoder;
    mContext.clear(); // places of pictures read by another projector mean other embeddings
    mPictures.clear();
    mPictureTokens.clear();
    mModel.truncate(0);
    return {};
}

Result<int32_t> ChatSession::tokenOfText(const std::string& text)
{
    if (const auto found = mTokenOfText.find(text); found != mTokenOfText.end())
        return found->second;
    // As mtmd's lookup_token: the first token that reads as this text.
    const Tokenizer& tokenizer = mModel.tokenizer();
    for (size_t id = 0; id < tokenizer.vocab().size(); ++id)
        if (tokenizer.piece(int32_t(id), true) == text)
            return mTokenOfText[text] = int32_t(id);
    return makeError(ErrorCode::Unsupported, "this model's vocabulary has no token for the picture marker '" + text +
                                                 "': the vision projector belongs to another model");
}

Result<std::vector<int32_t>> ChatSession::pictureTokens(const PictureRef& picture)
{
    if (!mVision)
        return makeError(ErrorCode::Unsupported, "this model cannot read pictures: no vision projector (mmproj) is loaded");
    if (!picture || !picture->valid())
        return makeError(ErrorCode::InvalidArgument, "a picture of the conversation is empty");
    // A picture is planned (resized, tiled, hashed) once; every later rendering reuses its tokens.
    if (const auto cached = mPictureTokens.find(picture.get());
        cached != mPictureTokens.end() && cached->second.first == picture)
        return cached->second.second;
    ATELIER_ASSIGN(PicturePlan plan, planPicture(*picture, mVision->config()));
    const Tokenizer& tokenizer = mModel.tokenizer();
    const int32_t base = placeId(*picture);
    std::vector<int32_t> ids;
    for (const PicturePart& part : plan.parts) {
        switch (part.kind) {
        case PicturePart::Kind::Text: {
            const std::vector<int32_t> text = tokenizer.encode(part.text, false, true);
            // Markers are special tokens; a vocabulary without them spells them out in pieces.
            for (int32_t id : text)
                if (const TokenType type = tokenizer.vocab().types[size_t(id)];
                    type != TokenType::Control && type != TokenType::UserDefined)
                    return makeError(ErrorCode::Unsupported, "this model's vocabulary lacks the picture markers in '" +
                                                                 part.text + "': the vision projector belongs to another model");
            ids.insert(ids.end(), text.begin(), text.end());
            break;
        }
        case PicturePart::Kind::Token: {
            ATELIER_ASSIGN(const int32_t id, tokenOfText(part.text));
            ids.push_back(id);
            break;
        }
        case PicturePart::Kind::Tile: {
            // Each tile its own place id, derived from the picture's.
            const int32_t place = -1 - int32_t((uint32_t(-(base + 1)) + uint32_t(part.tile) * 0x9E3779B1u) % 0x3FFFFFFFu);
            mPictures[place] = std::make_shared<const RgbPicture>(std::move(plan.tiles[size_t(part.tile)]));
            ids.insert(ids.end(), size_t(mVision->tokensPerPicture()), place);
            break;
        }
        }
    }
    mPictureTokens[picture.get()] = {picture, ids};
    return ids;
}

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

Result<std::vector<int32_t>> ChatSession::promptTokens(size_t firstMessage)
{
    const Tokenizer& tokenizer = mModel.tokenizer();
    std::string text;
    std::vector<PictureRef> pictures;
    for (size_t i = firstMessage; i < mMessages.size(); ++i)
        pictures.insert(pictures.end(), mMessages[i].pictures.begin(), mMessages[i].pictures.end());
    bool addBos = true, parseSpecial = false;
    if (mTemplate) {
        ChatTemplateInput input;
        if (!mSystemPrompt.empty())
            input.messages.push_back({"system", mSystemPrompt, {}, {}});
        for (size_t i = firstMessage; i < mMessages.size(); ++i)
            input.messages.push_back(withMarkers(mMessages[i]));
        const Vocab& v = tokenizer.vocab();
        input.bosToken = v.bos >= 0 ? v.tokens[size_t(v.bos)] : std::string();
        input.eosToken = v.eos >= 0 ? v.tokens[size_t(v.eos)] : std::string();
        ATELIER_ASSIGN(text, mTemplate->render(input));
        // Templates usually write the BOS token themselves; never add a second one.
        addBos = input.bosToken.empty() || text.rfind(input.bosToken, 0) != 0;
        parseSpecial = true;
    } else {
        // A base model: the turns as plain lines of text, each answer following its question.
        if (!mSystemPrompt.empty())
            text += mSystemPrompt + "\n";
        for (size_t i = firstMessage; i < mMessages.size(); ++i)
            text += withMarkers(mMessages[i]).content + "\n";
    }
    if (pictures.empty())
        return tokenizer.encode(text, addBos, parseSpecial);
    // The text between pictures, tokenized piece by piece (as llama.cpp's mtmd does), and each
    // picture's tokens where its marker was.
    std::vector<int32_t> ids;
    size_t from = 0;
    for (size_t next = 0; next <= pictures.size(); ++next) {
        const size_t at = next < pictures.size() ? text.find(kPictureMarker, from) : std::string::npos;
        if (next < pictures.size() && at == std::string::npos)
            return makeError(ErrorCode::InvalidArgument, "the chat template left out a picture of the conversation");
        const std::vector<int32_t> piece = tokenizer.encode(text.substr(from, at == std::string::npos ? std::string::npos : at - from),
                                                            addBos && next == 0, parseSpecial);
        ids.insert(ids.end(), piece.begin(), piece.end());
        if (at == std::string::npos)
            break;
        ATELIER_ASSIGN(const std::vector<int32_t> picture, pictureTokens(pictures[next]));
        ids.insert(ids.end(), picture.begin(), picture.end());
        from = at + kPictureMarker.size();
    }
    return ids;
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

Status ChatSession::advancePicture(const std::vector<int32_t>& places, const Sampler& sampler)
{
    const auto found = mPictures.find(places.front());
    if (!mVision || found == mPictures.end())
        return makeError(ErrorCode::InvalidArgument, "a picture of the conversation is missing");
    ATELIER_ASSIGN(const ops::Tensor* rows, mVision->encode(*found->second));
    if (rows->dim(0) != int64_t(places.size()))
        return makeError(ErrorCode::InvalidArgument, "a picture's embeddings do not fill its places");
    const size_t before = mContext.size();
    mContext.insert(mContext.end(), places.begin(), places.end());
    mCandidates = sampler.candidatesNeeded(mContext, int(ops::kTopLogitsMaxK));
    if (const Status s = mModel.forwardEmbeddings(*rows, !mVision->config().picturesBothWays, mCandidates); !s) {
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
    // A picture is read whole: never keep only the first of its places.
    while (same > 0 && prompt[same] < 0 && prompt[same - 1] == prompt[same])
        --same;
    mModel.truncate(int(same));
    mContext.assign(prompt.begin(), prompt.begin() + long(same));
    stats.reusedTokens = int(same);
    const auto start = Clock::now();
    // Runs of text tokens, and of one picture's places.
    for (size_t at = same; at < prompt.size();) {
        const bool picture = prompt[at] < 0;
        size_t end = at + 1;
        while (end < prompt.size() && (picture ? prompt[end] == prompt[at] : prompt[end] >= 0))
            ++end;
        const std::vector<int32_t> run(prompt.begin() + long(at), prompt.begin() + long(end));
        ATELIER_TRY(picture ? advancePicture(run, sampler) : advance(run, sampler));
        at = end;
    }
    stats.promptSeconds = secondsSince(start);
    return {};
}

Result<std::string> ChatSession::reply(const std::string& userText, const GenerationSettings& settings,
                                       const std::function<bool(std::string_view)>& onText, GenerationStats* statsOut,
                                       std::vector<PictureRef> pictures)
{
    mMessages.push_back({"user", userText, {}, std::move(pictures)});
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
    mMessages.push_back({"assistant", written, {}, {}});
    if (statsOut)
        *statsOut = stats;
    return written;
}

} // namespace atelier::llm
