#!/usr/bin/env python3
"""Reference VAE outputs for vae_test.cpp: diffusers' AutoencoderKL (the float32 module
golden_models.py builds, whose weights the golden checkpoints hold exactly, with GroupNorm in
the single file's 16 groups) on fixed inputs.

Writes tests/diffusion/goldens/vae_<family>.safetensors, f32 tensors:
  latent   [4, 8, 8]     a UNet-scale latent, NCHW (randn)
  decoded  [64, 64, 3]   vae.decode(latent / scaling_factor).sample, as HWC
and for sd1 only (the sd2 VAE has the same shape):
  image    [64, 64, 3]   HWC in [-1, 1]: smooth gradients and rings plus noise
  encoded  [4, 8, 8]     vae.encode(image).latent_dist.mean * scaling_factor, NCHW

Usage:  python3 tests/diffusion/goldens_vae.py
Tested with torch 2.15, diffusers 0.42.1.
"""
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golden_models as gm  # noqa: E402

SEEDS = {"sd1": 3101, "sd2": 3102}
SIZE = 64


def single_file_groups(vae):
    """GroupNorm as Atelier reads the single file: min(32, base channels) groups (golden_models.py's
    rule for what a single file cannot say). make_fixtures.build_vae builds the module with 8; the
    weights are per channel, so only the grouping changes."""
    groups = min(32, gm.VAE_CHANNELS[0])
    for m in vae.modules():
        if isinstance(m, torch.nn.GroupNorm):
            m.num_groups = groups
    return vae


def test_image(g):
    y, x = torch.meshgrid(torch.linspace(-1, 1, SIZE), torch.linspace(-1, 1, SIZE), indexing="ij")
    r = torch.sqrt(x * x + y * y)
    channels = [0.8 * x, 0.7 * y, 0.9 * torch.cos(6.0 * r)]
    image = torch.stack(channels, dim=-1) + 0.1 * torch.randn((SIZE, SIZE, 3), generator=g)
    return image.clamp(-1, 1)


def main():
    os.makedirs(os.path.join(HERE, "goldens"), exist_ok=True)
    for family in gm.FAMILIES:
        vae = single_file_groups(gm.build(family)["vae"].float().eval())
        sf = vae.config.scaling_factor
        g = torch.Generator().manual_seed(SEEDS[family])
        latent = torch.randn((4, SIZE // 8, SIZE // 8), generator=g)
        with torch.no_grad():
            decoded = vae.decode(latent[None] / sf).sample[0].permute(1, 2, 0)
            tensors = {"latent": latent, "decoded": decoded}
            if family == "sd1":
                image = test_image(g)
                mean = vae.encode(image.permute(2, 0, 1)[None]).latent_dist.mean[0] * sf
                tensors.update({"image": image, "encoded": mean})
        path = os.path.join(HERE, "goldens", f"vae_{family}.safetensors")
        save_file({k: v.float().contiguous() for k, v in tensors.items()}, path)
        print(path, os.path.getsize(path), "decoded std", float(decoded.std()),
              "range", float(decoded.min()), float(decoded.max()))


if __name__ == "__main__":
    main()
