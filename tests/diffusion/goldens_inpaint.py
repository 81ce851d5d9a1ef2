#!/usr/bin/env python3
"""Reference for the dedicated inpainting model's UNet input on the golden 9-channel checkpoint
(golden_models.py "sd1_inpaint"): 2 guided Euler steps (k-diffusion's sample_euler, as
goldens_pipeline.py) where every UNet evaluation sees diffusers StableDiffusionInpaintPipeline's
torch.cat([scaled latent, mask, masked-picture latent], dim=1), the mask and the masked-picture
latent given here as seeded random tensors [1, 1, 8, 8] and [1, 4, 8, 8].

Usage: python3 tests/diffusion/goldens_inpaint.py   -> tests/diffusion/goldens/inpaint_sd1_inpaint.safetensors
"""
import os

import torch
from safetensors.torch import save_file

import golden_models as gm
from goldens_pipeline import CASES, LATENT, chunk, schedule, sigma_to_t, t_to_sigma

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 2


def run():
    bos, eos, pad, prompt, negative, cfg, seed = CASES["sd1"]
    parts = gm.build("sd1_inpaint")
    ids = torch.tensor([chunk(negative, bos, eos, pad), chunk(prompt, bos, eos, pad)], dtype=torch.long)
    extras = torch.Generator().manual_seed(77)
    mask = (torch.rand(1, 1, LATENT, LATENT, generator=extras) > 0.5).float()
    masked = torch.randn(1, 4, LATENT, LATENT, generator=extras)
    with torch.no_grad():
        context = parts["text_encoder"](input_ids=ids).last_hidden_state  # [uncond, cond]
    _, log_sigmas = schedule()
    sigmas = torch.cat([t_to_sigma(torch.linspace(999, 0, STEPS), log_sigmas), torch.zeros(1)]).double()
    noise = torch.randn(4 * LATENT * LATENT, generator=torch.Generator().manual_seed(seed)).view(1, 4, LATENT, LATENT)
    x = noise.double() * sigmas[0]
    with torch.no_grad():
        for i in range(STEPS):
            sigma = sigmas[i]
            c_in = 1 / (sigma ** 2 + 1) ** 0.5
            t = sigma_to_t(sigma.float().view(1), log_sigmas)
            model_input = torch.cat([(x * c_in).float(), mask, masked], dim=1).repeat(2, 1, 1, 1)
            out = parts["unet"](model_input, t.repeat(2), encoder_hidden_states=context).sample
            prediction = (out[0:1] + cfg * (out[1:2] - out[0:1])).double()
            denoised = x - prediction * sigma
            x = x + (x - denoised) / sigma * (sigmas[i + 1] - sigma)
    save_file({
        "cond_ids": ids[1].to(torch.int32).contiguous(),
        "uncond_ids": ids[0].to(torch.int32).contiguous(),
        "cfg_scale": torch.tensor([cfg], dtype=torch.float32),
        "seed": torch.tensor([seed], dtype=torch.int64),
        "mask": mask[0].contiguous(),                 # [1, 8, 8]
        "masked_latent": masked[0].contiguous(),      # [4, 8, 8]
        "latent": x.float().contiguous(),             # [1, 4, 8, 8]
    }, os.path.join(HERE, "goldens", "inpaint_sd1_inpaint.safetensors"))
    print("latent |x| max", float(x.abs().max()))


if __name__ == "__main__":
    os.makedirs(os.path.join(HERE, "goldens"), exist_ok=True)
    run()
