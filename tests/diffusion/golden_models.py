#!/usr/bin/env python3
"""The two small random-weight Stable Diffusion checkpoints the diffusion golden tests run, written
in the single-file (CompVis) layout that people download: golden_sd1.safetensors (CLIP text encoder
with quick_gelu, 1x1-conv attention projections, 8 heads, epsilon) and golden_sd2.safetensors
(OpenCLIP names, gelu, linear projections, 64-wide heads, v-prediction). The SD1 text encoder has
CLIP's whole vocabulary (49408 ids) so that text prompts run end to end on it; SD2's has 256.
golden_sd1_inpaint.safetensors is SD1's text encoder and VAE with a 9-channel UNet of its own (the
sd-v1-5-inpainting layout: latent, mask and masked-picture latent concatenated).

They are shaped like SD (three UNet levels, cross-attention on the first
two, a 4-level VAE whose latents are 8x smaller than the image, a causal text encoder) but narrow
enough that a whole run takes a moment on lavapipe. The UNet's attention heads are 4 and 8 wide
(SD1) or 32/64 wide (SD2), multiples of 4 as Atelier's attention kernel needs. What a single file
cannot say follows Atelier's single-file rules: GroupNorm groups min(32, base channels), text heads
width / 64 (at least one).

Usage:  python3 tests/diffusion/golden_models.py          # writes tests/diffusion/fixtures/golden_*.safetensors
As a library (the golden scripts):  import golden_models as gm; parts = gm.build("sd1")
    parts: {"unet", "vae", "text_encoder", "scheduler"} float32 torch modules whose weights are
    float16-representable, so the float16 files hold them exactly.
Tested with torch 2.15, diffusers 0.42.1, transformers 5.23.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "safetensors"))
import make_fixtures as mf  # noqa: E402

FAMILIES = ("sd1", "sd2")  # the goldens_*.py scripts run these
INPAINT_FAMILIES = ("sd1_inpaint",)  # inpaint_test.cpp and goldens_inpaint.py
SEEDS = {"sd1": 11, "sd2": 12, "sd1_inpaint": 13}
UNET_CHANNELS = (32, 64, 64)
VAE_CHANNELS = (16, 32, 32, 32)
CONTEXT = {"sd1": 32, "sd2": 64, "sd1_inpaint": 32}


def build_unet(family, seed):
    from diffusers import UNet2DConditionModel
    sd2 = family == "sd2"
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=9 if family == "sd1_inpaint" else 4, out_channels=4, block_out_channels=UNET_CHANNELS,
        layers_per_block=1, norm_num_groups=min(32, UNET_CHANNELS[0]),  # the single-file rule
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=CONTEXT[family],
        attention_head_dim=tuple(max(1, c // 64) for c in UNET_CHANNELS) if sd2 else 8,
        use_linear_projection=sd2)
    return mf.randomise(unet, seed)


def build_text_encoder(family, seed):
    from transformers import CLIPTextConfig, CLIPTextModel
    width = CONTEXT[family]
    # SD1 has CLIP's whole vocabulary, so whole generations from text prompts run on it; SD2 keeps
    # 256 ids (feed ids, 254/255 play BOS/EOS) to stay small.
    vocab, bos, eos = (49408, 49406, 49407) if family == "sd1" else (256, 254, 255)
    config = CLIPTextConfig(
        vocab_size=vocab, hidden_size=width, intermediate_size=4 * width, num_hidden_layers=3,
        num_attention_heads=max(1, width // 64), max_position_embeddings=77, layer_norm_eps=1e-5,
        hidden_act="gelu" if family == "sd2" else "quick_gelu",
        bos_token_id=bos, eos_token_id=eos, pad_token_id=eos, projection_dim=width)
    return mf.randomise(CLIPTextModel(config), seed)


def build_vae(seed):
    from diffusers import AutoencoderKL
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=VAE_CHANNELS,
        layers_per_block=1, norm_num_groups=min(32, VAE_CHANNELS[0]),  # the single-file rule
        sample_size=16, scaling_factor=0.18215,
        down_block_types=("DownEncoderBlock2D",) * len(VAE_CHANNELS),
        up_block_types=("UpDecoderBlock2D",) * len(VAE_CHANNELS))
    return mf.randomise(vae, seed)


def build(family):
    seed = SEEDS[family]
    # The inpainting model shares SD1's text encoder and VAE; only its UNet is its own.
    shared = SEEDS["sd1"] if family == "sd1_inpaint" else seed
    text_family = "sd1" if family == "sd1_inpaint" else family
    return {"unet": build_unet(family, seed * 100 + 1), "vae": build_vae(shared * 100 + 2),
            "text_encoder": build_text_encoder(text_family, shared * 100 + 3),
            "scheduler": mf.build_scheduler(family)}


def checkpoint_path(family):
    return os.path.join(HERE, "fixtures", f"golden_{family}.safetensors")


def main():
    os.makedirs(os.path.join(HERE, "fixtures"), exist_ok=True)
    for family in FAMILIES + INPAINT_FAMILIES:
        mf.save_single_file(build(family), checkpoint_path(family), family)
        print(checkpoint_path(family), os.path.getsize(checkpoint_path(family)))


if __name__ == "__main__":
    main()
