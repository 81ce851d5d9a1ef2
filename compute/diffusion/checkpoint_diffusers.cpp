// What a diffusers folder's config.json files add to the shapes: head counts (diffusers calls the
// UNet's head count `attention_head_dim` unless `num_attention_heads` is set), GroupNorm groups,
// the CLIP activation, the VAE scaling factor and the scheduler's prediction type. Everything the
// shapes also say is cross-checked, so a config.json that lies is an error, not a wrong picture.

#include "diffusion/checkpoint_layout.h"

#include <QJsonArray>

#include <cmath>
#include <limits>

namespace atelier::diffusion {

namespace {

std::optional<int> intValue(const QJsonValue& v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (d != std::floor(d) || d < 0 || d > std::numeric_limits<int>::max())
        return std::nullopt;
    return int(d);
}

class ConfigReader {
public:
    ConfigReader(const QJsonObject& json, std::string where) : mJson(json), mWhere(std::move(where)) {}

    Error error(const std::string& message, ErrorCode code = ErrorCode::Format) const
    {
        return makeError(code, mWhere + ": " + message);
    }

    bool has(const char* key) const
    {
        const QJsonValue v = mJson.value(QLatin1String(key));
        return !v.isUndefined() && !v.isNull();
    }

    // An optional non-negative integer.
    Result<int> integer(const char* key, int fallback) const
    {
        if (!has(key))
            return fallback;
        const std::optional<int> v = intValue(mJson.value(QLatin1String(key)));
        if (!v)
            return error(std::string(key) + " is not a non-negative integer");
        return *v;
    }

    // An integer or a list of `n` integers, as a list.
    Result<std::vector<int>> integers(const char* key, size_t n, int fallback) const
    {
        const QJsonValue v = mJson.value(QLatin1String(key));
        if (!v.isArray()) {
            ATELIER_ASSIGN(const int one, integer(key, fallback));
            return std::vector<int>(n, one);
        }
        const QJsonArray array = v.toArray();
        if (size_t(array.size()) != n)
            return error(std::string(key) + " lists " + std::to_string(array.size()) + " values for " +
                         std::to_string(n) + " levels");
        std::vector<int> out;
        for (const QJsonValue& e : array) {
            const std::optional<int> i = intValue(e);
            if (!i)
                return error(std::string(key) + " holds a value that is not a non-negative integer");
            out.push_back(*i);
        }
        return out;
    }

    // Fails unless the config's `key`, when present, equals what the weights say.
    Status agrees(const char* key, int weights, const char* what) const
    {
        if (!has(key))
            return {};
        ATELIER_ASSIGN(const int said, integer(key, 0));
        if (said != weights)
            return error(std::string(key) + " is " + std::to_string(said) + " but the weights' " + what + " is " +
                         std::to_string(weights));
        return {};
    }

    Status agreesList(const char* key, const std::vector<int>& weights, const char* what) const
    {
        if (!has(key))
            return {};
        ATELIER_ASSIGN(const std::vector<int> said, integers(key, weights.size(), 0));
        if (said != weights)
            return error(std::string(key) + " does not match the weights' " + what);
        return {};
    }

    std::string string(const char* key) const { return mJson.value(QLatin1String(key)).toString().toStdString(); }
    std::optional<double> number(const char* key) const
    {
        const QJsonValue v = mJson.value(QLatin1String(key));
        return v.isDouble() ? std::optional(v.toDouble()) : std::nullopt;
    }
    bool boolean(const char* key) const { return mJson.value(QLatin1String(key)).toBool(false); }

private:
    const QJsonObject& mJson;
    std::string mWhere;
};

std::string configPath(const std::string& folder, const char* file) { return folder + "/" + file; }

Status applyUNetConfig(const ConfigReader& r, UNetConfig& unet, FamilyHints& hints)
{
    std::vector<int> widths;
    for (int level = 0; level < unet.levels(); ++level)
        widths.push_back(unet.channels(level));
    ATELIER_TRY(r.agrees("in_channels", unet.inChannels, "conv_in input channels"));
    ATELIER_TRY(r.agrees("out_channels", unet.outChannels, "conv_out output channels"));
    ATELIER_TRY(r.agrees("cross_attention_dim", unet.contextDim, "cross-attention context width"));
    ATELIER_TRY(r.agrees("layers_per_block", unet.resBlocks, "res blocks per level"));
    ATELIER_TRY(r.agrees("transformer_layers_per_block", unet.transformerDepth, "transformer depth"));
    ATELIER_TRY(r.agreesList("block_out_channels", widths, "level widths"));
    if (r.boolean("use_linear_projection") != unet.linearProjection)
        return r.error(std::string("use_linear_projection is ") + (unet.linearProjection ? "false" : "true") +
                       " but the weights' proj_in is " + (unet.linearProjection ? "linear" : "a 1x1 convolution"));
    const char* headsKey = r.has("num_attention_heads") ? "num_attention_heads" : "attention_head_dim";
    ATELIER_ASSIGN(const std::vector<int> heads, r.integers(headsKey, size_t(unet.levels()), 8));
    for (int level = 0; level < unet.levels(); ++level)
        unet.heads[size_t(level)] = unet.attention[size_t(level)] ? heads[size_t(level)] : 0;
    unet.midHeads = heads.back();
    ATELIER_ASSIGN(unet.normGroups, r.integer("norm_num_groups", 32));
    if (r.has("sample_size")) {
        ATELIER_ASSIGN(const int sampleSize, r.integer("sample_size", 0));
        hints.sampleSize = sampleSize;
    }
    return {};
}

Status applyTextConfig(const ConfigReader& r, TextEncoderConfig& text)
{
    ATELIER_TRY(r.agrees("hidden_size", text.width, "width"));
    ATELIER_TRY(r.agrees("num_hidden_layers", text.layers, "layer count"));
    ATELIER_TRY(r.agrees("intermediate_size", text.intermediate, "MLP width"));
    ATELIER_ASSIGN(text.heads, r.integer("num_attention_heads", std::max(1, text.width / 64)));
    const std::string act = r.has("hidden_act") ? r.string("hidden_act") : "quick_gelu";
    if (act == "quick_gelu")
        text.activation = TextActivation::QuickGelu;
    else if (act == "gelu")
        text.activation = TextActivation::Gelu;
    else
        return r.error("text encoder activation '" + act + "' is not supported", ErrorCode::Unsupported);
    text.layerNormEps = float(r.number("layer_norm_eps").value_or(1e-5));
    return {};
}

} // namespace

Status applyVaeConfig(const QJsonObject& json, VaeConfig& vae, const std::string& where)
{
    const ConfigReader r(json, where);
    std::vector<int> widths;
    for (int mult : vae.channelMult)
        widths.push_back(vae.baseChannels * mult);
    ATELIER_TRY(r.agrees("latent_channels", vae.latentChannels, "latent channels"));
    ATELIER_TRY(r.agrees("layers_per_block", vae.resBlocks, "res blocks per level"));
    ATELIER_TRY(r.agreesList("block_out_channels", widths, "level widths"));
    ATELIER_ASSIGN(vae.normGroups, r.integer("norm_num_groups", 32));
    const std::optional<double> scaling = r.number("scaling_factor");
    if (scaling && !(*scaling > 0 && *scaling < 1e3))
        return r.error("scaling_factor " + std::to_string(*scaling) + " is not a positive number");
    vae.scalingFactor = float(scaling.value_or(0.18215));
    return {};
}

Status applyDiffusersConfigs(const DiffusersConfigs& configs, CheckpointConfig& config, FamilyHints& hints)
{
    const std::string& folder = configs.folder;
    ATELIER_TRY(applyUNetConfig(ConfigReader(configs.unet, configPath(folder, "unet/config.json")), config.unet, hints));
    ATELIER_TRY(applyTextConfig(ConfigReader(configs.textEncoder, configPath(folder, "text_encoder/config.json")),
                                config.text));
    const QJsonValue prediction = configs.scheduler.value(QLatin1String("prediction_type"));
    if (prediction.isString())
        hints.schedulerPrediction = prediction.toString().toStdString();
    return {};
}

} // namespace atelier::diffusion
