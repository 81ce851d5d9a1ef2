// Name translation tables: see checkpoint_names.h for the mapping in one picture.

#include "diffusion/checkpoint_names.h"

#include "diffusion/checkpoint_tensors.h"

#include <algorithm>
#include <array>
#include <utility>

namespace atelier::diffusion {

namespace {

using Parts = std::vector<std::string_view>;

Parts split(std::string_view name)
{
    Parts parts;
    size_t start = 0;
    while (true) {
        const size_t dot = name.find('.', start);
        parts.push_back(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos)
            return parts;
        start = dot + 1;
    }
}

// A block index: 1 to 4 decimal digits (no real model has 10,000 blocks; keeps arithmetic small).
std::optional<int> index(std::string_view s)
{
    if (s.empty() || s.size() > 4 || (s.size() > 1 && s[0] == '0'))
        return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

std::string join(const Parts& parts, size_t from)
{
    std::string out;
    for (size_t i = from; i < parts.size(); ++i) {
        if (i > from)
            out.push_back('.');
        out.append(parts[i]);
    }
    return out;
}

std::string str(std::string_view s) { return std::string(s); }

// diffusers resnet part -> CompVis ResBlock part.
std::optional<std::string> unetResnetPart(const Parts& parts, size_t from)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kParts{{
        {"norm1", "in_layers.0"}, {"conv1", "in_layers.2"}, {"time_emb_proj", "emb_layers.1"},
        {"norm2", "out_layers.0"}, {"conv2", "out_layers.3"}, {"conv_shortcut", "skip_connection"},
    }};
    if (from + 1 >= parts.size())
        return std::nullopt;
    for (const auto& [hf, sd] : kParts)
        if (parts[from] == hf)
            return str(sd) + "." + join(parts, from + 1);
    return std::nullopt;
}

std::optional<std::string> unetBlock(const Parts& p, const DiffusersUNetNames& unet)
{
    const bool down = p[0] == "down_blocks";
    const std::optional<int> i = index(p[1]), j = index(p[3]);
    if (!i || !j || p.size() < 5)
        return std::nullopt;
    const int r = unet.resBlocks;
    const std::string prefix = down ? "input_blocks." : "output_blocks.";
    if (p[2] == "downsamplers" && down && *j == 0 && p[4] == "conv" && p.size() > 5)
        return prefix + std::to_string((*i + 1) * (r + 1)) + ".0.op." + join(p, 5);
    if (p[2] == "upsamplers" && !down && *j == 0 && size_t(*i) < unet.upAttention.size())
        return prefix + std::to_string(*i * (r + 1) + r) + (unet.upAttention[*i] ? ".2." : ".1.") + join(p, 4);
    if (down ? *j >= r : *j > r)  // down levels hold r res blocks, up levels r + 1
        return std::nullopt;
    const int k = down ? 1 + *i * (r + 1) + *j : *i * (r + 1) + *j;
    if (p[2] == "resnets") {
        const std::optional<std::string> part = unetResnetPart(p, 4);
        return part ? std::optional(prefix + std::to_string(k) + ".0." + *part) : std::nullopt;
    }
    if (p[2] == "attentions")
        return prefix + std::to_string(k) + ".1." + join(p, 4);
    return std::nullopt;
}

std::optional<std::string> vaeAttentionPart(std::string_view part)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kParts{{
        {"group_norm", "norm"}, {"to_q", "q"}, {"to_k", "k"}, {"to_v", "v"}, {"query", "q"},
        {"key", "k"}, {"value", "v"}, {"proj_attn", "proj_out"}, {"to_out", "proj_out"},
    }};
    for (const auto& [hf, sd] : kParts)
        if (part == hf)
            return str(sd);
    return std::nullopt;
}

std::string resnetShortcut(std::string rest)
{
    if (rest.starts_with("conv_shortcut."))
        rest.replace(0, 13, "nin_shortcut");  // the VAE's 1x1 shortcut
    return rest;
}

} // namespace

DiffusersUNetNames DiffusersUNetNames::scan(std::span<const std::string_view> names)
{
    DiffusersUNetNames out;
    for (std::string_view name : names) {
        const Parts p = split(name);
        if (p.size() < 4)
            continue;
        const std::optional<int> i = index(p[1]), j = index(p[3]);
        if (!i || !j)
            continue;
        if (p[0] == "down_blocks" && p[2] == "resnets")
            out.resBlocks = std::max(out.resBlocks, *j + 1);
        if (p[0] == "up_blocks") {
            if (size_t(*i) >= out.upAttention.size())
                out.upAttention.resize(size_t(*i) + 1, false);
            if (p[2] == "attentions")
                out.upAttention[size_t(*i)] = true;
        }
    }
    return out;
}

std::optional<std::string> unetFromDiffusers(std::string_view name, const DiffusersUNetNames& unet)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kTop{{
        {"time_embedding.linear_1.", "time_embed.0."}, {"time_embedding.linear_2.", "time_embed.2."},
        {"conv_in.", "input_blocks.0.0."}, {"conv_norm_out.", "out.0."}, {"conv_out.", "out.2."},
    }};
    for (const auto& [hf, sd] : kTop)
        if (name.starts_with(hf) && name.find('.', hf.size()) == std::string_view::npos)
            return str(kUNetPrefix) + str(sd) + str(name.substr(hf.size()));
    const Parts p = split(name);
    std::optional<std::string> out;
    if ((p[0] == "down_blocks" || p[0] == "up_blocks") && p.size() >= 5) {
        out = unetBlock(p, unet);
    } else if (p[0] == "mid_block" && p.size() >= 5) {
        const std::optional<int> j = index(p[2]);
        if (p[1] == "resnets" && j && *j <= 1) {
            if (const auto part = unetResnetPart(p, 3))
                out = "middle_block." + std::to_string(2 * *j) + "." + *part;
        } else if (p[1] == "attentions" && j == 0) {
            out = "middle_block.1." + join(p, 3);
        }
    }
    return out ? std::optional(str(kUNetPrefix) + *out) : std::nullopt;
}

int diffusersVaeLevels(std::span<const std::string_view> names)
{
    int levels = 0;
    for (std::string_view name : names) {
        const Parts p = split(name);
        if (p.size() > 2 && p[0] == "encoder" && p[1] == "down_blocks")
            if (const auto i = index(p[2]))
                levels = std::max(levels, *i + 1);
    }
    return levels;
}

std::optional<std::string> vaeFromDiffusers(std::string_view name, int levels)
{
    const Parts p = split(name);
    if ((p[0] == "quant_conv" || p[0] == "post_quant_conv") && p.size() == 2)
        return str(kVaePrefix) + str(name);
    if ((p[0] != "encoder" && p[0] != "decoder") || p.size() < 3)
        return std::nullopt;
    const bool encoder = p[0] == "encoder";
    const std::string side = str(kVaePrefix) + str(p[0]) + ".";
    if (p.size() == 3) {
        if (p[1] == "conv_in" || p[1] == "conv_out")
            return side + str(p[1]) + "." + str(p[2]);
        if (p[1] == "conv_norm_out")
            return side + "norm_out." + str(p[2]);
        return std::nullopt;
    }
    if (p[1] == "mid_block") {  // mid_block.{resnets.j | attentions.0}.rest
        const std::optional<int> j = index(p[3]);
        if (!j || p.size() < 5)
            return std::nullopt;
        if (p[2] == "resnets" && *j <= 1)
            return side + "mid.block_" + std::to_string(*j + 1) + "." + resnetShortcut(join(p, 4));
        if (p[2] != "attentions" || *j != 0)
            return std::nullopt;
        const size_t rest = p[4] == "to_out" ? 6 : 5;  // to_out.0.weight
        const std::optional<std::string> part = vaeAttentionPart(p[4]);
        if (!part || p.size() <= rest || (rest == 6 && p[5] != "0"))
            return std::nullopt;
        return side + "mid.attn_1." + *part + "." + join(p, rest);
    }
    // encoder.down_blocks.i.{resnets.j | downsamplers.0}.rest, decoder.up_blocks.i.{resnets.j | upsamplers.0}.rest
    if (p[1] != (encoder ? "down_blocks" : "up_blocks") || p.size() < 6)
        return std::nullopt;
    const std::optional<int> i = index(p[2]), j = index(p[4]);
    if (!i || !j || *i >= levels)
        return std::nullopt;
    const std::string level = side + (encoder ? "down." : "up.") + std::to_string(encoder ? *i : levels - 1 - *i) + ".";
    if (p[3] == "resnets")
        return level + "block." + std::to_string(*j) + "." + resnetShortcut(join(p, 5));
    if (p[3] == (encoder ? "downsamplers" : "upsamplers") && *j == 0)
        return level + (encoder ? "downsample." : "upsample.") + join(p, 5);
    return std::nullopt;
}

std::optional<std::string> vaeFromBareCompVis(std::string_view name)
{
    for (std::string_view prefix : {"encoder.", "decoder.", "quant_conv.", "post_quant_conv."})
        if (name.starts_with(prefix))
            return str(kVaePrefix) + str(name);
    return std::nullopt;
}

namespace {

// `rest` after `text_model.` (or without it): embeddings.*, encoder.*, final_layer_norm.*.
std::optional<std::string> clipPart(std::string_view rest)
{
    if (rest.starts_with("text_model."))
        rest.remove_prefix(11);
    if (rest.ends_with("position_ids"))
        return std::nullopt;  // a buffer holding 0..76; the engine knows positions
    for (std::string_view prefix : {"embeddings.", "encoder.", "final_layer_norm."})
        if (rest.starts_with(prefix))
            return str(kTextPrefix) + str(rest);
    return std::nullopt;
}

std::vector<NameMapping> openClip(std::string_view rest, int blocks)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kTop{{
        {"token_embedding.weight", "embeddings.token_embedding.weight"},
        {"positional_embedding", "embeddings.position_embedding.weight"},
        {"ln_final.", "final_layer_norm."},
    }};
    for (const auto& [oc, hf] : kTop)
        if (rest.starts_with(oc))
            return {{str(kTextPrefix) + str(hf) + str(rest.substr(oc.size()))}};
    if (!rest.starts_with("transformer.resblocks."))
        return {};
    const Parts p = split(rest.substr(22));
    const std::optional<int> i = index(p[0]);
    if (!i || *i >= blocks - 1 || p.size() < 3)
        return {};  // the last block: SD 2.x reads the penultimate layer's output
    const std::string layer = str(kTextPrefix) + "encoder.layers." + std::to_string(*i) + ".";
    const std::string part = join(p, 1);
    if (part == "attn.in_proj_weight" || part == "attn.in_proj_bias") {
        const std::string kind = part.ends_with("weight") ? "weight" : "bias";
        std::vector<NameMapping> out;
        for (int k = 0; k < 3; ++k)
            out.push_back({layer + "self_attn." + "qkv"[k] + "_proj." + kind, k, 3});
        return out;
    }
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kParts{{
        {"ln_1.", "layer_norm1."}, {"ln_2.", "layer_norm2."}, {"attn.out_proj.", "self_attn.out_proj."},
        {"mlp.c_fc.", "mlp.fc1."}, {"mlp.c_proj.", "mlp.fc2."},
    }};
    for (const auto& [oc, hf] : kParts)
        if (part.starts_with(oc))
            return {{layer + str(hf) + part.substr(oc.size())}};
    return {};
}

} // namespace

std::optional<std::string> textFromDiffusers(std::string_view name) { return clipPart(name); }

int openClipResblocks(std::span<const std::string_view> names)
{
    constexpr std::string_view kBlocks = "cond_stage_model.model.transformer.resblocks.";
    int blocks = 0;
    for (std::string_view name : names)
        if (name.starts_with(kBlocks))
            if (const auto i = index(split(name.substr(kBlocks.size()))[0]))
                blocks = std::max(blocks, *i + 1);
    return blocks;
}

std::vector<NameMapping> fromSingleFile(std::string_view name, int openClipBlocks)
{
    if (name.starts_with(kUNetPrefix) || name.starts_with(kVaePrefix))
        return {{str(name)}};
    constexpr std::string_view kClip = "cond_stage_model.transformer.", kOpenClip = "cond_stage_model.model.";
    if (name.starts_with(kClip)) {
        const std::optional<std::string> canonical = clipPart(name.substr(kClip.size()));
        return canonical ? std::vector<NameMapping>{{*canonical}} : std::vector<NameMapping>{};
    }
    if (name.starts_with(kOpenClip))
        return openClip(name.substr(kOpenClip.size()), openClipBlocks);
    return {};
}

bool isVaeAttentionProjection(std::string_view canonical)
{
    if (!canonical.starts_with(kVaePrefix) || !canonical.ends_with(".weight"))
        return false;
    for (std::string_view part : {".mid.attn_1.q.", ".mid.attn_1.k.", ".mid.attn_1.v.", ".mid.attn_1.proj_out."})
        if (canonical.find(part) != std::string_view::npos)
            return true;
    return false;
}

} // namespace atelier::diffusion
