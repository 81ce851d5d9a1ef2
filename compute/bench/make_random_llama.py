#!/usr/bin/env python3
"""Writes random-weight Llama GGUFs with the exact shapes of real ones, quantized as llama.cpp's
Q4_K_M mix does (Q4_K matrices, Q6_K for attn_v and ffn_down in every other layer and for the
tied embedding), so that `atelier bench llm` and llama.cpp's llama-bench measure bandwidth per
token on models larger than the CPU's caches (issue 16). Speed does not depend on the values.

    python3 compute/bench/make_random_llama.py 1b OUT.gguf   # Llama 3.2 1B shapes, about 0.8 GB
    python3 compute/bench/make_random_llama.py 8b OUT.gguf   # Llama 3.1 8B shapes, about 4.6 GB (GPUs)
    python3 compute/bench/make_random_llama.py moe OUT.gguf  # 16 experts, 2 used, about 0.7 GB

The tensors are written by tests/llm/make_tiny_models.py's write_model (its quantizers and
layout), with Llama 3's tokenizer vocabulary from the test fixture padded with reserved tokens to
the real vocabulary size.
"""
import pathlib
import sys

from gguf import GGMLQuantizationType as T

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "llm"))
import make_tiny_models  # noqa: E402

SHAPES = {
    # Llama 3.2 1B: tied embedding (the output layer), 16 layers.
    "1b": {"dim": 2048, "layers": 16, "heads": 32, "kv_heads": 8, "head_dim": 64, "ff": 8192, "tied": True},
    # Llama 3.1 8B: untied output, 32 layers.
    "8b": {"dim": 4096, "layers": 32, "heads": 32, "kv_heads": 8, "head_dim": 128, "ff": 14336, "tied": False},
    # A mixture of experts the size of OLMoE-1B-7B's attention with a quarter of its experts (16 of
    # width 512, 2 used: OLMoE's 1 in 8), Mixtral-style (llama with experts): 1.2B weights, 0.3B
    # read per token, so it fits lavapipe's 2 GiB heap.
    "moe": {"dim": 2048, "layers": 16, "heads": 32, "kv_heads": 8, "head_dim": 64, "ff": 512, "tied": True,
            "moe": {"experts": 16, "used": 2, "ff": 512, "ff_key": False}},
}
VOCAB = 128256


def spec_for(shape):
    s = SHAPES[shape]
    base = make_tiny_models.read_vocab(make_tiny_models.HERE / "fixtures" / "bpe_llama3.gguf")
    reserved = [f"<|reserved_special_token_{i}|>" for i in range(VOCAB - len(base["tokens"]))]
    blocks = []
    for layer in range(s["layers"]):
        wide = T.Q6_K if layer % 2 == 0 else T.Q4_K  # Q4_K_M: "use more bits" on half the layers
        blocks.append({"q": T.Q4_K, "k": T.Q4_K, "v": wide, "output": T.Q4_K, "gate": T.Q4_K, "up": T.Q4_K,
                       "down": wide, "router": T.F32})  # llama.cpp keeps ffn_gate_inp in F32
    return dict(make_tiny_models.LLAMA, file=f"random_llama_{shape}.gguf", seed=7, extra_tokens=reserved,
                name=f"Random Llama {shape.upper()}-shaped (benchmark only)", blocks=blocks,
                embedding=T.Q6_K, output=T.Q6_K, **s)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SHAPES:
        sys.exit(__doc__)
    make_tiny_models.write_model(spec_for(sys.argv[1]), sys.argv[2])


if __name__ == "__main__":
    main()
