#!/usr/bin/env python3
"""Writes random-weight Llama GGUFs with the exact shapes of real ones, quantized as llama.cpp's
Q4_K_M mix does (Q4_K matrices, Q6_K for attn_v and ffn_down in every other layer and for the
tied embedding), so that `atelier bench llm` and llama.cpp's llama-bench measure bandwidth per
token on models larger than the CPU's caches (issue 16). Speed does not depend on the values.

    python3 compute/bench/make_random_llama.py 1b OUT.gguf   # Llama 3.2 1B shapes, about 0.8 GB
    python3 compute/bench/make_random_llama.py 8b OUT.gguf   # Llama 3.1 8B shapes, about 4.6 GB (GPUs)
    python3 compute/bench/make_random_llama.py moe OUT.gguf  # 16 experts, 2 used, about 0.7 GB
    python3 compute/bench/make_random_llama.py 8b OUT.gguf --random-blocks

The tensors are written by tests/llm/make_tiny_models.py's write_model (its quantizers and
layout), with Llama 3's tokenizer vocabulary from the test fixture padded with reserved tokens to
the real vocabulary size. --random-blocks (dense shapes) skips the quantizers: each block is random
bytes under a fixed scale small enough that no value overflows, the same tensors in the same
types, written in seconds instead of minutes (for a GPU machine lent for a few minutes).
"""
import pathlib
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES

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


# Where each block type keeps its f16 scales, and the scale written there: with random 4-bit (Q4_K,
# 6-bit scales and mins) or 6-bit (Q6_K, int8 scales) codes, values stay within about +-0.02.
BLOCK_SCALES = {T.Q4_K: ((0, 2, 2**-15), (2, 4, 2**-15)), T.Q6_K: ((208, 210, 2**-18),)}


def random_blocks(rng, rows, cols, qtype):
    """A [rows, cols] matrix of `qtype` as GGUFWriter takes it: random codes under fixed scales."""
    values, size = GGML_QUANT_SIZES[qtype]
    blocks = np.frombuffer(rng.bytes(rows * cols // values * size), np.uint8).reshape(-1, size).copy()
    for begin, end, scale in BLOCK_SCALES[qtype]:
        blocks[:, begin:end] = np.frombuffer(np.float16(scale).tobytes(), np.uint8)
    return blocks.reshape(rows, -1)


def write_random_blocks(spec, path):
    path = pathlib.Path(path)
    rng = np.random.default_rng(spec["seed"])
    w, n_vocab = make_tiny_models.start_model(spec, path)
    dim, hd = spec["dim"], spec["head_dim"]
    q_dim, kv_dim = spec["heads"] * hd, spec["kv_heads"] * hd
    ones = lambda n: np.ones(n, np.float32)
    add = lambda name, rows, cols, qtype: w.add_tensor(name, random_blocks(rng, rows, cols, qtype), raw_dtype=qtype)
    add("token_embd.weight", n_vocab, dim, spec["embedding"])
    w.add_tensor("output_norm.weight", ones(dim))
    if not spec["tied"]:
        add("output.weight", n_vocab, dim, spec["output"])
    if spec["rope_factors"]:
        w.add_tensor("rope_freqs.weight", make_tiny_models.llama3_rope_factors(hd, spec["rope_base"]))
    for l, types in enumerate(spec["blocks"]):
        p = f"blk.{l}."
        w.add_tensor(p + "attn_norm.weight", ones(dim))
        add(p + "attn_q.weight", q_dim, dim, types["q"])
        add(p + "attn_k.weight", kv_dim, dim, types["k"])
        add(p + "attn_v.weight", kv_dim, dim, types["v"])
        add(p + "attn_output.weight", dim, q_dim, types["output"])
        w.add_tensor(p + "ffn_norm.weight", ones(dim))
        add(p + "ffn_gate.weight", spec["ff"], dim, types["gate"])
        add(p + "ffn_up.weight", spec["ff"], dim, types["up"])
        add(p + "ffn_down.weight", dim, spec["ff"], types["down"])
    make_tiny_models.finish_model(w, path, n_vocab)


def main():
    args = [a for a in sys.argv[1:] if a != "--random-blocks"]
    fast = len(args) < len(sys.argv) - 1
    if len(args) != 2 or args[0] not in SHAPES or (fast and "moe" in SHAPES[args[0]]):
        sys.exit(__doc__)
    (write_random_blocks if fast else make_tiny_models.write_model)(spec_for(args[0]), args[1])


if __name__ == "__main__":
    main()
