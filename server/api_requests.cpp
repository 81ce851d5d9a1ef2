#include "server/api_requests.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QRegularExpression>

#include <cmath>
#include <random>

namespace atelier::server {

namespace {

constexpr int kMaxStops = 4;
constexpr int kMaxPictures = 10;
constexpr int kMaxSide = 2048;
constexpr int kMaxSteps = 150;
constexpr int kMaxInputs = 2048; // OpenAI's limit on texts per embeddings request

Parsed<QJsonObject> readObject(const QByteArray& body)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError)
        return badRequest(QStringLiteral("The body is not valid JSON: %1 at offset %2.").arg(error.errorString()).arg(error.offset));
    if (!doc.isObject())
        return badRequest(QStringLiteral("The body must be a JSON object."));
    return doc.object();
}

// Reads an optional number field into `out` when present and in [min, max].
std::optional<ApiError> readNumber(const QJsonObject& o, const QString& key, double min, double max, double& out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (!v.isDouble() || !std::isfinite(v.toDouble()))
        return badRequest(QStringLiteral("'%1' must be a number.").arg(key), key);
    if (v.toDouble() < min || v.toDouble() > max)
        return badRequest(QStringLiteral("'%1' must be between %2 and %3, got %4.").arg(key).arg(min).arg(max).arg(v.toDouble()), key);
    out = v.toDouble();
    return std::nullopt;
}

std::optional<ApiError> readInteger(const QJsonObject& o, const QString& key, double min, double max, double& out)
{
    double value = out;
    if (auto error = readNumber(o, key, min, max, value))
        return error;
    if (value != std::floor(value))
        return badRequest(QStringLiteral("'%1' must be a whole number.").arg(key), key);
    out = value;
    return std::nullopt;
}

std::optional<ApiError> readModel(const QJsonObject& o, QString& model)
{
    const QJsonValue v = o.value("model");
    if (!v.isString() || v.toString().isEmpty())
        return badRequest(QStringLiteral("'model' is required: the id of a model from GET /v1/models."), "model");
    model = v.toString();
    return std::nullopt;
}

// The body's object into `o`, and what every request carries: the caller's `user` and its `model`.
template <typename Request>
std::optional<ApiError> readRequestObject(const QByteArray& body, QJsonObject& o, Request& r)
{
    auto parsed = readObject(body);
    if (auto* e = std::get_if<ApiError>(&parsed))
        return *e;
    o = std::get<QJsonObject>(parsed);
    r.user = o.value("user").toString();
    return readModel(o, r.model);
}

uint64_t randomSeed()
{
    std::random_device device;
    return (uint64_t(device()) << 32) | device();
}

// temperature, top_p, top_k, min_p, seed, max_tokens, stop, stream: what chat and completions share.
std::optional<ApiError> readGeneration(const QJsonObject& o, TextRequest& r)
{
    llm::SamplingParams& s = r.generation.sampling;
    double temperature = 1.0, topP = 1.0, topK = s.topK, minP = 0.0, seed = -1, maxTokens = 1024;
    if (auto e = readNumber(o, "temperature", 0, 2, temperature))
        return e;
    if (auto e = readNumber(o, "top_p", 0, 1, topP))
        return e;
    if (topP <= 0)
        return badRequest(QStringLiteral("'top_p' must be more than 0."), "top_p");
    if (auto e = readInteger(o, "top_k", 0, 1e6, topK))
        return e;
    if (auto e = readNumber(o, "min_p", 0, 1, minP))
        return e;
    if (auto e = readInteger(o, "seed", -9.2e18, 1.8e19, seed)) // int64 or uint64, as clients send them
        return e;
    if (auto e = readInteger(o, "max_tokens", 1, 1e7, maxTokens))
        return e;
    if (o.contains("max_completion_tokens"))
        if (auto e = readInteger(o, "max_completion_tokens", 1, 1e7, maxTokens))
            return e;
    s.temperature = float(temperature);
    s.topP = float(topP);
    s.topK = int(topK);
    s.minP = float(minP);
    s.seed = !o.value("seed").isDouble() ? randomSeed() : seed < 0 ? uint64_t(int64_t(seed)) : uint64_t(seed);
    r.generation.maxTokens = int(maxTokens);

    const QJsonValue stop = o.value("stop");
    if (stop.isString()) {
        r.stop << stop.toString();
    } else if (stop.isArray()) {
        for (const QJsonValue& v : stop.toArray()) {
            if (!v.isString())
                return badRequest(QStringLiteral("'stop' must be a string or a list of strings."), "stop");
            r.stop << v.toString();
        }
    } else if (!stop.isUndefined() && !stop.isNull()) {
        return badRequest(QStringLiteral("'stop' must be a string or a list of strings."), "stop");
    }
    r.stop.removeAll(QString());
    if (r.stop.size() > kMaxStops)
        return badRequest(QStringLiteral("'stop' takes at most %1 strings.").arg(kMaxStops), "stop");

    const QJsonValue stream = o.value("stream");
    if (!stream.isUndefined() && !stream.isNull() && !stream.isBool())
        return badRequest(QStringLiteral("'stream' must be true or false."), "stream");
    r.stream = stream.toBool();
    r.streamUsage = o.value("stream_options").toObject().value("include_usage").toBool();
    const QJsonValue n = o.value("n");
    if (!n.isUndefined() && !n.isNull() && n.toDouble() != 1)
        return badRequest(QStringLiteral("Only one choice per request is made here ('n' must be 1)."), "n");
    return std::nullopt;
}

// A message's content: a string, or a list of text parts and (user messages only) image_url
// parts, whose pictures go to `pictures` (the message's place in r.messages is filled in later).
std::optional<ApiError> readContent(const QJsonValue& content, const QString& field, bool user, QString& text,
                                    std::vector<RequestPicture>& pictures)
{
    if (content.isString()) {
        text = content.toString();
        return std::nullopt;
    }
    if (!content.isArray())
        return badRequest(QStringLiteral("Each message needs a 'content' string (or a list of parts); '%1' is neither.").arg(field),
                          field);
    const QJsonArray parts = content.toArray();
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QString where = QStringLiteral("%1[%2]").arg(field).arg(i);
        const QJsonObject p = parts[i].toObject();
        const QString type = p.value("type").toString();
        if (type == QLatin1String("text") && p.value("text").isString()) {
            text += p.value("text").toString();
        } else if (type == QLatin1String("image_url") && user) {
            RequestPicture picture;
            picture.field = where + QStringLiteral(".image_url");
            if (pictures.size() >= size_t(kMaxRequestPictures)) // counted before the picture is read
                return badRequest(QStringLiteral("A request may show at most %1 pictures, those of earlier messages in the "
                                                 "conversation included; '%2' is picture %3. Leave older pictures out.")
                                      .arg(kMaxRequestPictures).arg(where).arg(pictures.size() + 1), where);
            if (auto e = readPictureUrl(p.value("image_url"), picture))
                return e;
            pictures.push_back(std::move(picture));
        } else if (type == QLatin1String("image_url")) {
            return badRequest(QStringLiteral("'%1': only the user's messages may show pictures.").arg(where), where);
        } else if (type == QLatin1String("text")) {
            return badRequest(QStringLiteral("'%1' is a text part without a 'text' string.").arg(where), where);
        } else {
            return badRequest(QStringLiteral("'%1' is a part of type '%2'; messages here hold text and image_url parts.")
                                  .arg(where, type), where);
        }
    }
    return std::nullopt;
}

} // namespace

Parsed<TextRequest> parseChatRequest(const QByteArray& body)
{
    QJsonObject o;
    TextRequest r;
    r.chat = true;
    if (auto e = readRequestObject(body, o, r))
        return *e;
    const QJsonValue messages = o.value("messages");
    if (!messages.isArray() || messages.toArray().isEmpty())
        return badRequest(QStringLiteral("'messages' must be a non-empty list of messages."), "messages");
    QStringList system;
    const QJsonArray list = messages.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QJsonObject message = list[i].toObject();
        const QString role = message.value("role").toString();
        const bool user = role == QLatin1String("user");
        QString text;
        const size_t firstPicture = r.pictures.size();
        if (auto e = readContent(message.value("content"), QStringLiteral("messages[%1].content").arg(i), user, text, r.pictures))
            return *e;
        for (size_t p = firstPicture; p < r.pictures.size(); ++p)
            r.pictures[p].message = r.messages.size();
        if (role == QLatin1String("system") || role == QLatin1String("developer"))
            system << text;
        else if (user || role == QLatin1String("assistant"))
            r.messages.push_back({role.toStdString(), text.toStdString(), {}, {}});
        else
            return badRequest(QStringLiteral("A message's 'role' must be system, developer, user or assistant, got '%1'.").arg(role),
                              QStringLiteral("messages[%1].role").arg(i));
    }
    if (r.messages.empty() || r.messages.back().role != "user")
        return badRequest(QStringLiteral("The last message must be the user's."), "messages");
    // What surely goes over the decoded-pixel budget is refused now; the job counts the rest at
    // the size the served model's encoder reads them.
    if (auto e = checkDecodedPixels(r.pictures, pixelsDecodedWhateverTheModel))
        return *e;
    r.systemPrompt = system.join("\n\n").toStdString();
    if (auto e = readGeneration(o, r))
        return *e;
    return r;
}

Parsed<TextRequest> parseCompletionRequest(const QByteArray& body)
{
    QJsonObject o;
    TextRequest r;
    r.chat = false;
    if (auto e = readRequestObject(body, o, r))
        return *e;
    QJsonValue prompt = o.value("prompt");
    if (prompt.isArray() && prompt.toArray().size() == 1)
        prompt = prompt.toArray().first();
    if (!prompt.isString())
        return badRequest(QStringLiteral("'prompt' must be one string."), "prompt");
    r.prompt = prompt.toString().toStdString();
    if (auto e = readGeneration(o, r))
        return *e;
    if (!o.contains("max_tokens"))
        r.generation.maxTokens = 16; // OpenAI's default for completions
    return r;
}

Parsed<ImagesRequest> parseImagesRequest(const QByteArray& body)
{
    QJsonObject o;
    ImagesRequest r;
    if (auto e = readRequestObject(body, o, r))
        return *e;
    if (!o.value("prompt").isString() || o.value("prompt").toString().trimmed().isEmpty())
        return badRequest(QStringLiteral("'prompt' must be a non-empty string."), "prompt");
    r.prompt = o.value("prompt").toString();
    r.negativePrompt = o.value("negative_prompt").toString();
    const QString format = o.value("response_format").toString("b64_json");
    if (format != QLatin1String("b64_json"))
        return badRequest(QStringLiteral("Only 'b64_json' pictures are made here (response_format)."), "response_format");
    const QJsonValue size = o.value("size");
    if (!size.isUndefined() && !size.isNull() && size.toString() != QLatin1String("auto")) {
        static const QRegularExpression pattern(QStringLiteral("^(\\d{1,5})x(\\d{1,5})$"));
        const auto match = pattern.match(size.toString());
        if (!match.hasMatch())
            return badRequest(QStringLiteral("'size' must read WIDTHxHEIGHT, such as 512x512."), "size");
        r.width = match.captured(1).toInt();
        r.height = match.captured(2).toInt();
        if (r.width < 64 || r.height < 64 || r.width > kMaxSide || r.height > kMaxSide || r.width % 8 || r.height % 8)
            return badRequest(QStringLiteral("'size' must be multiples of 8 between 64 and %1 pixels a side.").arg(kMaxSide), "size");
    }
    double count = 1, steps = r.steps, cfg = r.cfgScale, seed = -1;
    if (auto e = readInteger(o, "n", 1, kMaxPictures, count))
        return *e;
    if (auto e = readInteger(o, "steps", 1, kMaxSteps, steps))
        return *e;
    if (auto e = readNumber(o, "cfg_scale", 1, 30, cfg))
        return *e;
    if (auto e = readInteger(o, "seed", -1, 9.0e15, seed))
        return *e;
    r.count = int(count);
    r.steps = int(steps);
    r.cfgScale = cfg;
    r.seed = seed >= 0 ? uint64_t(seed) : randomSeed() % 4294967296ull;
    if (o.contains("sampler")) {
        const auto choice = diffusion::parseA1111Sampler(o.value("sampler").toString().toStdString(),
                                                         o.value("scheduler").toString().toStdString());
        if (!choice)
            return badRequest(QString::fromStdString(choice.error().message), "sampler");
        r.sampler = choice.value();
    }
    return r;
}

Parsed<EmbeddingRequest> parseEmbeddingRequest(const QByteArray& body)
{
    QJsonObject o;
    EmbeddingRequest r;
    if (auto e = readRequestObject(body, o, r))
        return *e;
    const QJsonValue input = o.value("input");
    const QString tokensRefused = QStringLiteral("'input' holds token ids; this server embeds text only: send the text itself.");
    auto addText = [&r](const QJsonValue& v, const QString& where) -> std::optional<ApiError> {
        if (v.toString().isEmpty())
            return badRequest(QStringLiteral("%1 is empty; each input must be a non-empty string.").arg(where), "input");
        r.inputs.push_back(v.toString().toStdString());
        return std::nullopt;
    };
    if (input.isString()) {
        if (auto e = addText(input, QStringLiteral("'input'")))
            return *e;
    } else if (input.isArray()) {
        const QJsonArray items = input.toArray();
        if (items.isEmpty() || items.size() > kMaxInputs)
            return badRequest(QStringLiteral("'input' must hold 1 to %1 strings.").arg(kMaxInputs), "input");
        for (qsizetype i = 0; i < items.size(); ++i) {
            if (items[i].isDouble() || items[i].isArray())
                return badRequest(tokensRefused, "input");
            if (!items[i].isString())
                return badRequest(QStringLiteral("'input[%1]' must be a string.").arg(i), "input");
            if (auto e = addText(items[i], QStringLiteral("'input[%1]'").arg(i)))
                return *e;
        }
    } else {
        return badRequest(QStringLiteral("'input' is required: a string or an array of strings."), "input");
    }
    const QString format = o.value("encoding_format").toString(QStringLiteral("float"));
    if (format != QLatin1String("float") && format != QLatin1String("base64"))
        return badRequest(QStringLiteral("'encoding_format' must be 'float' or 'base64'."), "encoding_format");
    r.base64 = format == QLatin1String("base64");
    double dimensions = 0;
    if (auto e = readInteger(o, "dimensions", 1, 65536, dimensions))
        return *e;
    r.dimensions = int(dimensions);
    return r;
}

} // namespace atelier::server
