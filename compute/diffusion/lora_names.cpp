#include "diffusion/lora_names.h"

#include "diffusion/checkpoint_names.h"
#include "diffusion/checkpoint_tensors.h"

#include <algorithm>
#include <array>

namespace atelier::diffusion {

namespace {

std::string underscored(std::string name)
{
    std::replace(name.begin(), name.end(), '.', '_');
    return name;
}

void addTransformer(std::vector<std::string>& out, const std::string& at, int depth)
{
    static constexpr std::array<std::string_view, 10> kParts{
        "attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0", "attn2.to_q",
        "attn2.to_k", "attn2.to_v", "attn2.to_out.0", "ff.net.0.proj", "ff.net.2",
    };
    out.push_back(at + "proj_in");
    out.push_back(at + "proj_out");
    for (int d = 0; d < depth; ++d)
        for (std::string_view part : kParts)
            out.push_back(at + "transformer_blocks." + std::to_string(d) + "." + std::string(part));
}

void addResnet(std::vector<std::string>& out, const std::string& at)
{
    for (std::string_view part : {"conv1", "conv2", "time_emb_proj", "conv_shortcut"})
        out.push_back(at + std::string(part));
}

// Normalised spellings of a module: PEFT's wrapper prefix dropped, old attention-processor names
// turned into module names.
std::string normalise(std::string_view module)
{
    std::string m(module);
    if (m.starts_with("base_model.model."))
        m.erase(0, 17);
    if (const size_t p = m.find(".processor."); p != std::string::npos)
        m.erase(p, 10);  // "...attn1.processor.to_q_lora" -> "...attn1.to_q_lora"
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kProcessor{{
        {"to_q_lora", "to_q"}, {"to_k_lora", "to_k"}, {"to_v_lora", "to_v"}, {"to_out_lora", "to_out.0"},
    }};
    for (const auto& [from, to] : kProcessor)
        if (m.ends_with(from)) {
            m.replace(m.size() - from.size(), from.size(), to);
            break;
        }
    return m;
}

} // namespace

std::vector<std::string> diffusersUNetModules(const UNetConfig& config)
{
    std::vector<std::string> out{"time_embedding.linear_1", "time_embedding.linear_2", "conv_in", "conv_out"};
    const int levels = config.levels(), r = config.resBlocks;
    for (int i = 0; i < levels; ++i) {
        const std::string down = "down_blocks." + std::to_string(i) + ".";
        for (int j = 0; j < r; ++j) {
            addResnet(out, down + "resnets." + std::to_string(j) + ".");
            if (config.attention[size_t(i)])
                addTransformer(out, down + "attentions." + std::to_string(j) + ".", config.transformerDepth);
        }
        if (i + 1 < levels)
            out.push_back(down + "downsamplers.0.conv");
        const std::string up = "up_blocks." + std::to_string(i) + ".";
        for (int j = 0; j <= r; ++j) {
            addResnet(out, up + "resnets." + std::to_string(j) + ".");
            if (config.attention[size_t(levels - 1 - i)])
                addTransformer(out, up + "attentions." + std::to_string(j) + ".", config.transformerDepth);
        }
        if (i + 1 < levels)
            out.push_back(up + "upsamplers.0.conv");
    }
    for (int j = 0; j < 2; ++j)
        addResnet(out, "mid_block.resnets." + std::to_string(j) + ".");
    addTransformer(out, "mid_block.attentions.0.", config.transformerDepth);
    return out;
}

LoraTargets::LoraTargets(std::span<const BoundMatrix> unet, std::span<const BoundMatrix> text, const UNetConfig& config)
{
    std::map<std::string_view, const BoundMatrix*> canonical;
    for (const BoundMatrix& m : unet) {
        canonical.emplace(m.name, &m);
        add("lora_unet_" + underscored(m.name.substr(kUNetPrefix.size())), m);
    }
    DiffusersUNetNames names;
    names.resBlocks = config.resBlocks;
    for (int i = 0; i < config.levels(); ++i)
        names.upAttention.push_back(config.attention[size_t(config.levels() - 1 - i)]);
    for (const std::string& module : diffusersUNetModules(config)) {
        const std::optional<std::string> name = unetFromDiffusers(module + ".weight", names);
        if (!name)
            continue;
        const auto it = canonical.find(std::string_view(*name).substr(0, name->size() - 7));
        if (it == canonical.end())
            continue;
        add("lora_unet_" + underscored(module), *it->second);
        add("unet." + module, *it->second);
        add(module, *it->second);
    }
    for (const BoundMatrix& m : text) {
        const std::string rest = m.name.substr(kTextPrefix.size());  // encoder.layers.0.self_attn.q_proj
        add("lora_te_text_model_" + underscored(rest), m);
        add("text_encoder.text_model." + rest, m);
        add("text_encoder." + rest, m);
    }
}

const BoundMatrix* LoraTargets::find(std::string_view module) const
{
    const std::string name = normalise(module);
    const auto it = mByName.find(name);
    return it == mByName.end() ? nullptr : it->second;
}

} // namespace atelier::diffusion
