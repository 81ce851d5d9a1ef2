#!/usr/bin/env python3
"""Writes tiny random LoRA adapters in llama.cpp's GGUF adapter format for the tiny models
(make_tiny_models.py) and tests/llm/golden/tiny_lora_logits.json: per case, the logits of a prompt's
last token with the adapters applied (each with its scale), the 8 tokens greedy decoding continues
with and the logits after them, from the float64 reference (reference_llm.py with each adapted
weight W replaced by W + scale * alpha / rank * B @ A, as llama.cpp's build_lora_mm adds
scale * alpha / rank * B (A x) to W x), plus what llama.cpp computes with the same adapters.

llama.cpp checks the reference: on F32 copies of the models with an F32 KV cache it must agree to
1e-4 (so the reference reads the adapter's A, B, alpha and the token-embedding pair as llama.cpp
does); on the real (quantized) files it is recorded as make_tiny_golden.py records it.

Adapters (fixtures/):
- tiny_llama_lora.gguf: rank 4, alpha 8 (scale x2), every projection of both layers (q, k, v,
  output, gate, up, down) plus token_embd (A [vocab, rank] read by token id, B [dim, rank]) and
  output; A and B in F32 and F16.
- tiny_llama_lora_ffn.gguf: rank 2, alpha 2, only layer 1's ffn_down and layer 0's attn_v, F32:
  the second adapter of the two-adapter case.
- tiny_qwen2_lora.gguf: rank 8, no alpha (the scale is used as it is), q, k, v and gate/down of
  every layer, F16; the model has q/k/v biases and a tied output.

    PYTHONPATH=/work/anchors/src/llama_cpp_python-0.3.36 LLAMA_CPP_LIB_PATH=/tmp/llamacpp-build/bin \
    python3 tests/llm/make_tiny_lora.py
"""
import ctypes
import json
import pathlib
import sys
import tempfile

import gguf
import llama_cpp
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_tiny_models  # noqa: E402
from reference_llm import Transformer  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
GREEDY_TOKENS = 8
MIN_MARGIN = 0.05
PROJECTIONS = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")

ADAPTERS = {
    "tiny_llama_lora.gguf": {
        "model": "tiny_llama.gguf", "seed": 47, "rank": 4, "alpha": 8.0, "spread": 0.1,
        "targets": [f"blk.{l}.{p}.weight" for l in range(2) for p in PROJECTIONS] + ["token_embd.weight", "output.weight"],
        "f16": ("attn_k", "ffn_up", "output"),
    },
    "tiny_llama_lora_ffn.gguf": {
        "model": "tiny_llama.gguf", "seed": 8, "rank": 2, "alpha": 2.0, "spread": 0.15,
        "targets": ["blk.1.ffn_down.weight", "blk.0.attn_v.weight"], "f16": (),
    },
    "tiny_qwen2_lora.gguf": {
        "model": "tiny_qwen2.gguf", "seed": 39, "rank": 8, "alpha": None, "spread": 0.1,
        "targets": [f"blk.{l}.{p}.weight" for l in range(3) for p in ("attn_q", "attn_k", "attn_v", "ffn_gate", "ffn_down")],
        "f16": ("blk",),  # every tensor
    },
}

PLAIN = "The quick brown fox jumps over the lazy dog."
LONG = ("In 2024 the population was 1234567 and the budget 3.14159 billion; call 555-0100 or +1 (800) 123-4567. "
        "The quick brown fox jumps over the lazy dog. It's what they'd say, and we're sure you'll agree.")
CASES = [
    {"name": "llama", "model": "tiny_llama.gguf", "adapters": [["tiny_llama_lora.gguf", 1.0]], "text": PLAIN},
    {"name": "llama_two", "model": "tiny_llama.gguf",
     "adapters": [["tiny_llama_lora.gguf", 0.5], ["tiny_llama_lora_ffn.gguf", -0.8]],
     "text": "def fibonacci(n):\n    if n < 2:\n        return n\n"},
    {"name": "qwen2", "model": "tiny_qwen2.gguf", "adapters": [["tiny_qwen2_lora.gguf", 0.75]], "text": PLAIN},
    # Long enough that a 64-token batch takes the tiled matmul kernel for the rank-2 and rank-4 products.
    {"name": "llama_long", "model": "tiny_llama.gguf",
     "adapters": [["tiny_llama_lora.gguf", 0.5], ["tiny_llama_lora_ffn.gguf", -0.8]], "text": LONG},
]


def model_shapes(path):
    r = gguf.GGUFReader(str(path))
    return {t.name: [int(x) for x in reversed(t.shape)] for t in r.tensors}, r.fields["general.architecture"].contents()


def write_adapter(name, spec, directory=HERE / "fixtures", f32=False):
    """A and B as llama.cpp's convert_lora_to_gguf.py writes them: A [rank, in], B [out, rank]
    row-major; for token_embd A [vocab, rank] and B [dim, rank] (its rows are looked up by token)."""
    shapes, arch = model_shapes(HERE / "fixtures" / spec["model"])
    rng = np.random.default_rng(spec["seed"])
    writer = gguf.GGUFWriter(str(pathlib.Path(directory) / name), arch)
    writer.add_type("adapter")
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    if spec["alpha"] is not None:
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, spec["alpha"])
    writer.add_name(f"{name[:-5]} (random LoRA)")
    r = spec["rank"]
    for target in spec["targets"]:
        out, inp = shapes[target]
        if target == "token_embd.weight":  # [vocab, dim]: A by token, B to dim
            a = rng.normal(0, spec["spread"], (out, r))
            b = rng.normal(0, spec["spread"], (inp, r))
        else:
            a = rng.normal(0, spec["spread"], (r, inp))
            b = rng.normal(0, spec["spread"], (out, r))
        if any(target.startswith(key) or f".{key}." in target for key in spec["f16"]):
            a, b = a.astype(np.float16), b.astype(np.float16)
        if f32:  # the same values, stored as F32
            a, b = a.astype(np.float32), b.astype(np.float32)
        writer.add_tensor(target + ".lora_a", a if a.dtype == np.float16 else a.astype(np.float32))
        writer.add_tensor(target + ".lora_b", b if b.dtype == np.float16 else b.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


class AdaptedTransformer(Transformer):
    """The float64 reference with each adapter merged exactly: W + scale * alpha / rank * B @ A."""

    def __init__(self, path, adapters):
        super().__init__(str(path))
        for file, scale in adapters:
            r = gguf.GGUFReader(str(HERE / "fixtures" / file))
            alpha = r.fields["adapter.lora.alpha"].contents() if "adapter.lora.alpha" in r.fields else 0.0
            ts = {t.name: t.data.astype(np.float64).reshape([int(x) for x in reversed(t.shape)]) for t in r.tensors}
            for name in {n[:-len(".lora_a")] for n in ts if n.endswith(".lora_a")}:
                a, b = ts[name + ".lora_a"], ts[name + ".lora_b"]
                rank = b.shape[-1]
                s = scale * alpha / rank if alpha else scale
                delta = a @ b.T if name == "token_embd.weight" else b @ a
                self.cache[name] = self.w(name) + s * delta


def llama_cpp_run(path, adapters, ids, f32_cache=False, directory=HERE / "fixtures"):
    kv = {"type_k": 0, "type_v": 0} if f32_cache else {}
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=512, n_batch=512, logits_all=True, verbose=False, seed=0, **kv)
    loaded = []
    for file, _ in adapters:
        adapter = llama_cpp.llama_adapter_lora_init(llm._model.model, str(pathlib.Path(directory) / file).encode())
        assert adapter, f"llama.cpp refused {file}"
        loaded.append(adapter)
    handles = (llama_cpp.llama_adapter_lora_p_ctypes * len(loaded))(*loaded)
    scales = (ctypes.c_float * len(loaded))(*[s for _, s in adapters])
    assert llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, handles, len(loaded), scales) == 0
    llm.eval(ids)
    logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)
    greedy = []
    for _ in range(GREEDY_TOKENS):
        greedy.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
        llm.eval([greedy[-1]])
    return logits, greedy


def golden_case(case, tmp):
    path = HERE / "fixtures" / case["model"]
    spec = next(s for s in make_tiny_models.ALL if s["file"] == case["model"])
    f32_copy = pathlib.Path(tmp) / case["model"]
    if not f32_copy.exists():
        make_tiny_models.write_model(spec, f32_copy, f32=True)
    tokenizer = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    ids = tokenizer.tokenize(case["text"].encode("utf-8"), add_bos=True, special=True)
    model = AdaptedTransformer(path, case["adapters"])
    logits = model.forward(ids)
    base = Transformer(str(path)).forward(ids)
    greedy, margin, after = model.greedy(logits, GREEDY_TOKENS)
    assert margin >= MIN_MARGIN, f"{case['name']}: greedy margin {margin:.4f} is too close to call"
    for file, _ in case["adapters"]:  # F32 copies, or llama.cpp rounds activations to f16 for F16 A and B
        write_adapter(file, ADAPTERS[file], tmp, f32=True)
    exact, exact_greedy = llama_cpp_run(f32_copy, case["adapters"], ids, f32_cache=True, directory=tmp)
    f32_diff = float(np.abs(exact - logits).max())
    assert f32_diff < 1e-4 and exact_greedy == greedy, f"{case['name']}: llama.cpp (F32) differs by {f32_diff}"
    quantized, quantized_greedy = llama_cpp_run(path, case["adapters"], ids)
    effect = float(np.abs(logits - base).max())
    print(f"{case['name']:9} {len(ids):3} ids  adapters move logits by {effect:.2f}  margin {margin:.3f}  "
          f"llama.cpp F32 {f32_diff:.1e}  quantized {np.abs(quantized - logits).max():.3f}")
    return {
        "name": case["name"], "model": f"fixtures/{case['model']}",
        "adapters": [{"file": f"fixtures/{f}", "scale": s} for f, s in case["adapters"]],
        "text": case["text"], "ids": [int(i) for i in ids],
        "logits": [round(float(x), 5) for x in logits],
        "adapter_effect_max": round(effect, 3),
        "greedy": greedy, "greedy_min_margin": round(margin, 4),
        "greedy_logits": [round(float(x), 5) for x in after],
        "llamacpp_f32_max_diff": float(f"{f32_diff:.2g}"),
        "llamacpp_logits": [round(float(x), 5) for x in quantized],
        "llamacpp_max_diff": round(float(np.abs(quantized - logits).max()), 4),
        "llamacpp_greedy": quantized_greedy,
    }


def main():
    for name, spec in ADAPTERS.items():
        write_adapter(name, spec)
        print(f"wrote fixtures/{name}")
    with tempfile.TemporaryDirectory() as tmp:
        cases = [golden_case(c, tmp) for c in CASES]
    target = HERE / "golden" / "tiny_lora_logits.json"
    target.write_text(json.dumps({
        "reference": "tests/llm/reference_llm.py (numpy float64) with W + scale * alpha / rank * B @ A",
        "llamacpp": "llama.cpp CPU (llama-cpp-python 0.3.36, llama_set_adapters_lora) on the quantized file, "
                    "f16 KV cache; llamacpp_f32_max_diff on F32 copies of the weights with an F32 KV cache",
        "cases": cases,
    }, ensure_ascii=False) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
