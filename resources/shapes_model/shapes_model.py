#!/usr/bin/env python3
"""The Atelier shapes model: an SD 1.x-shaped latent diffusion model (CLIP text encoder with CLIP's
whole vocabulary and BPE, UNet with cross-attention, KL VAE with 8x smaller latents), only narrow,
and written as one CompVis-named float16 .safetensors file that Atelier's single-file loader reads.

Atelier's single-file rules that the shapes must respect (the file has no config): GroupNorm groups
= min(32, base channels) in UNet and VAE; text heads = max(1, width / 64); quick_gelu; UNet 8 heads
per level with a head width that is a multiple of 4 and at most 256; epsilon prediction;
scaled-linear betas 0.00085..0.012 over 1000 steps; VAE scaling factor 0.18215.

CONFIGS["default"] is the model a GPU trains (about 38 MB in float16, 12.6 MB of it the
49408 x 128 token table); CONFIGS["smoke"] is a narrower one for CPU smoke tests.

Library:
    import shapes_model as sm
    parts = sm.build("default", seed=0)     # {"unet", "vae", "text_encoder", "scheduler"} float32
    ids = sm.ClipTokenizer().encode_batch(["a red circle"])      # [B, 77] int64, BOS..EOS, pad EOS
    sm.save_checkpoint(parts, "atelier-shapes-sd1.safetensors")
    parts = sm.load_checkpoint("atelier-shapes-sd1.safetensors", "default")
Usage: python3 shapes_model.py [config]      # prints parameter counts and the float16 file size
"""
import functools
import gzip
import html
import os
import re
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "safetensors"))
import make_fixtures as mf  # noqa: E402

CONFIGS = {
    # unet: block_out_channels, layers per level; vae: block_out_channels; text: width, layers
    "default": {"unet": (64, 128, 192), "unet_layers": 1, "vae": (32, 64, 128, 128),
                "text_width": 128, "text_layers": 4},
    # what a 2-core CPU trains in about an hour and a half: default's UNet, narrower VAE and text encoder
    "cpu": {"unet": (64, 128, 192), "unet_layers": 1, "vae": (16, 32, 64, 64),
            "text_width": 128, "text_layers": 2},
    "smoke": {"unet": (32, 64, 128), "unet_layers": 1, "vae": (16, 32, 64, 64),
              "text_width": 128, "text_layers": 2},
}
VOCAB, BOS, EOS, CONTEXT_LENGTH = 49408, 49406, 49407, 77
SCALING_FACTOR = 0.18215


# ---------------------------------------------------------------------------------------------
# CLIP's tokenizer (a port of openai/CLIP simple_tokenizer.py, MIT; ftfy-free: prompts here are ASCII)


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + \
        list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


class ClipTokenizer:
    PATTERN = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+",
                         re.IGNORECASE)

    def __init__(self, merges_path=os.path.join(REPO, "resources", "clip", "bpe_simple_vocab_16e6.txt.gz")):
        merges = gzip.open(merges_path).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
        merges = [tuple(m.split()) for m in merges]
        self.byte_encoder = bytes_to_unicode()
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab] + ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        assert len(vocab) == VOCAB
        self.encoder = {v: i for i, v in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}

    @functools.lru_cache(maxsize=4096)
    def bpe(self, token):
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        return word

    def encode(self, text):
        text = re.sub(r"\s+", " ", html.unescape(html.unescape(text))).strip().lower()
        ids = []
        for token in self.PATTERN.findall(text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token))
        return ids

    def encode_batch(self, texts):
        """[B, 77] int64: BOS, the ids (cut to 75), EOS, then EOS padding (SD 1.x's pad)."""
        rows = []
        for text in texts:
            ids = [BOS] + self.encode(text)[:CONTEXT_LENGTH - 2] + [EOS]
            rows.append(ids + [EOS] * (CONTEXT_LENGTH - len(ids)))
        return torch.tensor(rows, dtype=torch.long)


# ---------------------------------------------------------------------------------------------
# The model


def build_unet(cfg, in_channels=4):
    from diffusers import UNet2DConditionModel
    channels = cfg["unet"]
    assert all(c % 8 == 0 and (c // 8) % 4 == 0 and c // 8 <= 256 for c in channels), "8 heads, width % 4"
    return UNet2DConditionModel(
        sample_size=8, in_channels=in_channels, out_channels=4, block_out_channels=channels,
        layers_per_block=cfg["unet_layers"], norm_num_groups=min(32, channels[0]),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=cfg["text_width"], attention_head_dim=8, use_linear_projection=False)


def build_vae(cfg):
    from diffusers import AutoencoderKL
    channels = cfg["vae"]
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=channels,
        layers_per_block=1, norm_num_groups=min(32, channels[0]), sample_size=64,
        scaling_factor=SCALING_FACTOR,
        down_block_types=("DownEncoderBlock2D",) * len(channels),
        up_block_types=("UpDecoderBlock2D",) * len(channels))


def build_text_encoder(cfg):
    from transformers import CLIPTextConfig, CLIPTextModel
    width = cfg["text_width"]
    config = CLIPTextConfig(
        vocab_size=VOCAB, hidden_size=width, intermediate_size=4 * width, num_hidden_layers=cfg["text_layers"],
        num_attention_heads=max(1, width // 64), max_position_embeddings=CONTEXT_LENGTH, layer_norm_eps=1e-5,
        hidden_act="quick_gelu", bos_token_id=BOS, eos_token_id=EOS, pad_token_id=EOS, projection_dim=width)
    return CLIPTextModel(config)


def build(config="default", seed=0):
    torch.manual_seed(seed)
    cfg = CONFIGS[config]
    return {"unet": build_unet(cfg), "vae": build_vae(cfg), "text_encoder": build_text_encoder(cfg),
            "scheduler": mf.build_scheduler("sd1")}


def save_checkpoint(parts, path, size=64):
    """One float16 single file with SD 1.x's CompVis names (checked by diffusers' converters), and
    Stability's model-spec metadata, whose resolution Atelier's size fields follow."""
    mf.save_single_file(parts, path, "sd1", metadata={
        "modelspec.sai_model_spec": "1.0.0", "modelspec.architecture": "stable-diffusion-v1",
        "modelspec.implementation": "https://github.com/Stability-AI/generative-models",
        "modelspec.title": "Atelier shapes", "modelspec.resolution": f"{size}x{size}",
        "modelspec.license": "MIT",
        "modelspec.description": "Atelier's small default model: coloured shapes on plain, striped or dotted "
                                 "backgrounds, trained on procedural pictures (resources/shapes_model)."})
    return os.path.getsize(path)


def declared_size(path):
    """The picture side a checkpoint declares in modelspec.resolution ("128x128" -> 128), else 64."""
    from safetensors import safe_open
    with safe_open(path, "pt") as f:
        resolution = (f.metadata() or {}).get("modelspec.resolution", "64x64")
    return int(resolution.split("x")[0])


def load_checkpoint(path, config="default"):
    """The file's weights back into float32 diffusers/transformers modules (eval mode)."""
    from diffusers.loaders import single_file_utils as sfu
    from safetensors.torch import load_file
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(path).items()}
    parts = build(config)
    parts["unet"].load_state_dict(sfu.convert_ldm_unet_checkpoint(state, dict(parts["unet"].config)))
    vae_state = sfu.convert_ldm_vae_checkpoint(state, dict(parts["vae"].config))
    vae_shapes = {k: v.shape for k, v in parts["vae"].state_dict().items()}
    parts["vae"].load_state_dict({k: v.reshape(vae_shapes[k]) for k, v in vae_state.items()})
    text = {k[len("text_model."):] if k.startswith("text_model.") else k: v
            for k, v in sfu.convert_ldm_clip_checkpoint(state).items()}
    missing, unexpected = parts["text_encoder"].load_state_dict(text, strict=False)
    assert not [m for m in missing if "position_ids" not in m], missing
    for key in ("unet", "vae", "text_encoder"):
        parts[key].eval()
    return parts


def main():
    config = sys.argv[1] if len(sys.argv) > 1 else "default"
    parts = build(config)
    total = 0
    for key in ("unet", "vae", "text_encoder"):
        n = sum(p.numel() for p in parts[key].parameters())
        total += n
        print(f"{key}: {n / 1e6:.2f} M parameters")
    print(f"{config}: {total / 1e6:.2f} M parameters, about {2 * total / 1e6:.1f} MB in float16")
    tok = ClipTokenizer()
    print("a small red circle at the top left ->", tok.encode("a small red circle at the top left"))


if __name__ == "__main__":
    main()
