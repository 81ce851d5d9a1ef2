#!/usr/bin/env python3
"""Reference UNet predictions for unet_test.cpp: diffusers' UNet2DConditionModel (the float32
modules golden_models.py builds, whose weights the golden checkpoints hold exactly) on fixed random
inputs.

Writes tests/diffusion/goldens/unet_<family>.safetensors for sd1 (epsilon) and sd2 (v-prediction),
f32 tensors:
  x         [2, 4, 16, 16]   latents, NCHW (a CFG batch: uncond and cond)
  context   [2, 77, ctx]     text-encoder-shaped context (random, 77 tokens as SD uses)
  timestep  [1]              999 (sd1) or 500.5 (sd2: a float t as A1111/k-diffusion passes)
  out       [2, 4, 16, 16]   unet(x, timestep, context).sample
  x2        [1, 4, 8, 12]    a second, smaller and non-square shape (the run state reallocates)
  (context2 = context seen as [1, 154, ctx]: one prompt of two 77-token chunks, as A1111's long
   prompts; the same numbers, so not stored)
  timestep2 [1]              250
  out2      [1, 4, 8, 12]

and tests/diffusion/goldens/unet_sd2_inpaint.safetensors: a tiny SD 2.x inpainting UNet (9 input
channels, levels of 8 channels, one head, linear projections, an 8-wide context), whose weights the
file holds under their CompVis names (model.diffusion_model.*, f16) for the test to put into a
checkpoint, with x [2, 9, 8, 8], context [2, 77, 8], timestep 999 and out [2, 4, 8, 8].

Usage:  python3 tests/diffusion/goldens_unet.py
Tested with torch 2.15, diffusers 0.42.1.
"""
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golden_models as gm  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "safetensors"))
import make_fixtures as mf  # noqa: E402

TIMESTEPS = {"sd1": (999.0, 250.0), "sd2": (500.5, 250.0)}
SEEDS = {"sd1": 2101, "sd2": 2102}


def predict(unet, x, t, context):
    with torch.no_grad():
        return unet(x, torch.tensor(t, dtype=torch.float32), encoder_hidden_states=context).sample


def inpainting_unet():
    from diffusers import UNet2DConditionModel
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=9, out_channels=4, block_out_channels=(8, 8), layers_per_block=1,
        norm_num_groups=8, down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=8,
        attention_head_dim=(1, 1), use_linear_projection=True)
    return mf.randomise(unet, 2103)


def write_inpainting():
    unet = inpainting_unet()
    levels, per_level = len(unet.config.block_out_channels), unet.config.layers_per_block
    up_attention = ["CrossAttn" in t for t in unet.config.up_block_types]
    tensors = {"model.diffusion_model." + mf.unet_compvis_name(n, levels, per_level, up_attention): t.contiguous()
               for n, t in mf.half_state(unet).items()}
    g = torch.Generator().manual_seed(2104)
    x = torch.randn((2, 9, 8, 8), generator=g)
    context = torch.randn((2, 77, 8), generator=g)
    tensors.update({"x": x, "context": context, "timestep": torch.tensor([999.0]),
                    "out": predict(unet, x, 999.0, context)})
    path = os.path.join(HERE, "goldens", "unet_sd2_inpaint.safetensors")
    save_file(tensors, path)
    print(path, os.path.getsize(path), "out std", float(tensors["out"].std()))


def main():
    os.makedirs(os.path.join(HERE, "goldens"), exist_ok=True)
    for family in gm.FAMILIES:
        unet = gm.build(family)["unet"].float().eval()
        g = torch.Generator().manual_seed(SEEDS[family])
        ctx = gm.CONTEXT[family]
        x = torch.randn((2, 4, 16, 16), generator=g)
        context = torch.randn((2, 77, ctx), generator=g)
        x2 = torch.randn((1, 4, 8, 12), generator=g)
        context2 = context.reshape(1, 2 * 77, ctx).clone()
        t, t2 = TIMESTEPS[family]
        tensors = {
            "x": x, "context": context, "timestep": torch.tensor([t]),
            "out": predict(unet, x, t, context),
            "x2": x2, "timestep2": torch.tensor([t2]),
            "out2": predict(unet, x2, t2, context2),
        }
        path = os.path.join(HERE, "goldens", f"unet_{family}.safetensors")
        save_file({k: v.float().contiguous() for k, v in tensors.items()}, path)
        print(path, os.path.getsize(path), "out std", float(tensors["out"].std()))
    write_inpainting()


if __name__ == "__main__":
    main()
