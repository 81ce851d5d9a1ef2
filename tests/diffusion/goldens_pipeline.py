#!/usr/bin/env python3
"""Reference for whole sampling runs on the golden checkpoints (golden_models.py): the prompt's and
the negative prompt's token ids through transformers' CLIPTextModel, seeded torch noise, 4 Euler
steps with classifier-free guidance through diffusers' UNet, then diffusers' VAE decode.

The sampler is k-diffusion's sample_euler over its "Uniform" discretisation, as AUTOMATIC1111 runs
it (and tests/samplers checks Atelier's samplers against k-diffusion itself): sigmas =
t_to_sigma(linspace(999, 0, steps)) + [0]; at each sigma the UNet sees x / sqrt(sigma^2 + 1) at
timestep sigma_to_t(sigma), D = x - sigma * eps (SD1) or D = x / (sigma^2 + 1) - v * sigma /
sqrt(sigma^2 + 1) (SD2, v-prediction), guidance mixes uncond + scale * (cond - uncond), and
x += (x - D) / sigma * (sigma_next - sigma).

Usage: python3 tests/diffusion/goldens_pipeline.py   -> tests/diffusion/goldens/pipeline_{sd1,sd2}.safetensors
"""
import os

import numpy as np
import torch
from safetensors.torch import save_file

import golden_models as gm

HERE = os.path.dirname(os.path.abspath(__file__))
LATENT = 8      # latent pixels per side: a 64 x 64 picture
STEPS = 4
CASES = {
    # family: (bos, eos, pad, prompt ids, negative ids, cfg scale, seed)
    "sd1": (49406, 49407, 49407, [320, 736, 4379, 530, 1929, 3366], [], 7.0, 42),
    "sd2": (254, 255, 0, [17, 99, 3, 200, 45], [7, 8], 5.0, 1234),
}


def chunk(ids, bos, eos, pad):
    tokens = [bos] + ids + [eos]
    return tokens + [pad] * (77 - len(tokens))


def schedule():
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
    sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
    return sigmas.to(torch.float32), sigmas.log().to(torch.float32)


def t_to_sigma(t, log_sigmas):
    t = t.float()
    low, high = t.floor().long(), t.ceil().long()
    w = t.frac()
    return ((1 - w) * log_sigmas[low] + w * log_sigmas[high]).exp()


def sigma_to_t(sigma, log_sigmas):
    log_sigma = sigma.log()
    dists = log_sigma - log_sigmas[:, None]
    low = dists.ge(0).cumsum(dim=0).argmax(dim=0).clamp(max=log_sigmas.shape[0] - 2)
    high = low + 1
    lo, hi = log_sigmas[low], log_sigmas[high]
    w = ((lo - log_sigma) / (lo - hi)).clamp(0, 1)
    return ((1 - w) * low + w * high).view(sigma.shape)


def run(family):
    bos, eos, pad, prompt, negative, cfg, seed = CASES[family]
    parts = gm.build(family)
    ids = torch.tensor([chunk(negative, bos, eos, pad), chunk(prompt, bos, eos, pad)], dtype=torch.long)
    with torch.no_grad():
        context = parts["text_encoder"](input_ids=ids).last_hidden_state  # [uncond, cond]
    sigmas_train, log_sigmas = schedule()
    sigmas = torch.cat([t_to_sigma(torch.linspace(999, 0, STEPS), log_sigmas), torch.zeros(1)]).double()
    noise = torch.randn(4 * LATENT * LATENT, generator=torch.Generator().manual_seed(seed)).view(1, 4, LATENT, LATENT)
    x = noise.double() * sigmas[0]
    v_prediction = family == "sd2"
    with torch.no_grad():
        for i in range(STEPS):
            sigma = sigmas[i]
            c_in = 1 / (sigma ** 2 + 1) ** 0.5
            t = sigma_to_t(sigma.float().view(1), log_sigmas)
            out = parts["unet"]((x * c_in).float().repeat(2, 1, 1, 1), t.repeat(2), encoder_hidden_states=context).sample
            prediction = (out[0:1] + cfg * (out[1:2] - out[0:1])).double()
            if v_prediction:
                denoised = x / (sigma ** 2 + 1) - prediction * sigma / (sigma ** 2 + 1) ** 0.5
            else:
                denoised = x - prediction * sigma
            x = x + (x - denoised) / sigma * (sigmas[i + 1] - sigma)
        image = parts["vae"].decode(x.float() / parts["vae"].config.scaling_factor).sample
    save_file({
        "cond_ids": ids[1].to(torch.int32).contiguous(),
        "uncond_ids": ids[0].to(torch.int32).contiguous(),
        "cfg_scale": torch.tensor([cfg], dtype=torch.float32),
        "seed": torch.tensor([seed], dtype=torch.int64),
        "sigmas": sigmas.float().contiguous(),
        "latent": x.float().contiguous(),                                   # [1, 4, 8, 8] NCHW
        "image": image[0].permute(1, 2, 0).float().contiguous(),           # [64, 64, 3] HWC in [-1, 1]
    }, os.path.join(HERE, "goldens", f"pipeline_{family}.safetensors"))
    print(family, "latent |x| max", float(x.abs().max()), "image range", float(image.min()), float(image.max()))


if __name__ == "__main__":
    os.makedirs(os.path.join(HERE, "goldens"), exist_ok=True)
    for family in gm.FAMILIES:
        run(family)
