#!/usr/bin/env python3
"""LoRA goldens for lora_test.cpp: two small LoRAs for the golden SD 1.x checkpoint
(golden_models.py), loaded into diffusers' UNet and transformers' CLIPTextModel by diffusers' own
LoRA loader (StableDiffusionPipeline.lora_state_dict + load_lora_into_unet/_text_encoder, through
PEFT), and what the adapted networks compute.

fixtures/lora_sd1_kohya.safetensors   kohya / A1111 layout, f16: lora_unet_* and lora_te_* modules with
    .lora_down.weight, .lora_up.weight and .alpha (rank 4, alpha 2: scale 0.5; one alpha for all, since
    diffusers 0.42 applies a module's own alpha only to some module names): attention projections
    (to_q, to_k of cross-attention, to_out.0), the GEGLU ff.net.0.proj, proj_in (a 1x1 conv in SD1),
    the time projection, and LoCon convolutions (3x3 conv1/conv2, a 3x3 downsampler, the 1x1
    conv_shortcut); text-encoder q_proj, out_proj and mlp.fc1.
fixtures/lora_sd1_peft.safetensors    diffusers/PEFT layout, f32: unet.<module>.lora_A/.lora_B.weight and
    text_encoder.text_model.<module>.lora_A/.lora_B.weight, rank 2, no alpha (scale 1).

goldens/lora_sd1.safetensors, f32:
  x [1, 4, 8, 8], context [1, 77, 32], timestep [1]     UNet inputs
  ids [77] (I32)                                          a prompt's token ids for the text encoder
  unet_base, text_base                                    without LoRA
  unet_kohya, text_kohya                                  the kohya LoRA at weight 0.7
  unet_both, text_both                                    kohya at 0.7 and the PEFT LoRA at 1.0 at once
  metadata kohya_hash, peft_hash: A1111's short hashes (sha256 of the bytes after the header, 12 hex)

Usage:  python3 tests/diffusion/goldens_lora.py   (torch, diffusers, transformers, peft)
Tested with torch 2.15, diffusers 0.42.1, transformers 5.25, peft 0.18.
"""
import hashlib
import os
import struct
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golden_models as gm  # noqa: E402

KOHYA = os.path.join(HERE, "fixtures", "lora_sd1_kohya.safetensors")
PEFT = os.path.join(HERE, "fixtures", "lora_sd1_peft.safetensors")
GOLDEN = os.path.join(HERE, "goldens", "lora_sd1.safetensors")
KOHYA_WEIGHT = 0.7

# (diffusers module, alpha) for the kohya file; rank 4.
KOHYA_UNET = [
    ("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", 2.0),
    ("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k", 2.0),
    ("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_out.0", 2.0),
    ("up_blocks.2.attentions.1.transformer_blocks.0.ff.net.0.proj", 2.0),
    ("mid_block.attentions.0.proj_in", 2.0),
    ("down_blocks.0.resnets.0.conv1", 2.0),
    ("down_blocks.0.resnets.0.time_emb_proj", 2.0),
    ("up_blocks.0.resnets.1.conv2", 2.0),
    ("down_blocks.0.downsamplers.0.conv", 2.0),
    ("down_blocks.1.resnets.0.conv_shortcut", 2.0),
]
KOHYA_TEXT = [
    ("encoder.layers.0.self_attn.q_proj", 2.0),
    ("encoder.layers.1.self_attn.out_proj", 2.0),
    ("encoder.layers.2.mlp.fc1", 2.0),
]
# the PEFT file: rank 2, no alpha
PEFT_UNET = [
    "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_v",
    "up_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q",
    "up_blocks.1.resnets.0.conv1",
    "mid_block.attentions.0.transformer_blocks.0.ff.net.2",
]
PEFT_TEXT = ["encoder.layers.1.self_attn.v_proj", "encoder.layers.2.mlp.fc2"]


def module(root, name):
    m = root
    for part in name.split("."):
        m = getattr(m, part) if not part.isdigit() else m[int(part)]
    return m


def pair(layer, rank, g, size):
    """down [rank, in(, k, k)] and up [out, rank(, 1, 1)], f16-representable, sized so that the
    update is a few percent of the weight."""
    w = layer.weight
    if w.dim() == 4:
        down_shape, up_shape = (rank, w.shape[1], w.shape[2], w.shape[3]), (w.shape[0], rank, 1, 1)
    else:
        down_shape, up_shape = (rank, w.shape[1]), (w.shape[0], rank)
    fan_in = w[0].numel()
    down = torch.randn(down_shape, generator=g) / fan_in ** 0.5
    up = torch.randn(up_shape, generator=g) * size / rank ** 0.5
    return down.half().float(), up.half().float()


def kohya_file(unet, text):
    g = torch.Generator().manual_seed(2001)
    tensors = {}
    for name, alpha in KOHYA_UNET:
        down, up = pair(module(unet, name), 4, g, 0.3)
        key = "lora_unet_" + name.replace(".", "_")
        tensors.update({key + ".lora_down.weight": down, key + ".lora_up.weight": up,
                        key + ".alpha": torch.tensor(alpha)})
    for name, alpha in KOHYA_TEXT:
        down, up = pair(module(text, name), 4, g, 0.3)
        key = "lora_te_text_model_" + name.replace(".", "_")
        tensors.update({key + ".lora_down.weight": down, key + ".lora_up.weight": up,
                        key + ".alpha": torch.tensor(alpha)})
    save_file({k: v.half().contiguous() for k, v in tensors.items()}, KOHYA)


def peft_file(unet, text):
    g = torch.Generator().manual_seed(2002)
    tensors = {}
    for name in PEFT_UNET:
        down, up = pair(module(unet, name), 2, g, 0.3)
        tensors.update({f"unet.{name}.lora_A.weight": down, f"unet.{name}.lora_B.weight": up})
    for name in PEFT_TEXT:
        down, up = pair(module(text, name), 2, g, 0.3)
        tensors.update({f"text_encoder.text_model.{name}.lora_A.weight": down,
                        f"text_encoder.text_model.{name}.lora_B.weight": up})
    save_file({k: v.contiguous() for k, v in tensors.items()}, PEFT)


def short_hash(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        f.seek(8 + n)
        return hashlib.sha256(f.read()).hexdigest()[:12]


def run(unet, text, x, t, context, ids):
    with torch.no_grad():
        u = unet(x, torch.tensor(t), encoder_hidden_states=context).sample
        h = text(ids.long().unsqueeze(0)).last_hidden_state[0]
    return u, h


def main():
    from diffusers import StableDiffusionPipeline
    from diffusers.utils.peft_utils import set_weights_and_activate_adapters

    parts = gm.build("sd1")
    unet, text = parts["unet"].float().eval(), parts["text_encoder"].float().eval()
    kohya_file(unet, text)
    peft_file(unet, text)

    g = torch.Generator().manual_seed(2003)
    x = torch.randn((1, 4, 8, 8), generator=g)
    context = torch.randn((1, 77, gm.CONTEXT["sd1"]), generator=g)
    t = 500.0
    ids = torch.tensor([49406, 320, 736, 4379, 530, 1929, 3366, 49407] + [49407] * 69, dtype=torch.int32)
    out = {"x": x, "context": context, "timestep": torch.tensor([t]), "ids": ids}
    out["unet_base"], out["text_base"] = run(unet, text, x, t, context, ids)

    for path, adapter in ((KOHYA, "kohya"), (PEFT, "peft")):
        state, alphas = StableDiffusionPipeline.lora_state_dict(path)
        StableDiffusionPipeline.load_lora_into_unet(state, alphas, unet=unet, adapter_name=adapter)
        StableDiffusionPipeline.load_lora_into_text_encoder(state, alphas, text_encoder=text, prefix="text_encoder",
                                                            adapter_name=adapter)
    for model in (unet, text):
        set_weights_and_activate_adapters(model, ["kohya"], [KOHYA_WEIGHT])
    out["unet_kohya"], out["text_kohya"] = run(unet, text, x, t, context, ids)
    for model in (unet, text):
        set_weights_and_activate_adapters(model, ["kohya", "peft"], [KOHYA_WEIGHT, 1.0])
    out["unet_both"], out["text_both"] = run(unet, text, x, t, context, ids)

    meta = {"kohya_hash": short_hash(KOHYA), "peft_hash": short_hash(PEFT)}
    save_file({k: v.contiguous() for k, v in out.items()}, GOLDEN, metadata=meta)
    for name in ("unet", "text"):
        base = out[name + "_base"]
        for case in ("kohya", "both"):
            change = float((out[f"{name}_{case}"] - base).abs().max() / base.abs().max())
            print(f"{name}_{case}: max change {change:.3f} of the base's largest value")
    for p in (KOHYA, PEFT, GOLDEN):
        print(p, os.path.getsize(p))
    print(meta)


if __name__ == "__main__":
    main()
