#include "server/text_job.h"

#include "server/stop_scanner.h"

#include "llm/chat_resident.h"
#include "llm/tokenizer.h"
#include "llm/vision_config.h"
#include "llm/vision_encoder.h"

#include <QFileInfo>

namespace atelier::server {

namespace {

const std::string kResidentKey = "server.chat.model";
// The vision projector of the server's own model, erased with it (its session points to it).
const std::string kVisionKey = "server.chat.vision";
struct ServerVision {
    std::unique_ptr<llm::VisionEncoder> encoder;
};

// The window's model when it is the file asked for (no second copy in memory), else the server's
// own, loaded on first use.
Result<llm::ChatResident*> loadedModel(engine::JobContext& ctx, const QString& path, int contextLength)
{
    const std::string file = path.toStdString();
    if (auto* window = ctx.residents().find<llm::ChatResident>(llm::kChatResidentKey); window && window->path == file)
        return window;
    auto* resident = ctx.residents().find<llm::ChatResident>(kResidentKey);
    if (resident && resident->path == file)
        return resident;
    ctx.residents().erase(kResidentKey); // free the old model's memory before loading the next
    ctx.residents().erase(kVisionKey);
    llm::LoadOptions options;
    options.contextLength = contextLength;
    auto progress = [&ctx](double f) {
        ctx.progress(f, QStringLiteral("Loading"));
        return !ctx.cancelled();
    };
    ATELIER_ASSIGN(auto model, llm::LanguageModel::load(ctx.device(), file, options, progress));
    auto loaded = std::make_unique<llm::ChatResident>();
    loaded->path = file;
    loaded->session = std::make_unique<llm::ChatSession>(*model);
    loaded->model = std::move(model);
    return &ctx.residents().put(kResidentKey, std::move(loaded));
}

// Makes the session read pictures. The window's model reads them with the projector the window
// loaded for it; the server's own model gets the one next to it, found as the window finds it.
Status equipVision(engine::JobContext& ctx, llm::ChatResident& loaded, const std::string& modelId)
{
    if (loaded.session->readsPictures())
        return {};
    const std::string cannot = "model " + modelId + " cannot see pictures: ";
    if (loaded.session->completesText())
        return makeError(ErrorCode::InvalidArgument, cannot + "it has no chat template to place them in");
    const llm::ModelConfig& config = loaded.model->config();
    const std::string projector = llm::findVisionProjector(loaded.path, config.architectureName, config.dim);
    if (projector.empty())
        return makeError(ErrorCode::InvalidArgument, cannot + "no vision projector (mmproj*.gguf) next to it");
    const std::string projectorName = QFileInfo(QString::fromStdString(projector)).fileName().toStdString();
    if (ctx.residents().find<llm::ChatResident>(kResidentKey) != &loaded) // the window's: its projector failed to load
        return makeError(ErrorCode::InvalidArgument, cannot + "its vision projector " + projectorName + " did not load in the window");
    auto encoder = llm::VisionEncoder::load(ctx.device(), projector);
    if (!encoder)
        return makeError(encoder.error().code, cannot + "its vision projector " + projectorName + " cannot be used: " +
                                                   encoder.error().message);
    ATELIER_TRY(loaded.session->setVision(encoder.value().get()));
    auto vision = std::make_unique<ServerVision>();
    vision->encoder = std::move(encoder).value();
    ctx.residents().put(kVisionKey, std::move(vision));
    return {};
}

// Continues `prompt` as it is, with no template: /v1/completions.
Result<std::string> complete(llm::LanguageModel& model, const std::string& prompt, const llm::GenerationSettings& settings,
                             const std::function<bool(std::string_view)>& onText, llm::GenerationStats& stats)
{
    const llm::Tokenizer& tokenizer = model.tokenizer();
    std::vector<int32_t> context = tokenizer.encode(prompt, true, false);
    const int limit = model.contextLength();
    stats.promptTokens = int(context.size());
    if (int(context.size()) >= limit)
        return makeError(ErrorCode::InvalidArgument, "the prompt's " + std::to_string(context.size()) +
                                                         " tokens do not fit the context of " + std::to_string(limit) + " tokens");
    llm::Sampler sampler(settings.sampling);
    model.truncate(0);
    auto step = [&](std::span<const int32_t> tokens) -> Result<int32_t> {
        const int candidates = sampler.candidatesNeeded(context, int(ops::kTopLogitsMaxK));
        ATELIER_TRY(model.forward(tokens, candidates));
        if (candidates > 0) {
            ATELIER_ASSIGN(const ops::TopLogits top, model.topLogits());
            if (top.nans > 0)
                return makeError(ErrorCode::InvalidArgument, "the model produced NaN logits");
            if (!top.overflowed)
                return sampler.sample(top.candidates, context);
        }
        ATELIER_ASSIGN(const std::vector<float> logits, model.logits());
        return sampler.sample(logits, context);
    };
    llm::Utf8Stream utf8;
    std::string written;
    ATELIER_ASSIGN(int32_t token, step(context));
    while (stats.generatedTokens < settings.maxTokens && !tokenizer.isEndOfGeneration(token)) {
        ++stats.generatedTokens;
        const std::string piece = utf8.push(tokenizer.piece(token));
        written += piece;
        if (!piece.empty() && onText && !onText(piece)) {
            stats.stoppedByUser = true;
            return written;
        }
        context.push_back(token);
        if (model.position() + 1 >= limit)
            break;
        ATELIER_ASSIGN(token, step(std::span<const int32_t>(&context.back(), 1)));
    }
    const std::string rest = utf8.flush();
    if (!rest.empty() && onText)
        onText(rest);
    return written + rest;
}

} // namespace

TextJob::TextJob(TextRequest request, QString modelPath, int contextLength, std::shared_ptr<JobFailure> failure)
    : mRequest(std::move(request)), mModelPath(std::move(modelPath)), mContextLength(contextLength), mFailure(std::move(failure))
{
}

QString TextJob::name() const
{
    return mRequest.chat ? QStringLiteral("API chat") : QStringLiteral("API completion");
}

Result<QVariant> TextJob::run(engine::JobContext& ctx)
{
    auto result = answer(ctx);
    if (!result && mFailure)
        mFailure->set(result.error());
    return result;
}

void TextJob::failedAt(const QString& field)
{
    if (mFailure)
        mFailure->param = field;
}

Result<QVariant> TextJob::answer(engine::JobContext& ctx)
{
    ATELIER_ASSIGN(llm::ChatResident * loaded, loadedModel(ctx, mModelPath, mContextLength));
    // The API serves the model itself: not the LoRA adapters a window conversation put on it (issue 20).
    ATELIER_TRY(loaded->session->setAdapters({}));
    StopScanner scanner(mRequest.stop);
    QString sent;
    auto onText = [&](std::string_view piece) {
        if (ctx.cancelled()) // the client went away while this token was made: it goes nowhere
            return false;
        const StopScanner::Step step = scanner.push(QString::fromUtf8(piece.data(), qsizetype(piece.size())));
        if (!step.text.isEmpty()) {
            sent += step.text;
            ctx.partial(step.text);
        }
        return !step.stopped && !ctx.cancelled();
    };
    llm::GenerationStats stats;
    llm::GenerationSettings settings = mRequest.generation;
    if (mRequest.chat) {
        llm::ChatSession& session = *loaded->session;
        session.setPromptProgress([&ctx](int, int) { return !ctx.cancelled(); });
        session.setSystemPrompt(mRequest.systemPrompt);
        std::vector<llm::ChatMessage> messages = mRequest.messages;
        if (!mRequest.pictures.empty()) {
            if (Status seeing = equipVision(ctx, *loaded, mRequest.model.toStdString()); !seeing) {
                failedAt(mRequest.pictures.front().field);
                return seeing.error();
            }
            // Each picture decoded at the size the encoder reads it, unless it is small enough to
            // decode whole (the answer then equals ChatSession's for the picture itself).
            const llm::VisionConfig& vision = loaded->session->vision()->config();
            auto sizeOf = [&vision](const RequestPicture& picture) { return decodedSize(picture.size, vision); };
            if (auto refusal = checkDecodedPixels(mRequest.pictures, [&](const RequestPicture& p) {
                    const QSize size = sizeOf(p);
                    return qint64(size.width()) * size.height();
                })) {
                failedAt(refusal->param);
                return makeError(ErrorCode::InvalidArgument, refusal->message.toStdString());
            }
            for (const RequestPicture& picture : mRequest.pictures) {
                auto rgb = decodePicture(picture.bytes, sizeOf(picture));
                if (!rgb) {
                    failedAt(picture.field);
                    return makeError(ErrorCode::InvalidArgument, "'" + picture.field.toStdString() + "': " + rgb.error().message);
                }
                messages[picture.message].pictures.push_back(std::make_shared<const llm::RgbPicture>(std::move(rgb).value()));
            }
        }
        session.setMessages(std::move(messages));
        ATELIER_TRY(session.answer(settings, onText, &stats));
    } else {
        auto written = complete(*loaded->model, mRequest.prompt, settings, onText, stats);
        // The KV cache no longer holds what the chat session remembers: start it afresh, still
        // reading pictures if it did.
        llm::VisionEncoder* vision = loaded->session->vision();
        loaded->session = std::make_unique<llm::ChatSession>(*loaded->model);
        if (vision)
            (void)loaded->session->setVision(vision);
        if (!written)
            return written.error();
    }
    if (ctx.cancelled())
        return makeError(ErrorCode::Cancelled, "the client went away");
    if (const QString rest = scanner.finish(); !rest.isEmpty()) {
        sent += rest;
        ctx.partial(rest);
    }
    TextAnswer answer;
    answer.text = sent;
    answer.promptTokens = stats.promptTokens;
    answer.completionTokens = stats.generatedTokens;
    answer.finishReason = !scanner.stopped() && stats.generatedTokens >= settings.maxTokens ? QStringLiteral("length")
                                                                                            : QStringLiteral("stop");
    return QVariant::fromValue(answer);
}

} // namespace atelier::server
