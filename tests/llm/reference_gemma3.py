#!/usr/bin/env python3
"""Adds the float64 reference (reference_llm.py: an independent forward pass in numpy over the
GGUF's dequantized weights) to golden/gemma3_logits.json: the exact-arithmetic reference that
Atelier's logits on the default Gemma 3 model are held to. llama.cpp's CPU backend differs from
it by up to ~1.8 in the logits (it quantizes activations to 8 bits for quantized dot products),
so it is only a loose, second reference.

    python3 tests/llm/reference_gemma3.py MODEL.gguf    # adds f64 results to golden/gemma3_logits.json
"""
import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from reference_llm import Transformer  # noqa: E402


def main():
    model = Transformer(sys.argv[1])
    assert model.arch == "gemma3", model.arch
    path = pathlib.Path(__file__).parent / "golden" / "gemma3_logits.json"
    golden = json.loads(path.read_text())
    for case in golden["cases"]:
        model.reset()
        logits = model.forward(case["ids"])
        case["f64_top_logits"] = [round(float(logits[i]), 5) for i in case["top_ids"]]
        case["f64_fixed_logits"] = [round(float(logits[i]), 5) for i in golden["fixed_ids"]]
        greedy, margin, _ = model.greedy(logits, 32)
        case["f64_greedy"] = greedy
        case["f64_greedy_min_margin"] = round(margin, 4)  # below the engine's error, a near-tie
        print(case["name"], "greedy matches llama.cpp for", next((i for i, (a, b) in enumerate(zip(greedy, case["greedy"])) if a != b), 32), "tokens")
    golden["f64_reference"] = "tests/llm/reference_gemma3.py (numpy float64)"
    path.write_text(json.dumps(golden, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
