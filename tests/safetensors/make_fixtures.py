#!/usr/bin/env python3
"""Writes the fixtures of tests/safetensors: small hand-made safetensors files (valid and corrupt)
and tiny random-weight Stable Diffusion checkpoints, each in both layouts Atelier reads.

Usage:  python3 -m pip install torch numpy safetensors diffusers transformers
        python3 tests/safetensors/make_fixtures.py [out_dir]      # default: tests/safetensors/fixtures

Tested with torch 2.15, diffusers 0.42.1, transformers 5.23, safetensors 0.8. The output is
deterministic for a given set of versions and is checked in; tst_safetensors.cpp hard-codes the
configurations written here, so change both together.

  files/*.safetensors      valid hand-made files: every dtype, scalars, zero-sized tensors, JSON
                           escapes, metadata, padding; one written by the `safetensors` package
  corrupt/*.safetensors    one defect each (the file name says which); the test expects each error
  tiny_<family>/           a diffusers pipeline folder: model_index.json, unet/, vae/, text_encoder/
                           (config.json + safetensors, float16), scheduler/
  tiny_<family>.safetensors the same weights as one single file with the original CompVis names
  tiny_vae/, tiny_vae.safetensors
                           a separate VAE (another seed and channels) as a diffusers folder and as a single file
                           with bare `encoder.*`/`decoder.*` names (like vae-ft-mse-840000)

Families (TINY_FAMILIES): "sd1" (CLIP text encoder, 1x1-conv attention projections, 8 heads,
epsilon), "sd1_inpaint" (the same with a 9-channel conv_in) and "sd2" (OpenCLIP names in the
single file, linear projections, one head per 64 channels but at least one, v-prediction). Every
model has 2 levels of (8, 16) channels, one res block per level, attention on level 0 only (like
SD's last level, level 1 has none), GroupNorm with 8 groups (= min(32, base channels), Atelier's
rule for files without a config), a 32-wide 2-layer CLIP with one head, a vocabulary of 256
(token ids 254/255 play BOS/EOS: feed ids, not text) and 77 positions. The separate VAE has
(8, 8) channels. All weights are float16 on disk (about 1.9 MB for everything).

As a library, for numerical golden tests against diffusers:

    import sys; sys.path.insert(0, "tests/safetensors"); import make_fixtures as mf
    parts = mf.build_tiny("sd1")        # {"unet", "vae", "text_encoder", "scheduler"}: float32
                                        # modules whose weights are exactly float16-representable
    mf.save_diffusers(parts, "out/tiny_sd1", "sd1")
    pipe = mf.load_diffusers("tests/safetensors/fixtures/tiny_sd1", "sd1")   # equals parts
    mf.save_single_file(parts, "out/tiny_sd1.safetensors", "sd1")
    state = mf.to_compvis(parts, "sd1")  # {CompVis name: tensor}

The seeds are fixed (SEEDS), so build_tiny returns the same weights as the checked-in files.
"""

import json
import os
import shutil
import struct
import sys

import numpy as np
import torch

FAMILIES = ("sd1", "sd1_inpaint", "sd2")
SEEDS = {"sd1": 1, "sd1_inpaint": 1, "sd2": 2, "vae": 3}
CHANNELS = (8, 16)
GROUPS = 8
CONTEXT = 32
VAE_OVERRIDE_CHANNELS = (8, 8)  # differs from the built-in VAE, so its configuration must be re-derived


# ---------------------------------------------------------------------------------------------
# Hand-made safetensors files


def deterministic_bytes(n, seed):
    return ((np.arange(n, dtype=np.uint64) * 2654435761 + seed) >> 13).astype(np.uint8).tobytes()


DTYPE_BITS = {"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I16": 16,
              "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "F64": 64,
              "I64": 64, "U64": 64, "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6}


def pack(tensors, metadata=None, pad=True, header_text=None):
    """tensors: [(name, dtype, shape)] laid out in order; data from deterministic_bytes."""
    header, data, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for i, (name, dtype, shape) in enumerate(tensors):
        n = int(np.prod(shape, dtype=np.int64)) * DTYPE_BITS[dtype] // 8
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}
        data += deterministic_bytes(n, i + 1)
        offset += n
    text = header_text if header_text is not None else json.dumps(header, separators=(",", ":"))
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if pad:
        raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


def raw(header_text, data=b"", length=None):
    """A file with exactly this header text (no padding) and data; `length` overrides the prefix."""
    body = header_text.encode("utf-8") if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(body) if length is None else length) + body + data


ALL_DTYPES = [("t.f32", "F32", [2, 3]), ("t.f16", "F16", [5]), ("t.bf16", "BF16", [2, 2]),
              ("t.f64", "F64", [2]), ("t.i8", "I8", [3]), ("t.u8", "U8", [4]), ("t.i16", "I16", [2]),
              ("t.u16", "U16", [2]), ("t.i32", "I32", [2, 1]), ("t.u32", "U32", [1]),
              ("t.i64", "I64", [1, 4]), ("t.u64", "U64", [1]), ("t.bool", "BOOL", [3]),
              ("t.f8_e4m3", "F8_E4M3", [4]), ("t.f8_e5m2", "F8_E5M2", [4]),
              ("t.f8_e8m0", "F8_E8M0", [2]), ("t.c64", "C64", [1]), ("t.f4", "F4", [2, 3]),
              ("t.f6_e2m3", "F6_E2M3", [4]), ("t.f6_e3m2", "F6_E3M2", [8]),
              ("t.scalar", "F32", []), ("t.5d", "F16", [1, 2, 1, 2, 2])]


def valid_files():
    files = {
        "all_dtypes.safetensors": pack(ALL_DTYPES, {"format": "pt", "utf8": "h\u00e9llo \u4e16\u754c \u2713"}),
        "empty.safetensors": pack([]),
        "metadata_only.safetensors": pack([], {"a": "1", "b": ""}),
        "zero_sized.safetensors": pack([("empty", "F32", [0]), ("empty2d", "F16", [2, 0]), ("one", "F32", [1])]),
        # Unpadded, whitespace and newlines, escapes, an unknown field, metadata last.
        "escapes.safetensors": raw(
            '{\n  "quote\\"d" : {"dtype":"F16","shape":[2],"data_offsets":[0,4],"extra":{"x":[1,2.5e-3,null,true]}},\n'
            '  "caf\\u00e9\\ud83d\\ude00\\/\\n" : {"data_offsets":[4,8],"shape":[1],"dtype":"F32"},\n'
            '  "__metadata__" : {"k\\u0041": "v\\t"}\n}', deterministic_bytes(8, 7)),
    }
    from safetensors.torch import save_file
    tensors = {"weight": torch.arange(12, dtype=torch.float32).reshape(3, 4),
               "half": torch.linspace(-2, 2, 7).to(torch.float16),
               "brain": torch.tensor([1.5, -0.25], dtype=torch.bfloat16),
               "ids": torch.arange(77, dtype=torch.int64).reshape(1, 77)}
    path = "/tmp/atelier_torch_written.safetensors"
    save_file(tensors, path, metadata={"format": "pt"})  # one key: the writer orders keys at random
    with open(path, "rb") as f:
        files["torch_written.safetensors"] = f.read()
    os.remove(path)
    return files


def corrupt_files():
    f32 = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    two = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[%d,%d]}}'
    tensor = lambda body: '{"a":{%s}}' % body
    d8 = deterministic_bytes(8, 1)
    return {
        "length_cut.safetensors": b"\x10\x00\x00\x00\x00",
        "header_beyond_limit.safetensors": struct.pack("<Q", 100_000_001) + b"{}",
        "header_past_end.safetensors": struct.pack("<Q", 1000) + b'{"a":1}',
        "not_json.safetensors": raw("GGUF\x03\x00\x00\x00"),
        "empty_header.safetensors": raw(""),
        "data_cut.safetensors": raw(f32, d8[:6]),
        "overlap.safetensors": raw(two % (4, 8), d8),
        "begin_after_end.safetensors": raw(tensor('"dtype":"F32","shape":[0],"data_offsets":[8,4]'), d8),
        "size_mismatch.safetensors": raw(tensor('"dtype":"F16","shape":[2,3],"data_offsets":[0,8]'), d8),
        "unknown_dtype.safetensors": raw(tensor('"dtype":"Q4_0","shape":[2],"data_offsets":[0,8]'), d8),
        "f4_odd.safetensors": raw(tensor('"dtype":"F4","shape":[3],"data_offsets":[0,1]'), d8),
        "duplicate_tensor.safetensors": raw(
            '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', d8),
        "duplicate_field.safetensors": raw(tensor('"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]'), d8),
        "duplicate_metadata.safetensors": raw('{"__metadata__":{"k":"1"},"__metadata__":{}}'),
        "duplicate_metadata_key.safetensors": raw('{"__metadata__":{"k":"1","k":"2"}}'),
        "metadata_number.safetensors": raw('{"__metadata__":{"steps":20}}'),
        "negative_dim.safetensors": raw(tensor('"dtype":"F32","shape":[-2],"data_offsets":[0,8]'), d8),
        "fraction_offset.safetensors": raw(tensor('"dtype":"F32","shape":[2],"data_offsets":[0,8.0]'), d8),
        "dim_beyond_u64.safetensors": raw(tensor('"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]'), d8),
        "dim_beyond_i64.safetensors": raw(tensor('"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]'), d8),
        "elements_overflow.safetensors": raw(tensor('"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]'), d8),
        "bytes_overflow.safetensors": raw(tensor('"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]'), d8),
        "nine_dims.safetensors": raw(tensor('"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]'), d8),
        "missing_dtype.safetensors": raw(tensor('"shape":[2],"data_offsets":[0,8]'), d8),
        "missing_offsets.safetensors": raw(tensor('"dtype":"F32","shape":[2]'), d8),
        "three_offsets.safetensors": raw(tensor('"dtype":"F32","shape":[2],"data_offsets":[0,8,8]'), d8),
        "offsets_past_end.safetensors": raw(tensor('"dtype":"F32","shape":[2],"data_offsets":[1099511627776,1099511627784]'), d8),
        "tensor_not_object.safetensors": raw('{"a":[1,2]}'),
        "empty_name.safetensors": raw('{"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', d8),
        "trailing_text.safetensors": raw(f32 + "}", d8),
        "trailing_comma.safetensors": raw('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},}', d8),
        "unterminated_string.safetensors": raw('{"a'),
        "invalid_utf8.safetensors": raw(b'{"\xc3\x28":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', d8),
        "lone_surrogate.safetensors": raw('{"\\ud800x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', d8),
        "control_char.safetensors": raw('{"a\tb":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', d8),
        "deep_nesting.safetensors": raw(tensor('"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":' + "[" * 100 + "]" * 100), d8),
        "leading_zero.safetensors": raw(tensor('"dtype":"F32","shape":[02],"data_offsets":[0,8]'), d8),
    }


# ---------------------------------------------------------------------------------------------
# Tiny Stable Diffusion models


def randomise(module, seed):
    """Every parameter drawn from a seeded normal (weights ~ 1/sqrt(fan_in), norm scales ~ 1,
    biases small), rounded to float16 so the float16 files hold exactly the module's weights."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            r = torch.randn(p.shape, generator=g, dtype=torch.float64)
            if p.dim() >= 2:
                v = r / np.sqrt(p[0].numel())
            elif "norm" in name and name.endswith("weight"):
                v = 1.0 + 0.1 * r
            else:
                v = 0.1 * r
            p.copy_(v.to(torch.float16).to(torch.float32))
    return module.eval()


def build_unet(family, seed):
    from diffusers import UNet2DConditionModel
    sd2 = family.startswith("sd2")
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=9 if "inpaint" in family else 4, out_channels=4,
        block_out_channels=CHANNELS, layers_per_block=1, norm_num_groups=GROUPS,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=CONTEXT,
        # SD 1.x: 8 heads everywhere; SD 2.x: channels / 64 heads, at least one (diffusers names
        # the head count attention_head_dim).
        attention_head_dim=tuple(max(1, c // 64) for c in CHANNELS) if sd2 else 8,
        use_linear_projection=sd2)
    return randomise(unet, seed)


def build_vae(seed, channels=CHANNELS):
    from diffusers import AutoencoderKL
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=channels,
        layers_per_block=1, norm_num_groups=GROUPS, sample_size=16, scaling_factor=0.18215,
        down_block_types=("DownEncoderBlock2D",) * len(channels),
        up_block_types=("UpDecoderBlock2D",) * len(channels))
    return randomise(vae, seed)


def build_text_encoder(family, seed, layers=2):
    from transformers import CLIPTextConfig, CLIPTextModel
    config = CLIPTextConfig(
        vocab_size=256, hidden_size=CONTEXT, intermediate_size=2 * CONTEXT, num_hidden_layers=layers,
        num_attention_heads=max(1, CONTEXT // 64), max_position_embeddings=77, layer_norm_eps=1e-5,
        hidden_act="gelu" if family.startswith("sd2") else "quick_gelu",
        bos_token_id=254, eos_token_id=255, pad_token_id=255, projection_dim=CONTEXT)
    return randomise(CLIPTextModel(config), seed)


def build_scheduler(family):
    from diffusers import DDIMScheduler
    return DDIMScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        clip_sample=False, set_alpha_to_one=False, steps_offset=1,
        prediction_type="v_prediction" if family.startswith("sd2") else "epsilon")


def build_tiny(family, seed=None):
    seed = SEEDS[family] if seed is None else seed
    return {"unet": build_unet(family, seed * 100 + 1), "vae": build_vae(seed * 100 + 2),
            "text_encoder": build_text_encoder(family, seed * 100 + 3),
            "scheduler": build_scheduler(family)}


def half_state(module):
    return {k: v.detach().to(torch.float16).contiguous() for k, v in module.state_dict().items()
            if v.is_floating_point()}


def text_state(text_encoder):
    """The CLIP text model's float16 state under the names real downloads use (transformers 4
    wrote `text_model.` in front; transformers 5 writes the names without it and reads both)."""
    return {k if k.startswith("text_model.") else "text_model." + k: v
            for k, v in half_state(text_encoder).items()}


def save_diffusers(parts, folder, family):
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionPipeline
    from safetensors.torch import save_file
    shutil.rmtree(folder, ignore_errors=True)
    cls = StableDiffusionInpaintPipeline if "inpaint" in family else StableDiffusionPipeline
    pipe = cls(vae=parts["vae"], text_encoder=parts["text_encoder"], tokenizer=None, unet=parts["unet"],
               scheduler=parts["scheduler"], safety_checker=None, feature_extractor=None,
               requires_safety_checker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    # save_pretrained writes float32; the files hold float16 like real downloads.
    for sub, name, state in (("unet", "diffusion_pytorch_model", half_state(parts["unet"])),
                             ("vae", "diffusion_pytorch_model", half_state(parts["vae"])),
                             ("text_encoder", "model", text_state(parts["text_encoder"]))):
        save_file(state, os.path.join(folder, sub, name + ".safetensors"), metadata={"format": "pt"})
    for stray in ("generation_config.json",):
        path = os.path.join(folder, "text_encoder", stray)
        if os.path.exists(path):
            os.remove(path)
    normalise_json(folder)


def normalise_json(folder):
    """Sorted keys, no machine-specific paths (the library versions stay: diffusers checks them)."""
    for root, _, names in os.walk(folder):
        for name in names:
            if not name.endswith(".json"):
                continue
            path = os.path.join(root, name)
            with open(path) as f:
                data = json.load(f)
            data.pop("_name_or_path", None)
            with open(path, "w") as f:
                json.dump(data, f, indent=2, sort_keys=True)
                f.write("\n")


def load_diffusers(folder, family):
    """The saved pipeline back through diffusers (float32; no tokenizer: feed token ids)."""
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionPipeline
    cls = StableDiffusionInpaintPipeline if "inpaint" in family else StableDiffusionPipeline
    return cls.from_pretrained(folder, tokenizer=None, safety_checker=None, feature_extractor=None,
                               image_encoder=None)


# --- diffusers -> CompVis names (after diffusers' scripts/convert_diffusers_to_original_stable_diffusion.py,
# generalised to any number of levels and res blocks per level).

UNET_RESNET = [("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("time_emb_proj", "emb_layers.1"),
               ("norm2", "out_layers.0"), ("conv2", "out_layers.3"), ("conv_shortcut", "skip_connection")]
UNET_TOP = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
            "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2"}


def unet_compvis_name(name, levels, per_level, up_attention):
    parts = name.split(".")
    if parts[0] in ("down_blocks", "up_blocks"):
        i, kind, j = int(parts[1]), parts[2], int(parts[3])
        rest = parts[4:]
        if kind == "downsamplers":  # down_blocks.i.downsamplers.0.conv.* -> input_blocks.k.0.op.*
            return ".".join([f"input_blocks.{(i + 1) * (per_level + 1)}.0.op"] + rest[1:])
        if kind == "upsamplers":  # up_blocks.i.upsamplers.0.conv.* -> output_blocks.k.{1|2}.conv.*
            slot = 2 if up_attention[i] else 1
            return ".".join([f"output_blocks.{i * (per_level + 1) + per_level}.{slot}"] + rest)
        if parts[0] == "down_blocks":
            prefix, k = "input_blocks", 1 + i * (per_level + 1) + j
        else:
            prefix, k = "output_blocks", i * (per_level + 1) + j
        if kind == "resnets":
            return f"{prefix}.{k}.0." + resnet_name(".".join(rest))
        return ".".join([f"{prefix}.{k}.1"] + rest)
    if parts[0] == "mid_block":
        if parts[1] == "resnets":
            return f"middle_block.{2 * int(parts[2])}." + resnet_name(".".join(parts[3:]))
        return ".".join(["middle_block.1"] + parts[3:])
    return UNET_TOP[".".join(parts[:-1])] + "." + parts[-1]


def resnet_name(rest):
    for hf, sd in UNET_RESNET:
        if rest.startswith(hf + "."):
            return sd + rest[len(hf):]
    raise KeyError(rest)


VAE_ATTENTION = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def vae_compvis_name(name, levels):
    parts = name.split(".")
    if parts[0] not in ("encoder", "decoder"):
        return name  # quant_conv, post_quant_conv
    side, rest = parts[0], parts[1:]
    if rest[0] in ("down_blocks", "up_blocks"):
        i = int(rest[1])
        level = i if rest[0] == "down_blocks" else levels - 1 - i
        group = "down" if rest[0] == "down_blocks" else "up"
        if rest[2] in ("downsamplers", "upsamplers"):
            sample = "downsample" if rest[2] == "downsamplers" else "upsample"
            return ".".join([side, group, str(level), sample] + rest[4:])
        tail = ".".join(rest[4:]).replace("conv_shortcut", "nin_shortcut")
        return f"{side}.{group}.{level}.block.{rest[3]}.{tail}"
    if rest[0] == "mid_block":
        if rest[1] == "resnets":
            tail = ".".join(rest[3:]).replace("conv_shortcut", "nin_shortcut")
            return f"{side}.mid.block_{int(rest[2]) + 1}.{tail}"
        tail = ".".join(rest[3:])
        for hf, sd in VAE_ATTENTION.items():
            if tail.startswith(hf + "."):
                return f"{side}.mid.attn_1.{sd}{tail[len(hf):]}"
        raise KeyError(name)
    return ".".join([side, {"conv_norm_out": "norm_out"}.get(rest[0], rest[0])] + rest[1:])


def vae_compvis(vae):
    levels = len(vae.config.block_out_channels)
    out = {}
    for name, t in half_state(vae).items():
        compvis = vae_compvis_name(name, levels)
        if ".mid.attn_1." in compvis and compvis.endswith("weight") and t.dim() == 2:
            t = t[:, :, None, None]  # CompVis attention projections are 1x1 convolutions
        out[compvis] = t.contiguous()
    return out


def openclip_state(text_encoder, extra_layer_seed):
    """The text encoder under OpenCLIP names, plus one more resblock (real SD 2.x files carry all
    24 layers of ViT-H; SD uses the penultimate, so diffusers drops the last) and the unused
    text_projection and logit_scale."""
    sd = text_state(text_encoder)
    width = text_encoder.config.hidden_size
    layers = text_encoder.config.num_hidden_layers
    out = {"token_embedding.weight": sd["text_model.embeddings.token_embedding.weight"],
           "positional_embedding": sd["text_model.embeddings.position_embedding.weight"],
           "ln_final.weight": sd["text_model.final_layer_norm.weight"],
           "ln_final.bias": sd["text_model.final_layer_norm.bias"]}
    for i in range(layers):
        hf, oc = f"text_model.encoder.layers.{i}.", f"transformer.resblocks.{i}."
        for kind in ("weight", "bias"):
            out[oc + f"attn.in_proj_{kind}"] = torch.cat(
                [sd[hf + f"self_attn.{p}_proj.{kind}"] for p in "qkv"]).contiguous()
            out[oc + f"attn.out_proj.{kind}"] = sd[hf + f"self_attn.out_proj.{kind}"]
            out[oc + f"ln_1.{kind}"] = sd[hf + f"layer_norm1.{kind}"]
            out[oc + f"ln_2.{kind}"] = sd[hf + f"layer_norm2.{kind}"]
            out[oc + f"mlp.c_fc.{kind}"] = sd[hf + f"mlp.fc1.{kind}"]
            out[oc + f"mlp.c_proj.{kind}"] = sd[hf + f"mlp.fc2.{kind}"]
    g = torch.Generator().manual_seed(extra_layer_seed)
    for name in [k for k in out if k.startswith("transformer.resblocks.0.")]:
        shape = out[name].shape
        out[name.replace("resblocks.0.", f"resblocks.{layers}.")] = (
            torch.randn(shape, generator=g) * 0.1).to(torch.float16)
    out["text_projection"] = (torch.randn((width, width), generator=g) * 0.1).to(torch.float16)
    out["logit_scale"] = torch.tensor(4.6052, dtype=torch.float32)
    return out


def to_compvis(parts, family):
    unet = parts["unet"]
    levels = len(unet.config.block_out_channels)
    per_level = unet.config.layers_per_block
    up_attention = ["CrossAttn" in t for t in unet.config.up_block_types]
    out = {}
    for name, t in half_state(unet).items():
        out["model.diffusion_model." + unet_compvis_name(name, levels, per_level, up_attention)] = t
    for name, t in vae_compvis(parts["vae"]).items():
        out["first_stage_model." + name] = t
    if family.startswith("sd2"):
        for name, t in openclip_state(parts["text_encoder"], SEEDS[family] * 100 + 4).items():
            out["cond_stage_model.model." + name] = t
    else:
        for name, t in text_state(parts["text_encoder"]).items():
            out["cond_stage_model.transformer." + name] = t
        # What real SD 1.x files also carry: the position-id buffer, schedule tables, EMA counters.
        out["cond_stage_model.transformer.text_model.embeddings.position_ids"] = torch.arange(77).reshape(1, 77)
        out["alphas_cumprod"] = torch.cumprod(1 - parts["scheduler"].betas, 0).to(torch.float32)
        out["model_ema.num_updates"] = torch.tensor(1234, dtype=torch.int32)
    return out


def check_compvis(parts, state, family):
    """diffusers' own single-file converters must turn our CompVis names back into the modules'
    state dicts, tensor for tensor."""
    from diffusers.loaders import single_file_utils as sfu
    unet_back = sfu.convert_ldm_unet_checkpoint(state, dict(parts["unet"].config))
    vae_back = sfu.convert_ldm_vae_checkpoint(state, dict(parts["vae"].config))
    if family.startswith("sd2"):
        text_back = sfu.convert_open_clip_checkpoint(parts["text_encoder"], state)
    else:
        text_back = sfu.convert_ldm_clip_checkpoint(state)
    for key, back in (("unet", unet_back), ("vae", vae_back), ("text_encoder", text_back)):
        expected = text_state(parts[key]) if key == "text_encoder" else half_state(parts[key])
        for name, t in expected.items():
            if name not in back:
                raise AssertionError(f"{key}: {name} lost in the CompVis round trip")
            if not torch.equal(back[name].reshape(t.shape).to(torch.float16), t):
                raise AssertionError(f"{key}: {name} differs after the CompVis round trip")


def save_single_file(parts, path, family, metadata=None):
    from safetensors.torch import save_file
    state = to_compvis(parts, family)
    check_compvis(parts, state, family)
    save_file(state, path, metadata={"format": "pt", **(metadata or {})})


def write_tiny_vae(out):
    vae = build_vae(SEEDS["vae"] * 100 + 2, VAE_OVERRIDE_CHANNELS)
    from safetensors.torch import save_file
    folder = os.path.join(out, "tiny_vae")
    shutil.rmtree(folder, ignore_errors=True)
    vae.save_pretrained(folder, safe_serialization=True)
    save_file(half_state(vae), os.path.join(folder, "diffusion_pytorch_model.safetensors"), metadata={"format": "pt"})
    normalise_json(folder)
    save_file(vae_compvis(vae), os.path.join(out, "tiny_vae.safetensors"), metadata={"format": "pt"})


def write_files(folder, files):
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, data in sorted(files.items()):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    os.makedirs(out, exist_ok=True)
    write_files(os.path.join(out, "files"), valid_files())
    write_files(os.path.join(out, "corrupt"), corrupt_files())
    for family in FAMILIES:
        parts = build_tiny(family)
        save_diffusers(parts, os.path.join(out, f"tiny_{family}"), family)
        save_single_file(parts, os.path.join(out, f"tiny_{family}.safetensors"), family)
    write_tiny_vae(out)
    total = sum(os.path.getsize(os.path.join(r, n)) for r, _, ns in os.walk(out) for n in ns)
    print(f"wrote {out}: {total} bytes")


if __name__ == "__main__":
    main()
