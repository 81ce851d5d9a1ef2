#!/usr/bin/env python3
"""Scores the shapes model on held-out prompts and checks that Atelier's Vulkan engine and the
PyTorch model paint the same picture.

Accuracy: for the first N scenes of shapes_dataset's "heldout" split (colour, shape, position
triples never seen in training), paint the caption with `atelier generate` (or, with --engine
torch, this file's PyTorch sampler) and read the picture back with shapes_dataset.describe();
a picture is right when colour, shape and position of its main object all match.

Parity: one prompt and seed through both engines with the same initial latent (Atelier's noise is
torch.randn(4*h*w, generator=torch.Generator().manual_seed(seed)) viewed [1, 4, h, w]), k-diffusion's
Euler sampler over the "Uniform" discretisation with classifier-free guidance (as
tests/diffusion/goldens_pipeline.py), then the VAE decode; reports the mean and largest per-pixel
difference in 0..255.

Inpainting (--inpaint N): the model has no 9-channel variant; regular models inpaint by blending
latents through the mask. For each of the first N held-out scenes, the picture is drawn with another
colour and shape in the object's place, a square mask covers that object, and `atelier inpaint`
(strength 1) repaints it from the held-out caption; right when describe() reads the caption's
colour, shape and position; it also counts the pictures whose every pixel beyond the feather's
reach (3 sigma) around the mask is unchanged.

Pictures are painted at the model's modelspec.resolution (128x128 for the shipped model) unless
--size says otherwise.

Usage:
  python3 evaluate.py --model atelier-shapes-sd1.safetensors --count 30 --inpaint 10
  python3 evaluate.py --model M --engine torch --device cuda --count 100 --vae-check 100 --sheet sheet.png
  python3 evaluate.py --model runs/cpu/atelier-shapes-sd1.safetensors --config smoke --parity-only
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import torch
from PIL import Image

import shapes_dataset as ds
import shapes_model as sm

ATELIER_BIN = []
ATELIER = os.environ.get("ATELIER", os.path.join(sm.REPO, "build", "bin", "atelier"))


def schedule():
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    ac = torch.cumprod(1.0 - betas, dim=0)
    return (((1 - ac) / ac) ** 0.5).log().float()


def t_to_sigma(t, log_sigmas):
    low, high, w = t.floor().long(), t.ceil().long(), t.frac()
    return ((1 - w) * log_sigmas[low] + w * log_sigmas[high]).exp()


def sigma_to_t(sigma, log_sigmas):
    dists = sigma.log() - log_sigmas[:, None]
    low = dists.ge(0).cumsum(dim=0).argmax(dim=0).clamp(max=log_sigmas.shape[0] - 2)
    lo, hi = log_sigmas[low], log_sigmas[low + 1]
    w = ((lo - sigma.log()) / (lo - hi)).clamp(0, 1)
    return ((1 - w) * low + w * (low + 1)).view(sigma.shape)


def noise(seed, width, height):
    h, w = height // 8, width // 8
    return torch.randn(4 * h * w, generator=torch.Generator().manual_seed(seed)).view(1, 4, h, w)


def model_device(parts):
    return next(parts["unet"].parameters()).device


@torch.no_grad()
def paint_torch(parts, tok, prompt, seed, steps, cfg, width=64, height=64):
    """k-diffusion Euler ("Uniform" sigmas) with CFG, then the VAE: uint8 HxWx3. The noise and the
    sampler's arithmetic stay on the CPU in float64; the networks run where the parts are."""
    device = model_device(parts)
    ids = torch.cat([tok.encode_batch([""]), tok.encode_batch([prompt])]).to(device)
    context = parts["text_encoder"](input_ids=ids).last_hidden_state
    log_sigmas = schedule()
    sigmas = torch.cat([t_to_sigma(torch.linspace(999, 0, steps), log_sigmas), torch.zeros(1)]).double()
    x = noise(seed, width, height).double() * sigmas[0]
    for i in range(steps):
        sigma = sigmas[i]
        t = sigma_to_t(sigma.float().view(1), log_sigmas)
        out = parts["unet"]((x / (sigma ** 2 + 1) ** 0.5).float().repeat(2, 1, 1, 1).to(device), t.repeat(2).to(device),
                            encoder_hidden_states=context).sample.cpu()
        eps = (out[0:1] + cfg * (out[1:2] - out[0:1])).double()
        x = x + eps * (sigmas[i + 1] - sigma)  # (x - denoised) / sigma = eps
    image = parts["vae"].decode((x.float() / sm.SCALING_FACTOR).to(device)).sample[0].cpu()
    return ((image.permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5).round().byte().numpy()


def paint_atelier(model, prompt, seed, steps, cfg, width=64, height=64, precision="f32"):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.png")
        cmd = [ATELIER_BIN[0], "generate", "--model", model, "--prompt", prompt, "--steps", str(steps),
               "--cfg", str(cfg), "--sampler", "Euler", "--scheduler", "Uniform", "--seed", str(seed),
               "--width", str(width), "--height", str(height), "--precision", precision, "-o", out]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        return np.asarray(Image.open(out).convert("RGB"))


def save_sheet(tiles, cols, path):
    """The pictures (equal-sized HxWx3 arrays) as one PNG, cols to a row, the last row padded black."""
    tiles = tiles + [np.zeros_like(tiles[0])] * (-len(tiles) % cols)
    Image.fromarray(np.concatenate([np.concatenate(tiles[r:r + cols], axis=1)
                                    for r in range(0, len(tiles), cols)])).save(path)


def replaced_scene(sc):
    """The scene with its object swapped for another colour (not the background's) and shape."""
    colour, shape, size, centre = sc["objects"][0]
    names = list(ds.COLOURS)
    other = next(c for c in names[names.index(colour) + 3:] + names if c not in (colour, sc["background"]))
    other_shape = ds.SHAPES[(ds.SHAPES.index(shape) + 2) % len(ds.SHAPES)]
    return dict(sc, objects=[(other, other_shape, size, centre)])


def object_mask(sc, size=64, margin=1.35):
    """uint8 HxW: 255 on a square around the object (its radius times margin), 0 elsewhere."""
    _, _, _, (x, y) = sc["objects"][0]
    r = ds.SIZES["large"] * size * margin
    mask = np.zeros((size, size), np.uint8)
    y0, y1 = int(max(0, y * size - r)), int(min(size, y * size + r + 1))
    x0, x1 = int(max(0, x * size - r)), int(min(size, x * size + r + 1))
    mask[y0:y1, x0:x1] = 255
    return mask


def inpaint_atelier(model, picture, mask, prompt, seed, steps, cfg, feather, precision="f32"):
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, n) for n in ("in.png", "mask.png", "out.png")]
        Image.fromarray(picture).save(paths[0])
        Image.fromarray(mask).save(paths[1])
        cmd = [ATELIER_BIN[0], "inpaint", "--model", model, "--image", paths[0], "--mask", paths[1],
               "--prompt", prompt, "--strength", "1", "--feather", str(feather), "--steps", str(steps),
               "--cfg", str(cfg), "--sampler", "Euler", "--scheduler", "Uniform", "--seed", str(seed),
               "--precision", precision, "-o", paths[2]]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        return np.asarray(Image.open(paths[2]).convert("RGB"))


def inpaint_accuracy(args):
    totals, tiles, kept = {}, [], []
    for i in range(args.inpaint):
        sc = ds.scene("heldout", i)
        before = ds.render(replaced_scene(sc), args.size)
        mask = object_mask(sc, args.size)
        after = inpaint_atelier(args.model, before, mask, sc["caption"], args.seed + i, args.steps, args.cfg,
                                args.feather, args.precision)
        # Beyond the feather's reach (3 sigma of its Gaussian) around the mask, Atelier promises the
        # original bytes.
        ys, xs = np.nonzero(mask)
        outside = np.ones(mask.shape, bool)
        f = 3 * args.feather + 1
        outside[max(0, ys.min() - f):ys.max() + f + 1, max(0, xs.min() - f):xs.max() + f + 1] = False
        kept.append(bool((after[outside] == before[outside]).all()))
        s = ds.score(sc, ds.describe(after))
        for k, v in s.items():
            totals.setdefault(k, []).append(v)
        tiles.append(np.concatenate([before, np.repeat(mask[..., None], 3, axis=2), after], axis=1))
        print(f"{i:4d} {'ok ' if s['all'] else 'bad'} kept {kept[-1]} {sc['caption']!r}", flush=True)
    result = {k: float(np.mean(v)) for k, v in totals.items()}
    result["outside_unchanged"] = float(np.mean(kept))
    print("inpaint accuracy", json.dumps({k: round(v, 4) for k, v in result.items()}), f"over {args.inpaint} prompts")
    if args.inpaint_sheet:
        save_sheet(tiles, 4, args.inpaint_sheet)
    return result


def accuracy(args, parts, tok):
    totals, tiles, rows = {}, [], []
    for i in range(args.count):
        sc = ds.scene("heldout", i)
        seed = args.seed + i
        if args.engine == "atelier":
            image = paint_atelier(args.model, sc["caption"], seed, args.steps, args.cfg, args.size, args.size,
                                  args.precision)
        else:
            image = paint_torch(parts, tok, sc["caption"], seed, args.steps, args.cfg, args.size, args.size)
        found = ds.describe(image)
        s = ds.score(sc, found)
        for k, v in s.items():
            totals.setdefault(k, []).append(v)
        tiles.append(image)
        rows.append({"prompt": sc["caption"], "seed": seed, "found": found, "right": s})
        print(f"{i:4d} {'ok ' if s['all'] else 'bad'} {sc['caption']!r} -> "
              f"{found['colour']} {found['shape']} {found['position']}", flush=True)
    result = {k: float(np.mean(v)) for k, v in totals.items()}
    print("accuracy", json.dumps({k: round(v, 4) for k, v in result.items()}), f"over {args.count} prompts")
    if args.sheet:
        save_sheet(tiles, 10, args.sheet)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"accuracy": result, "engine": args.engine, "steps": args.steps, "cfg": args.cfg,
                       "pictures": rows}, f, indent=1)
    return result


@torch.no_grad()
def vae_ceiling(args, parts):
    """describe() on VAE round trips of held-out pictures: the most the diffusion model can reach."""
    totals = {}
    for i in range(args.vae_check):
        sc = ds.scene("heldout", i)
        x = torch.from_numpy(ds.render(sc, args.size)).permute(2, 0, 1)[None].float() / 127.5 - 1
        x = x.to(model_device(parts))
        y = parts["vae"].decode(parts["vae"].encode(x).latent_dist.mean).sample[0].cpu()
        image = ((y.permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5).round().byte().numpy()
        for k, v in ds.score(sc, ds.describe(image)).items():
            totals.setdefault(k, []).append(v)
    print("vae round trip", json.dumps({k: round(float(np.mean(v)), 4) for k, v in totals.items()}),
          f"over {args.vae_check} held-out pictures")


def parity(args, parts, tok):
    prompt = ds.scene("heldout", 0)["caption"]
    start = time.time()
    ours = paint_torch(parts, tok, prompt, args.seed, args.steps, args.cfg, args.size, args.size).astype(np.int32)
    theirs = paint_atelier(args.model, prompt, args.seed, args.steps, args.cfg, args.size, args.size,
                           "f32").astype(np.int32)
    diff = np.abs(ours - theirs)
    print(f"parity {prompt!r} seed {args.seed}: mean |torch - atelier| = {diff.mean():.3f}, "
          f"max = {diff.max()} (0..255), {time.time() - start:.1f} s")
    return float(diff.mean()), int(diff.max())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--config", default="default", choices=sorted(sm.CONFIGS))
    ap.add_argument("--engine", default="atelier", choices=("atelier", "torch"))
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--cfg", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--precision", default="f32", choices=("f16", "f32"))
    ap.add_argument("--sheet", help="write the painted pictures here as one PNG")
    ap.add_argument("--json", help="write every prompt, answer and score here")
    ap.add_argument("--vae-check", type=int, default=0, help="also score N VAE round trips")
    ap.add_argument("--inpaint", type=int, default=0, help="also score N inpaintings with atelier inpaint")
    ap.add_argument("--feather", type=int, default=4, help="--feather for the inpaint check")
    ap.add_argument("--inpaint-sheet", help="write before | mask | after of each inpainting here")
    ap.add_argument("--parity-only", action="store_true")
    ap.add_argument("--no-parity", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--size", type=int, default=0, help="picture side (0: the model's modelspec.resolution)")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="where --engine torch runs")
    ap.add_argument("--atelier", default=ATELIER, help="the atelier binary (default: $ATELIER or build/bin/atelier)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ATELIER_BIN.append(args.atelier)
    args.size = args.size or sm.declared_size(args.model)
    parts = sm.load_checkpoint(args.model, args.config)
    for key in ("unet", "vae", "text_encoder"):
        parts[key].to(args.device)
    tok = sm.ClipTokenizer()
    if args.vae_check:
        vae_ceiling(args, parts)
    if not args.parity_only and args.count:
        accuracy(args, parts, tok)
    if args.inpaint:
        inpaint_accuracy(args)
    if not args.no_parity:
        parity(args, parts, tok)


if __name__ == "__main__":
    main()
