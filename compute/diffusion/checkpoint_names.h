#pragma once
// Canonical tensor names of a Stable Diffusion checkpoint, and the translation of the other
// layouts' names into them.
//
// Canonical = the names of an SD 1.x single-file (CompVis) checkpoint: `model.diffusion_model.*`
// (UNet), `first_stage_model.*` (VAE) and `cond_stage_model.transformer.text_model.*` (a Hugging
// Face CLIPTextModel) -- for SD 2.x too, whose OpenCLIP text encoder is renamed into that form,
// because splitting OpenCLIP's fused q/k/v rows costs nothing while fusing would need a copy.
//
// diffusers UNet (R = res blocks per level, attn(i) = up_blocks.i has attentions):
//   time_embedding.linear_1 / linear_2         time_embed.0 / time_embed.2
//   conv_in / conv_norm_out / conv_out         input_blocks.0.0 / out.0 / out.2
//   down_blocks.i.resnets.j                    input_blocks.(1 + i(R+1) + j).0     (resnet parts below)
//   down_blocks.i.attentions.j                 input_blocks.(1 + i(R+1) + j).1
//   down_blocks.i.downsamplers.0.conv          input_blocks.((i+1)(R+1)).0.op
//   mid_block.resnets.j / attentions.0         middle_block.(2j) / middle_block.1
//   up_blocks.i.resnets.j                      output_blocks.(i(R+1) + j).0
//   up_blocks.i.attentions.j                   output_blocks.(i(R+1) + j).1
//   up_blocks.i.upsamplers.0.conv              output_blocks.(i(R+1) + R).(attn(i) ? 2 : 1).conv
//   resnet parts: norm1 in_layers.0, conv1 in_layers.2, time_emb_proj emb_layers.1, norm2
//   out_layers.0, conv2 out_layers.3, conv_shortcut skip_connection; transformer parts as they are.
// diffusers VAE (L levels; the decoder's up_blocks count from the deepest level):
//   encoder.down_blocks.i.resnets.j / downsamplers.0   encoder.down.i.block.j / encoder.down.i.downsample
//   decoder.up_blocks.i.resnets.j / upsamplers.0       decoder.up.(L-1-i).block.j / .upsample
//   *.mid_block.resnets.j / attentions.0               *.mid.block_(j+1) / *.mid.attn_1
//   attention group_norm, to_q, to_k, to_v, to_out.0   norm, q, k, v, proj_out (old diffusers:
//   query, key, value, proj_attn); their [C, C] weights are seen as the CompVis [C, C, 1, 1]
//   conv_shortcut nin_shortcut; conv_norm_out norm_out; conv_in, conv_out, quant_conv, post_quant_conv as they are
// diffusers text_encoder: `text_model.X` (or `X`, as transformers 5 writes it) -> kTextPrefix + X.
// OpenCLIP (`cond_stage_model.model.*`, n resblocks; SD 2.x runs the penultimate, so the last is dropped):
//   token_embedding.weight / positional_embedding   embeddings.token_embedding.weight / embeddings.position_embedding.weight
//   transformer.resblocks.i.ln_1 / ln_2             encoder.layers.i.layer_norm1 / layer_norm2
//   transformer.resblocks.i.attn.in_proj_weight     encoder.layers.i.self_attn.{q,k,v}_proj.weight (row thirds)
//   transformer.resblocks.i.attn.in_proj_bias       encoder.layers.i.self_attn.{q,k,v}_proj.bias
//   transformer.resblocks.i.attn.out_proj           encoder.layers.i.self_attn.out_proj
//   transformer.resblocks.i.mlp.c_fc / c_proj       encoder.layers.i.mlp.fc1 / fc2
//   ln_final                                        final_layer_norm
//   (text_projection, logit_scale, attn_mask and resblocks.(n-1) are not used by SD: dropped)
// Dropped everywhere: CLIP's position_ids buffer, EMA copies (model_ema.*), schedule tables
// (betas, alphas_cumprod, ...) and anything else outside the three networks.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::diffusion {

// One canonical tensor made from a source tensor: all of it, or the `slice`-th of `slices` equal
// row blocks (OpenCLIP's in_proj holds q, k and v stacked).
struct NameMapping {
    std::string canonical;
    int slice = 0;
    int slices = 1;
};

// What renaming a diffusers UNet needs beyond one name, read off all its names.
struct DiffusersUNetNames {
    int resBlocks = 0;               // res blocks per down level: 1 + the highest down_blocks.*.resnets.j
    std::vector<bool> upAttention;   // per up block: whether it has attentions
    static DiffusersUNetNames scan(std::span<const std::string_view> names);
};

// Canonical UNet name for a diffusers UNet tensor; nullopt when it fits no SD 1.x/2.x pattern.
std::optional<std::string> unetFromDiffusers(std::string_view name, const DiffusersUNetNames& unet);
// Number of levels of a diffusers VAE: 1 + the highest encoder.down_blocks.i.
int diffusersVaeLevels(std::span<const std::string_view> names);
// Canonical VAE name for a diffusers VAE tensor; nullopt when it fits no pattern.
std::optional<std::string> vaeFromDiffusers(std::string_view name, int levels);
// Canonical name for a tensor of a bare CompVis VAE file (`encoder.*`, `decoder.*`, `quant_conv.*`,
// `post_quant_conv.*`); nullopt for anything else (EMA counters and the like).
std::optional<std::string> vaeFromBareCompVis(std::string_view name);
// Canonical name for a diffusers text_encoder tensor; nullopt for position_ids and projections.
std::optional<std::string> textFromDiffusers(std::string_view name);
// Number of OpenCLIP resblocks: 1 + the highest `cond_stage_model.model.transformer.resblocks.i`.
int openClipResblocks(std::span<const std::string_view> names);
// Canonical tensors for a tensor of a single-file checkpoint (CompVis names; OpenCLIP for SD 2.x,
// given its resblock count); empty when the tensor is not used.
std::vector<NameMapping> fromSingleFile(std::string_view name, int openClipBlocks);

// True for a VAE attention projection weight (`...mid.attn_1.{q,k,v,proj_out}.weight`), which
// the canonical form shapes as a 1x1 convolution.
bool isVaeAttentionProjection(std::string_view canonical);

} // namespace atelier::diffusion
