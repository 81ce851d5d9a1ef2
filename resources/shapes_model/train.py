#!/usr/bin/env python3
"""Trains the Atelier shapes model on shapes_dataset.py's pictures, with fixed seeds.

Stage 1, the KL VAE: L1 + MSE reconstruction and a small KL term. Afterwards the latents are
rescaled exactly (quant_conv times k, post_quant_conv divided by k) so that latents times SD's
0.18215 have unit standard deviation, as the diffusion schedule expects.
Stage 2, the text encoder and UNet together on the VAE's latents: SD's epsilon loss with
scaled-linear betas (0.00085..0.012, 1000 steps), uniform timesteps, 10% empty prompts (for
classifier-free guidance), AdamW.

Each stage runs for a number of steps or until its share of --budget-minutes is spent, logs
losses to OUT/log.jsonl, and saves OUT/vae.pt and OUT/diffusion.pt (resume with --skip-vae).
The end product is OUT/atelier-shapes-sd1.safetensors (float16, CompVis names).

GPU (H100): h100.sh runs this at 128x128 in pieces of under 10 minutes (the device tool's limit),
each starting from the checkpoint the last one wrote (--init); the model card lists what was run.
CPU smoke test (what was run here, 13 minutes on a loaded 2-core machine):
  nice -n 19 python3 train.py --device cpu --config smoke --train-size 2000 --budget-minutes 13 \
      --vae-share 0.4 --batch 32 --threads 1 --out runs/cpu
"""
import argparse
import copy
import json
import math
import multiprocessing
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import shapes_dataset as ds
import shapes_model as sm


def render_one(job):
    split, i, size = job
    sc = ds.scene(split, i)
    return ds.render(sc, size), sc["caption"]


def render_split(split, count, size, workers):
    """[count, 3, size, size] float in [-1, 1] and the captions; the same for any worker count."""
    jobs = [(split, i, size) for i in range(count)]
    if workers > 1:
        with multiprocessing.Pool(workers) as pool:
            done = pool.map(render_one, jobs, chunksize=256)
    else:
        done = [render_one(j) for j in jobs]
    images = np.stack([d[0] for d in done])
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0, [d[1] for d in done]


def half(state):
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def full(state):
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


class Log:
    def __init__(self, path):
        self.file = open(path, "a")
        self.start = time.time()

    def __call__(self, **entry):
        entry["minutes"] = round((time.time() - self.start) / 60, 3)
        self.file.write(json.dumps(entry) + "\n")
        self.file.flush()
        print(entry, flush=True)


def progress(step, steps, start, deadline):
    """How far a stage is, 0..1: by steps or by time, whichever is further."""
    return max(step / max(1, steps), (time.time() - start) / max(1e-9, deadline - start))


def set_lr(opt, peak, step, done, warmup=100):
    """Linear warm-up over the first steps, then a cosine down to 5% of the peak at the end."""
    lr = peak * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, done))))
    for group in opt.param_groups:
        group["lr"] = lr
    return lr


class Ema:
    """An exponential moving average of a module's weights (what is saved; it samples better)."""

    def __init__(self, module, decay):
        self.module = copy.deepcopy(module).eval().requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, module, step):
        d = min(self.decay, (1 + step) / (10 + step))
        torch._foreach_lerp_(list(self.module.parameters()), list(p.detach() for p in module.parameters()), 1 - d)


def foreground_weight(x, extra):
    """1 on the background, 1 + extra where a pixel is far (0.35 in [-1, 1], about 45 of 255) from
    the median of the picture's border: the objects, a few percent of the pixels, would otherwise
    weigh too little in the loss for a small VAE to learn their outlines."""
    border = torch.cat([x[:, :, 0], x[:, :, -1], x[:, :, :, 0], x[:, :, :, -1]], dim=2)  # [B, 3, 4 side]
    background = border.median(dim=2).values[:, :, None, None]
    far = ((x - background) ** 2).sum(1, keepdim=True).sqrt() > 0.35
    return 1.0 + extra * far.float()


def train_vae(vae, images, args, deadline, log):
    device = args.device
    vae.to(device).train()
    # --decoder-only keeps the encoder (so the latents, and a diffusion model trained on them, stay
    # valid) and sharpens what the decoder paints from them.
    trained = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters()) if args.decoder_only \
        else list(vae.parameters())
    opt = torch.optim.AdamW(trained, lr=args.vae_lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(args.seed + 1)
    step, start = 0, time.time()
    while step < args.vae_steps and time.time() < deadline:
        lr = set_lr(opt, args.vae_lr, step, progress(step, args.vae_steps, start, deadline))
        idx = torch.randint(0, len(images), (args.vae_batch or args.batch,), generator=g)
        x = images[idx].to(device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
            with torch.set_grad_enabled(not args.decoder_only):
                posterior = vae.encode(x).latent_dist
            z = posterior.mean + posterior.std * torch.randn(posterior.mean.shape, generator=g).to(device)
            recon = vae.decode(z).sample.float()
        kl = posterior.kl().mean() / x[0].numel()
        weight = foreground_weight(x, args.fg_weight)
        error = (recon - x).abs()
        loss = ((error + error ** 2) * weight).mean() / weight.mean() + args.kl_weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        opt.step()
        step += 1
        if step % args.log_every == 0:
            log(stage="vae", step=step, loss=round(loss.item(), 5), mse=round(F.mse_loss(recon, x).item(), 5),
                kl=round(kl.item(), 5), lr=round(lr, 7))
    return step


@torch.no_grad()
def encode_all(vae, images, args):
    vae.eval()
    means, stds = [], []
    for i in range(0, len(images), 256):
        d = vae.encode(images[i:i + 256].to(args.device)).latent_dist
        means.append(d.mean.float().cpu())
        stds.append(d.std.float().cpu())
    return torch.cat(means), torch.cat(stds)


@torch.no_grad()
def rescale_latents(vae, std):
    """Exactly re-parameterise the VAE so latents are k times larger: k = 1 / (0.18215 * std)."""
    k = 1.0 / (sm.SCALING_FACTOR * std)
    c = vae.quant_conv.out_channels // 2
    vae.quant_conv.weight[:c] *= k
    vae.quant_conv.bias[:c] *= k
    vae.quant_conv.bias[c:] += 2.0 * float(np.log(k))  # log variance
    vae.post_quant_conv.weight /= k
    return k


def alphas_cumprod():
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, 0).float()


def train_diffusion(unet, text_encoder, means, stds, ids, empty, args, deadline, log):
    device = args.device
    unet.to(device).train()
    text_encoder.to(device).train()
    params = list(unet.parameters()) + list(text_encoder.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    ac = alphas_cumprod().to(device)
    g = torch.Generator().manual_seed(args.seed + 2)
    emas = [Ema(unet, args.ema), Ema(text_encoder, args.ema)]
    step, running, start = 0, [], time.time()
    while step < args.steps and time.time() < deadline:
        lr = set_lr(opt, args.lr, step, progress(step, args.steps, start, deadline))
        idx = torch.randint(0, len(means), (args.batch,), generator=g)
        z0 = (means[idx] + stds[idx] * torch.randn(means[idx].shape, generator=g)) * sm.SCALING_FACTOR
        tokens = ids[idx].clone()
        tokens[torch.rand(args.batch, generator=g) < 0.1] = empty  # classifier-free guidance dropout
        t = torch.randint(0, 1000, (args.batch,), generator=g)
        noise = torch.randn(z0.shape, generator=g)
        z0, tokens, t, noise = z0.to(device), tokens.to(device), t.to(device), noise.to(device)
        a = ac[t].view(-1, 1, 1, 1)
        zt = a.sqrt() * z0 + (1 - a).sqrt() * noise
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
            context = text_encoder(input_ids=tokens).last_hidden_state
            eps = unet(zt, t, encoder_hidden_states=context).sample.float()
        loss = F.mse_loss(eps, noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        emas[0].update(unet, step)
        emas[1].update(text_encoder, step)
        step += 1
        running.append(loss.item())
        if step % args.log_every == 0:
            log(stage="diffusion", step=step, loss=round(float(np.mean(running)), 5), lr=round(lr, 7))
            running = []
    if args.ema and step:
        unet.load_state_dict(emas[0].module.state_dict())
        text_encoder.load_state_dict(emas[1].module.state_dict())
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=("cuda", "cpu"))
    ap.add_argument("--config", default="default", choices=sorted(sm.CONFIGS))
    ap.add_argument("--size", type=int, default=64, help="picture side in pixels (latents are size / 8)")
    ap.add_argument("--train-size", type=int, default=50000, help="training pictures rendered up front")
    ap.add_argument("--budget-minutes", type=float, default=25.0)
    ap.add_argument("--vae-share", type=float, default=0.3, help="share of the budget for stage 1")
    ap.add_argument("--vae-steps", type=int, default=10 ** 9)
    ap.add_argument("--steps", type=int, default=10 ** 9, help="stage 2 steps at most")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--vae-batch", type=int, default=0, help="stage 1 batch (0: --batch)")
    ap.add_argument("--ema", type=float, default=0.999, help="EMA decay of the saved stage 2 weights (0: none)")
    ap.add_argument("--vae-lr", type=float, default=5e-4)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--kl-weight", type=float, default=1e-4, help="per-pixel-normalised KL weight")
    ap.add_argument("--fg-weight", type=float, default=9.0, help="extra reconstruction weight of object pixels")
    ap.add_argument("--vae-resume", action="store_true", help="start stage 1 from OUT/vae.pt")
    ap.add_argument("--decoder-only", action="store_true", help="stage 1 trains only the decoder (implies --vae-resume)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--skip-vae", action="store_true", help="reuse OUT/vae.pt")
    ap.add_argument("--resume", action="store_true", help="start stage 2 from OUT/diffusion.pt (new optimizer)")
    ap.add_argument("--init", help="start from this checkpoint's three parts; stage 1 runs only with --decoder-only")
    ap.add_argument("--workers", type=int, default=1, help="processes rendering the pictures")
    ap.add_argument("--out", default="runs/default")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log = Log(os.path.join(args.out, "log.jsonl"))
    log(event="start", **vars(args))
    images, captions = render_split("train", args.train_size, args.size, args.workers)
    log(event="rendered", pictures=len(images))
    start = time.time()  # the budget counts training only
    if args.device == "cuda":
        images = images.to(args.device)
    parts = sm.load_checkpoint(args.init, args.config) if args.init else sm.build(args.config, args.seed)
    vae_path = os.path.join(args.out, "vae.pt")
    if args.init:
        log(event="initialised", checkpoint=args.init)
    elif args.skip_vae or args.vae_resume or args.decoder_only:
        parts["vae"].load_state_dict(full(torch.load(vae_path)))
    if args.decoder_only or not (args.skip_vae or args.init):
        deadline = start + 60 * args.budget_minutes * args.vae_share
        steps = train_vae(parts["vae"], images, args, deadline, log)
        parts["vae"].float().cpu()
        k = 1.0
        if not args.decoder_only:  # the decoder alone leaves the latents as they were
            mean, _ = encode_all(parts["vae"].to(args.device), images, args)
            k = rescale_latents(parts["vae"].cpu(), float(mean.std()))
            log(event="latents rescaled", latent_std=float(mean.std()), rescale=k)
        parts["vae"].cpu()
        torch.save(half(parts["vae"].state_dict()), vae_path)
        log(event="vae done", steps=steps, rescale=k)
    parts["vae"].to(args.device)
    if args.steps:
        means, stds = encode_all(parts["vae"], images, args)
        log(event="latents", std_scaled=float(means.std() * sm.SCALING_FACTOR), shape=list(means.shape))
    diffusion_path = os.path.join(args.out, "diffusion.pt")
    if args.resume:
        state = torch.load(diffusion_path)
        parts["unet"].load_state_dict(full(state["unet"]))
        parts["text_encoder"].load_state_dict(full(state["text_encoder"]))
        log(event="resumed", path=diffusion_path)
    steps = 0
    if args.steps:
        tok = sm.ClipTokenizer()
        ids = tok.encode_batch(captions)
        empty = tok.encode_batch([""])[0]
        steps = train_diffusion(parts["unet"], parts["text_encoder"], means, stds, ids, empty, args,
                                start + 60 * args.budget_minutes, log)
    for key in ("unet", "vae", "text_encoder"):
        parts[key].float().cpu().eval()
    torch.save({"unet": half(parts["unet"].state_dict()), "text_encoder": half(parts["text_encoder"].state_dict())},
               diffusion_path)
    path = os.path.join(args.out, "atelier-shapes-sd1.safetensors")
    size = sm.save_checkpoint(parts, path, args.size)
    log(event="done", diffusion_steps=steps, checkpoint=path, bytes=size,
        minutes_total=round((time.time() - start) / 60, 2))


if __name__ == "__main__":
    main()
