#!/usr/bin/env python3
"""Writes a Stable Diffusion 1.5-shaped checkpoint with random weights, for `atelier bench sd`: the
exact tensor names, shapes and dtype (float16) of v1-5-pruned-emaonly.safetensors, so the engine
does exactly the work a real SD 1.5 model makes it do. The pictures it paints are noise.

Usage:  python3 compute/bench/make_random_sd15.py OUT.safetensors   (about 2 GB; needs about 8 GB of RAM)
Needs torch, diffusers, transformers, safetensors (PyPI).
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "safetensors"))
import make_fixtures as mf  # noqa: E402


def build():
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel
    torch.manual_seed(0)
    unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=768, attention_head_dim=8)  # SD 1.5's config
    vae = AutoencoderKL(block_out_channels=(128, 256, 512, 512), layers_per_block=2, latent_channels=4,
                        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                        sample_size=512)
    text = CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072,
                                        num_hidden_layers=12, num_attention_heads=12, max_position_embeddings=77,
                                        hidden_act="quick_gelu", projection_dim=768))
    return {"unet": unet.eval(), "vae": vae.eval(), "text_encoder": text.eval(), "scheduler": mf.build_scheduler("sd1")}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    from safetensors.torch import save_file
    with torch.no_grad():
        state = mf.to_compvis(build(), "sd1")
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in state.items()}
    save_file(state, sys.argv[1], metadata={"format": "pt"})
    print(sys.argv[1], sum(v.numel() for v in state.values()), "parameters")


if __name__ == "__main__":
    main()
