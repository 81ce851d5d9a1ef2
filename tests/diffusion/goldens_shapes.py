#!/usr/bin/env python3
"""Reference for the default image model (resources/shapes_model/atelier-shapes-sd1.safetensors):
one picture painted by the PyTorch model (diffusers' UNet and VAE, transformers' CLIP text
encoder, all float32) with resources/shapes_model/evaluate.py's sampler: k-diffusion's Euler over
the "Uniform" sigmas, classifier-free guidance 5 against the empty prompt, 20 steps, at the
model's 128 x 128 from torch.randn(4 * 16 * 16, generator=Generator().manual_seed(SEED)).
shapes_model_test.cpp paints the same prompt and seed with Atelier and compares the RGB bytes.

Usage: python3 tests/diffusion/goldens_shapes.py   -> tests/diffusion/goldens/shapes_model.safetensors
"""
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "resources", "shapes_model"))
import evaluate  # noqa: E402
import shapes_model as sm  # noqa: E402

PROMPT = "a large red circle in the centre on a blue background"  # as in shapes_model_test.cpp
SEED, STEPS, CFG = 7, 20, 5.0


def main():
    torch.set_num_threads(1)
    path = os.path.join(sm.HERE, "atelier-shapes-sd1.safetensors")
    parts = sm.load_checkpoint(path, "default")
    size = sm.declared_size(path)
    image = evaluate.paint_torch(parts, sm.ClipTokenizer(), PROMPT, SEED, STEPS, CFG, size, size)
    out = os.path.join(HERE, "goldens", "shapes_model.safetensors")
    save_file({"image": torch.from_numpy(image).float().contiguous(), "seed": torch.tensor([SEED], dtype=torch.int32)},
              out, metadata={"prompt": PROMPT, "steps": str(STEPS), "cfg": str(CFG)})
    print("wrote", out, tuple(image.shape))


if __name__ == "__main__":
    main()
