#!/usr/bin/env python3
"""Golden data for tests/samplers: PyTorch's CPU randn, the SD noise schedule, and every sampler run by
its reference implementation on a small latent with a fake model.

    pip install torch diffusers && pip install --no-deps k-diffusion==0.1.1.post1
    python3 tests/samplers/make_golden.py          # writes tests/samplers/golden/*.json

References (the versions used are written into each file):
  - noise: torch.randn(shape, generator=torch.Generator().manual_seed(seed)), float32. torch picks its
    CPU kernel by CPU capability: x86-64 with AVX2 (or AVX-512) runs the avx_mathfun.h kernel, other
    CPUs the generic one; ATEN_CPU_CAPABILITY=default forces the generic one (run in a subprocess).
  - k-samplers (Euler, Euler a, Heun, DPM++ 2M): k_diffusion.sampling.sample_* driven through
    k_diffusion.external.CompVisDenoiser / CompVisVDenoiser, as AUTOMATIC1111 drives them; A1111's own
    img2img step rule (sd_samplers_common.setup_img2img_steps) is transcribed below.
  - DDIM and LCM: diffusers DDIMScheduler and LCMScheduler with Stable Diffusion's configuration;
    img2img as StableDiffusionImg2ImgPipeline.get_timesteps and LCMScheduler(strength=...) do.
Every reference runs in float64 (torch default dtype float64; the schedulers' alphas_cumprod replaced
by CompVis ldm's float64 values) from float32 noise, so the C++ float32 samplers are compared with the
exact trajectory and their own rounding is all that differs.

k_diffusion/__init__.py imports its training stack (torchvision, wandb, ...); only sampling.py and
external.py are loaded here, with stand-ins for the modules that the samplers used here never touch.
"""

import hashlib
import importlib.util
import json
import math
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
SHAPE = (1, 4, 5, 6)  # 120 values: not a multiple of 16, so randn's tail path runs too


# ---------------------------------------------------------------------------------------------- noise

NOISE_CASES = [  # (seed, shape)
    (42, (1, 4, 64, 64)), (0, (1, 4, 64, 64)), (965400086, (1, 4, 64, 64)), (4294967295, (1, 4, 64, 64)),
    ((1 << 32) + 7, (1, 4, 64, 64)), (1234, (4, 96, 64)), (7, (1, 4, 128, 96)), (31337, (2, 4, 5, 6)),
    (42, (16,)), (42, (17,)), (99, (31,)), (5, (33,)), (42, (15,)), (42, (5,)), (8, (1,)), (123, (2, 3)),
]
CONTINUATION_CASES = [  # successive draws on one generator: (seed, [counts])
    (42, [16384, 16384, 16384]), (3, [5, 3, 1, 7]), (11, [7, 40, 3]), (77, [120, 120, 120, 120]),
]


def tensor_digest(x):
    return hashlib.sha256(x.contiguous().numpy().astype("<f4").tobytes()).hexdigest()


def noise_record(x):
    flat = x.flatten()
    return {
        "count": flat.numel(),
        "first": [float(v) for v in flat[:4]],
        "last": [float(v) for v in flat[-4:]],
        "sum": float(flat.double().sum()),
        "sha256": tensor_digest(flat),
    }


def noise_cases():
    out = []
    for seed, shape in NOISE_CASES:
        x = torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float32)
        out.append({"seed": seed, "shape": list(shape), **noise_record(x)})
    for seed, counts in CONTINUATION_CASES:
        g = torch.Generator().manual_seed(seed)
        draws = [noise_record(torch.randn((n,), generator=g, dtype=torch.float32)) for n in counts]
        out.append({"seed": seed, "draws": draws})
    return out


def noise_golden():
    if os.environ.get("ATELIER_NOISE_ONLY"):
        print(json.dumps(noise_cases()))
        return None
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default", ATELIER_NOISE_ONLY="1")
    generic = json.loads(subprocess.run([sys.executable, __file__], env=env, check=True, capture_output=True,
                                        text=True).stdout)
    capability = torch.backends.cpu.get_cpu_capability()
    if capability not in ("AVX2", "AVX512"):
        sys.exit(f"run this on an x86-64 CPU with AVX2: torch uses its {capability} kernel here")
    return {
        "torch": torch.__version__,
        "note": "avx2: torch's kernel on x86-64 with AVX2 or AVX-512 (here " + capability + "); "
                "generic: ATEN_CPU_CAPABILITY=default (libm logf/cosf/sinf, " + os.confstr("CS_GNU_LIBC_VERSION") + ")",
        "avx2": noise_cases(),
        "generic": generic,
    }


# ------------------------------------------------------------------------------------------- schedule

def compvis_alphas_cumprod():
    """CompVis ldm's register_schedule: float64 linspace of sqrt(beta), squared, cumprod."""
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


_K_DIFFUSION = []


def load_k_diffusion():
    if _K_DIFFUSION:
        return _K_DIFFUSION
    spec = importlib.util.find_spec("k_diffusion")
    if spec is None:
        sys.exit("pip install --no-deps k-diffusion==0.1.1.post1")
    root = Path(spec.submodule_search_locations[0])
    # Stand-ins for modules only other samplers use (the ODE/SDE solvers, LMS's integrator).
    for name in ("scipy", "scipy.integrate", "torchdiffeq", "torchsde"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["scipy"].integrate = sys.modules["scipy.integrate"]
    sys.modules["torchdiffeq"].odeint = None
    package = types.ModuleType("k_diffusion")
    package.__path__ = [str(root)]
    sys.modules["k_diffusion"] = package
    utils = types.ModuleType("k_diffusion.utils")

    def append_dims(x, target_dims):  # k_diffusion.utils.append_dims
        return x[(...,) + (None,) * (target_dims - x.ndim)]

    utils.append_dims = append_dims
    sys.modules["k_diffusion.utils"] = package.utils = utils
    modules = {}
    for name in ("sampling", "external"):
        module_spec = importlib.util.spec_from_file_location(f"k_diffusion.{name}", root / f"{name}.py")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[f"k_diffusion.{name}"] = module
        setattr(package, name, module)
        module_spec.loader.exec_module(module)
        modules[name] = module
    _K_DIFFUSION.extend([modules["sampling"], modules["external"]])
    return _K_DIFFUSION


# ----------------------------------------------------------------------------------------- fake model

N = math.prod(SHAPE)
INDEX = torch.arange(N, dtype=torch.float64).reshape(SHAPE)


def fake_model(x_in, t, cond):
    """eps or v for the variance-preserving input x_in at timestep t; the C++ test has the same formula."""
    t = float(t)
    gain = 0.7 + 0.2 * math.cos(t / 250.0)
    if cond:
        return gain * x_in + 0.3 * torch.sin(0.37 * INDEX + t / 170.0)
    return (gain - 0.1) * x_in + 0.25 * torch.cos(0.23 * INDEX - t / 330.0)


def guided(x_in, t, scale):
    cond = fake_model(x_in, t, True)
    if scale == 1.0:
        return cond
    uncond = fake_model(x_in, t, False)
    return uncond + scale * (cond - uncond)


def encoded_latent():
    return 0.8 * torch.sin(0.5 * INDEX) + 0.1


# ------------------------------------------------------------------------------------ k-diffusion runs

class FakeCompVisModel:
    def __init__(self, alphas_cumprod):
        self.alphas_cumprod = alphas_cumprod

    def apply_model(self, x, t, cond):
        return fake_model(x, t.item(), cond)


def a1111_img2img_steps(steps, strength):
    """modules/sd_samplers_common.setup_img2img_steps without img2img_fix_steps."""
    return steps, int(min(strength, 0.999) * steps)


def run_k_sampler(sampling, external, case, alphas):
    inner = FakeCompVisModel(alphas)
    wrapper = (external.CompVisDenoiser if case["prediction"] == "epsilon" else external.CompVisVDenoiser)(inner)
    steps, scale = case["steps"], case["guidance"]

    def model(x, sigma):  # A1111's CFGDenoiser mixes the two x0 estimates
        cond = wrapper(x, sigma, cond=True)
        if scale == 1.0:
            return cond
        uncond = wrapper(x, sigma, cond=False)
        return uncond + (cond - uncond) * scale

    if case["schedule"] == "Karras":
        sigmas = sampling.get_sigmas_karras(steps, wrapper.sigma_min.item(), wrapper.sigma_max.item())
    else:
        sigmas = wrapper.get_sigmas(steps)
    g = torch.Generator().manual_seed(case["seed"])
    noise = torch.randn(SHAPE, generator=g, dtype=torch.float32).double()
    if case["strength"] < 1.0:
        steps, t_enc = a1111_img2img_steps(steps, case["strength"])
        sigmas = sigmas[steps - t_enc - 1:]
        x = encoded_latent() + noise * sigmas[0]
    else:
        x = noise * sigmas[0]

    def noise_sampler(sigma, sigma_next):
        return torch.randn(SHAPE, generator=g, dtype=torch.float32).double()

    seen = {}

    def callback(info):
        seen[info["i"]] = info["x"].clone()

    function = {"Euler": sampling.sample_euler, "Euler a": sampling.sample_euler_ancestral,
                "Heun": sampling.sample_heun, "DPM++ 2M": sampling.sample_dpmpp_2m}[case["sampler"]]
    kwargs = {"noise_sampler": noise_sampler} if case["sampler"] == "Euler a" else {}
    final = function(model, x, sigmas, callback=callback, disable=True, **kwargs)
    return sigmas.tolist(), seen, final


# -------------------------------------------------------------------------------------- diffusers runs

def sd_scheduler(kind, prediction, spacing, alphas):
    from diffusers import DDIMScheduler, LCMScheduler
    config = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                  clip_sample=False, set_alpha_to_one=False, steps_offset=1, prediction_type=prediction)
    if kind == "DDIM":
        scheduler = DDIMScheduler(**config, timestep_spacing=spacing)
    else:
        scheduler = LCMScheduler(**config, original_inference_steps=50, timestep_scaling=10.0)
    scheduler.alphas_cumprod = alphas.clone()
    scheduler.final_alpha_cumprod = alphas[0].clone()
    return scheduler


def run_diffusers(case, alphas):
    import diffusers.schedulers.scheduling_lcm as scheduling_lcm
    from diffusers import StableDiffusionImg2ImgPipeline

    prediction = "epsilon" if case["prediction"] == "epsilon" else "v_prediction"
    spacing = case["schedule"].lower()
    scheduler = sd_scheduler(case["sampler"], prediction, spacing, alphas)
    steps, strength, scale = case["steps"], case["strength"], case["guidance"]
    g = torch.Generator().manual_seed(case["seed"])
    noise = torch.randn(SHAPE, generator=g, dtype=torch.float32).double()

    if case["sampler"] == "LCM":
        # LCMScheduler draws its re-noising with the latents' dtype; draw float32 like the C++ side.
        scheduling_lcm.randn_tensor = lambda shape, generator, device, dtype: torch.randn(
            shape, generator=generator, dtype=torch.float32).double()
        if "timesteps" in case:  # small timesteps, where the boundary scalings are far from (0, 1)
            scheduler.set_timesteps(timesteps=case["timesteps"])
        else:
            scheduler.set_timesteps(steps, strength=strength)
        timesteps = scheduler.timesteps
    else:
        scheduler.set_timesteps(steps)
        holder = types.SimpleNamespace(scheduler=scheduler)
        timesteps, _ = StableDiffusionImg2ImgPipeline.get_timesteps(holder, steps, strength, "cpu")

    if strength < 1.0:
        latents = scheduler.add_noise(encoded_latent(), noise, timesteps[:1])
    else:
        latents = noise * scheduler.init_noise_sigma

    sigmas = [float(((1 - alphas[t]) / alphas[t]) ** 0.5) for t in timesteps.tolist()]
    seen = {}
    for i, t in enumerate(timesteps):
        seen[i] = latents * (1 + sigmas[i] ** 2) ** 0.5  # in k-diffusion scaling, as the C++ callback sees it
        output = guided(scheduler.scale_model_input(latents, t), t, scale)
        if case["sampler"] == "LCM":
            latents = scheduler.step(output, t, latents, generator=g, return_dict=False)[0]
        else:
            latents = scheduler.step(output, t, latents, eta=0.0, return_dict=False)[0]
    end = float(((1 - alphas[0]) / alphas[0]) ** 0.5) if case["sampler"] == "DDIM" else 0.0
    return sigmas + [end], seen, latents


# ------------------------------------------------------------------------------------------- the cases

def sampler_cases():
    cases = []
    seed = 1000
    for prediction in ("epsilon", "v"):
        for sampler, schedule in [("Euler", "Uniform"), ("Euler", "Karras"), ("Euler a", "Uniform"),
                                  ("Euler a", "Karras"), ("Heun", "Uniform"), ("Heun", "Karras"),
                                  ("DPM++ 2M", "Uniform"), ("DPM++ 2M", "Karras"), ("DDIM", "Leading"),
                                  ("DDIM", "Trailing"), ("LCM", "LCM")]:
            seed += 1
            steps = 4 if sampler == "LCM" else 10
            guidance = 1.0 if sampler == "LCM" else 5.0
            cases.append(dict(sampler=sampler, schedule=schedule, prediction=prediction, steps=steps,
                              guidance=guidance, strength=1.0, seed=seed))
    # img2img, and guidance off / on where the defaults above do the other
    for sampler, schedule, steps, strength, guidance in [
            ("Euler a", "Uniform", 20, 0.6, 7.0), ("DPM++ 2M", "Karras", 20, 0.75, 7.0),
            ("Heun", "Uniform", 8, 0.5, 1.0), ("Euler", "Karras", 12, 0.3, 7.0),
            ("DDIM", "Leading", 20, 0.7, 7.5), ("DDIM", "Trailing", 25, 0.48, 7.5),
            ("LCM", "LCM", 4, 0.5, 1.0), ("LCM", "LCM", 6, 1.0, 2.0), ("Euler", "Uniform", 30, 1.0, 1.0)]:
        seed += 1
        cases.append(dict(sampler=sampler, schedule=schedule, prediction="epsilon", steps=steps,
                          guidance=guidance, strength=strength, seed=seed))
    for prediction in ("epsilon", "v"):
        seed += 1
        cases.append(dict(sampler="LCM", schedule="LCM", prediction=prediction, steps=4, guidance=1.5,
                          strength=1.0, seed=seed, timesteps=[259, 19, 3, 1]))
    return cases


def latent_list(x):
    return [float(f"{float(v):.10g}") for v in x.flatten()]  # float32 keeps ~7 digits; the test needs no more


def samplers_golden():
    import diffusers
    torch.set_default_dtype(torch.float64)
    alphas = compvis_alphas_cumprod()
    sampling, external = load_k_diffusion()
    out = []
    for case in sampler_cases():
        if case["sampler"] in ("DDIM", "LCM"):
            sigmas, seen, final = run_diffusers(case, alphas)
        else:
            sigmas, seen, final = run_k_sampler(sampling, external, case, alphas)
        steps_run = len(sigmas) - 1
        checkpoints = sorted({1, steps_run // 2} & set(seen))
        name = f"{case['sampler']} {case['schedule']} {case['prediction']} cfg {case['guidance']:g}"
        if "timesteps" in case:
            name += " timesteps " + ",".join(map(str, case["timesteps"]))
        if case["strength"] < 1.0:
            name += f" img2img {case['strength']:g}"
        out.append({**case, "name": name + f" {case['steps']} steps", "sigmas": sigmas,
                    "checkpoints": [{"step": i, "x": latent_list(seen[i])} for i in checkpoints],
                    "final": latent_list(final)})
    torch.set_default_dtype(torch.float32)
    return {"torch": torch.__version__, "diffusers": diffusers.__version__, "k_diffusion": "0.1.1.post1",
            "shape": list(SHAPE), "cases": out}


def schedule_golden():
    from diffusers import DDIMScheduler, LCMScheduler
    torch.set_default_dtype(torch.float64)
    alphas = compvis_alphas_cumprod()
    sampling, external = load_k_diffusion()
    wrapper = external.CompVisDenoiser(FakeCompVisModel(alphas))
    probe = [0.0292, 0.03, 0.1, 0.5, 1.0, 2.5, 7.0, 14.0, 14.6146, 20.0]
    result = {
        "alphas_cumprod": {str(t): float(alphas[t]) for t in (0, 1, 250, 500, 999)},
        "sigma_min": wrapper.sigma_min.item(), "sigma_max": wrapper.sigma_max.item(),
        "sigma_to_t": [[s, wrapper.sigma_to_t(torch.tensor(s)).item()] for s in probe],
        "t_to_sigma": [[t, wrapper.t_to_sigma(torch.tensor(t)).item()] for t in (0.0, 0.5, 10.25, 500.0, 998.9, 999.0)],
        "uniform": {str(n): wrapper.get_sigmas(n).tolist() for n in (1, 2, 10, 20, 25, 30)},
        "karras": {str(n): sampling.get_sigmas_karras(n, wrapper.sigma_min.item(), wrapper.sigma_max.item()).tolist()
                   for n in (1, 2, 10, 20, 25)},
    }
    torch.set_default_dtype(torch.float32)
    # What A1111 itself computes: ldm's float64 alphas stored as float32, k-diffusion in float32.
    wrapper32 = external.CompVisDenoiser(FakeCompVisModel(alphas.float()))
    result["a1111_float32"] = {
        "uniform20": wrapper32.get_sigmas(20).tolist(),
        "karras20": sampling.get_sigmas_karras(20, wrapper32.sigma_min.item(), wrapper32.sigma_max.item()).tolist(),
    }
    config = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                  clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    timesteps = {"leading": {}, "trailing": {}, "lcm": {}}
    for spacing in ("leading", "trailing"):
        for n in (1, 3, 7, 10, 20, 25, 30, 50, 60, 100):
            s = DDIMScheduler(**config, timestep_spacing=spacing)
            s.set_timesteps(n)
            timesteps[spacing][str(n)] = s.timesteps.tolist()
    for n, strength in ((1, 1.0), (2, 1.0), (4, 1.0), (6, 1.0), (8, 1.0), (4, 0.5), (3, 0.3), (8, 0.8)):
        s = LCMScheduler(**config, original_inference_steps=50)
        s.set_timesteps(n, strength=strength)
        timesteps["lcm"][f"{n}@{strength:g}"] = s.timesteps.tolist()
    result["timesteps"] = timesteps
    result["img2img"] = {
        "a1111": [[steps, strength, a1111_img2img_steps(steps, strength)[1]]
                  for steps, strength in ((20, 0.75), (20, 0.6), (10, 0.05), (30, 0.999), (30, 1.0), (7, 0.33))],
        "diffusers": [[steps, strength, min(int(steps * strength), steps)]
                      for steps, strength in ((20, 0.75), (20, 0.6), (10, 0.05), (30, 0.999), (25, 0.48), (7, 0.33))],
    }
    return result


def compact_json(data):
    """One line per case or number list, so that the files stay small and diff line by line."""
    def dump(value, indent):
        pad = " " * indent
        if isinstance(value, dict) and indent < 2:
            items = [f'{pad} {json.dumps(k)}: {dump(v, indent + 1).lstrip()}' for k, v in value.items()]
            return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(value, list) and indent < 2 and value and isinstance(value[0], dict):
            return pad + "[\n" + ",\n".join(pad + " " + json.dumps(v, separators=(",", ":")) for v in value) + "\n" + pad + "]"
        return pad + json.dumps(value, separators=(",", ":"))
    return dump(data, 0) + "\n"


def main():
    noise = noise_golden()
    if noise is None:
        return
    # diffusers' lazy pipeline import probes scipy: import it before load_k_diffusion's stand-ins exist.
    from diffusers import StableDiffusionImg2ImgPipeline  # noqa: F401
    GOLDEN.mkdir(exist_ok=True)
    for name, data in (("noise", noise), ("schedule", schedule_golden()), ("samplers", samplers_golden())):
        path = GOLDEN / f"{name}.json"
        path.write_text(compact_json(data))
        print(f"{path.relative_to(HERE.parent.parent)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
