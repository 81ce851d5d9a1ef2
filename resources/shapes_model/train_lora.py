#!/usr/bin/env python3
"""A demo LoRA for the shapes model (issue 20): it teaches a shape the base model never saw, a
heart ("a large red heart in the centre on a blue background"), and keeps the other shapes.

Data: single hearts drawn by shapes_dataset's renderer (a heart outline added to its polygons), in
every colour, size, position, background and texture, mixed half and half with ordinary training
scenes so that the other shapes stay as they were. The base model's VAE encodes them once.
Training: PEFT LoRA layers (rank 8, alpha 8) on the UNet's attention, feed-forward and
convolution layers and on the text encoder's attention and MLP, AdamW, the epsilon loss of
train.py, on the CPU (torch threads) or a GPU, for --steps or --budget-minutes.
Output: a kohya/A1111-layout file (lora_unet_* / lora_te_* with .lora_down/.lora_up/.alpha,
float16), the layout most LoRAs are shared in, which Atelier reads through <lora:NAME:WEIGHT>.

Usage:
  python3 train_lora.py --out runs/heart                    # CPU, 2 cores: see the model card
  python3 train_lora.py --out runs/heart --device cuda --steps 3000
  python3 train_lora.py --evaluate runs/heart/atelier-shapes-heart-lora.safetensors --count 20 --base-too
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

import shapes_dataset as ds
import shapes_model as sm

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "atelier-shapes-sd1.safetensors")
NAME = "atelier-shapes-heart-lora"
UNET_TARGETS = ["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2",
                "conv1", "conv2"]
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]


def heart_polygon(cx, cy, r, points=48):
    """A heart (the classic parametric curve) about as wide and tall as the other shapes."""
    pts = []
    for k in range(points):
        t = 2 * math.pi * k / points
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((cx + r * x / 16.0, cy - r * (y + 2.5) / 15.0))
    return pts


_polygon = ds.shape_polygon


def shape_polygon(shape, cx, cy, r):
    return heart_polygon(cx, cy, r) if shape == "heart" else _polygon(shape, cx, cy, r)


# The renderer and the checker know the heart from here on.
ds.shape_polygon = shape_polygon
ds.SHAPES = ds.SHAPES + ("heart",)


def heart_scene(rng):
    colour = str(rng.choice(list(ds.COLOURS)))
    position = str(rng.choice(list(ds.POSITIONS)))
    size = str(rng.choice(list(ds.SIZES)))
    col, row = ds.POSITIONS[position]
    centre = ((col + 0.5) / 3 + rng.uniform(-0.03, 0.03), (row + 0.5) / 3 + rng.uniform(-0.03, 0.03))
    background = str(rng.choice([c for c in ds.COLOURS if c != colour]))
    texture = str(rng.choice(ds.TEXTURES))
    caption = (f"a {size} {colour} heart {ds.PHRASE[position]} on a {background} "
               f"{'' if texture == 'plain' else texture + ' '}background")
    return {"objects": [(colour, "heart", size, centre)], "background": background, "texture": texture,
            "ground": None, "count": 1, "position": position, "caption": caption}


def dataset(count, size, seed):
    """count pictures ([-1, 1] NCHW) and captions: even indices hearts, odd ones training scenes."""
    rng = np.random.default_rng(seed)
    images, captions = [], []
    for i in range(count):
        sc = heart_scene(rng) if i % 2 == 0 else ds.scene("train", 10_000_000 + i)
        images.append(ds.render(sc, size))
        captions.append(sc["caption"])
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    return x, captions


def kohya_state(unet, text):
    """PEFT's lora_A/lora_B of both networks under kohya's names, with their alpha."""
    out = {}
    for prefix, model in (("lora_unet_", unet), ("lora_te_text_model_", text)):
        for name, module in model.named_modules():
            if not hasattr(module, "lora_A") or "default" not in module.lora_A:
                continue
            key = prefix + name.replace(".", "_")
            down, up = module.lora_A["default"].weight, module.lora_B["default"].weight
            out[key + ".lora_down.weight"] = down.detach().half().contiguous()
            out[key + ".lora_up.weight"] = up.detach().half().contiguous()
            out[key + ".alpha"] = torch.tensor(float(module.lora_alpha["default"])).half()
    return out


def train(args):
    from peft import LoraConfig, inject_adapter_in_model
    from safetensors.torch import save_file

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log_path = os.path.join(args.out, "log.jsonl")
    log = open(log_path, "a")
    parts = sm.load_checkpoint(args.base, "default")
    unet, vae, text = parts["unet"], parts["vae"], parts["text_encoder"]
    size = sm.declared_size(args.base) or 128
    start = time.time()
    images, captions = dataset(args.pictures, size, args.seed)
    with torch.no_grad():
        means, stds = [], []
        for i in range(0, len(images), 64):
            d = vae.encode(images[i:i + 64]).latent_dist
            means.append(d.mean)
            stds.append(d.std)
        means, stds = torch.cat(means), torch.cat(stds)
    tok = sm.ClipTokenizer()
    ids = tok.encode_batch(captions)
    empty = tok.encode_batch([""])[0]
    print(f"{len(images)} pictures rendered and encoded in {time.time() - start:.0f} s", flush=True)

    for p in list(unet.parameters()) + list(text.parameters()):
        p.requires_grad_(False)
    unet = inject_adapter_in_model(LoraConfig(r=args.rank, lora_alpha=args.rank, target_modules=UNET_TARGETS), unet)
    text = inject_adapter_in_model(LoraConfig(r=args.rank, lora_alpha=args.rank, target_modules=TEXT_TARGETS), text)
    params = [p for p in list(unet.parameters()) + list(text.parameters()) if p.requires_grad]
    print(f"{sum(p.numel() for p in params) / 1e6:.2f} M LoRA parameters", flush=True)
    unet.to(args.device).train()
    text.to(args.device).train()
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    ac = torch.cumprod(1.0 - betas, 0).float().to(args.device)
    g = torch.Generator().manual_seed(args.seed + 1)
    deadline = time.time() + 60 * args.budget_minutes
    step, running, start = 0, [], time.time()
    while step < args.steps and time.time() < deadline:
        idx = torch.randint(0, len(means), (args.batch,), generator=g)
        z0 = (means[idx] + stds[idx] * torch.randn(means[idx].shape, generator=g)) * sm.SCALING_FACTOR
        tokens = ids[idx].clone()
        tokens[torch.rand(args.batch, generator=g) < 0.1] = empty
        t = torch.randint(0, 1000, (args.batch,), generator=g)
        noise = torch.randn(z0.shape, generator=g)
        z0, tokens, t, noise = z0.to(args.device), tokens.to(args.device), t.to(args.device), noise.to(args.device)
        a = ac[t].view(-1, 1, 1, 1)
        zt = a.sqrt() * z0 + (1 - a).sqrt() * noise
        context = text(input_ids=tokens).last_hidden_state
        loss = F.mse_loss(unet(zt, t, encoder_hidden_states=context).sample, noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        running.append(loss.item())
        if step % args.log_every == 0:
            entry = {"step": step, "loss": round(float(np.mean(running)), 5), "seconds": round(time.time() - start)}
            print(json.dumps(entry), flush=True)
            log.write(json.dumps(entry) + "\n")
            log.flush()
            running = []
    path = os.path.join(args.out, NAME + ".safetensors")
    save_file(kohya_state(unet, text), path, metadata={
        "ss_network_module": "networks.lora", "ss_network_dim": str(args.rank), "ss_network_alpha": str(args.rank),
        "modelspec.title": "Atelier shapes: heart", "modelspec.description":
        "A LoRA for Atelier's shapes model that paints hearts: 'a large red heart in the centre on a blue background'",
        "atelier.steps": str(step), "atelier.batch": str(args.batch)})
    print(f"{path}: {step} steps in {time.time() - start:.0f} s, {os.path.getsize(path)} bytes", flush=True)


def evaluate(args):
    """Heart prompts through `atelier generate` with the LoRA at weight 1 and at 0, and ordinary
    held-out prompts at weight 1 and 0 (the base model), read back by shapes_dataset.describe()."""
    folder = os.path.dirname(os.path.abspath(args.evaluate))
    name = os.path.splitext(os.path.basename(args.evaluate))[0]
    atelier = os.environ.get("ATELIER", os.path.join(sm.REPO, "build", "bin", "atelier"))
    rng = np.random.default_rng(4242)
    results = {"heart@1": [], "heart@0": [], "others@1": [], "others@0": []}
    from PIL import Image
    with tempfile.TemporaryDirectory() as tmp:
        def paint(prompt, seed):
            out = os.path.join(tmp, "p.png")
            subprocess.run([atelier, "generate", "--model", args.base, "--lora-dir", folder, "--prompt", prompt,
                            "--steps", str(args.eval_steps), "--seed", str(seed), "--cfg", "7", "-o", out],
                           check=True, capture_output=True)
            return ds.describe(np.asarray(Image.open(out).convert("RGB")))
        for i in range(args.count):
            sc = heart_scene(rng)
            for weight in (1, 0):
                found = paint(f"<lora:{name}:{weight}> {sc['caption']}", 100 + i)
                results[f"heart@{weight}"].append(ds.score(sc, found))
            other = ds.scene("heldout", i)
            for weight in ([1, 0] if args.base_too else [1]):
                found = paint(f"<lora:{name}:{weight}> {other['caption']}", 100 + i)
                results[f"others@{weight}"].append(ds.score(other, found))
            print(i, {k: v[-1]["all"] for k, v in results.items()}, flush=True)
    summary = {k: {attr: round(float(np.mean([r[attr] for r in v])), 3) for attr in ("shape", "colour", "all")}
               for k, v in results.items() if v}
    print(json.dumps(summary, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default=BASE)
    ap.add_argument("--out", default="runs/heart")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--pictures", type=int, default=4000)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--steps", type=int, default=10 ** 9)
    ap.add_argument("--budget-minutes", type=float, default=45.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--evaluate", help="a trained LoRA file to score instead of training")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--eval-steps", type=int, default=20)
    ap.add_argument("--base-too", action="store_true", help="also paint the held-out prompts at weight 0")
    args = ap.parse_args()
    evaluate(args) if args.evaluate else train(args)


if __name__ == "__main__":
    main()
