#!/usr/bin/env python3
"""Writes tiny random-weight chat models, tests/llm/fixtures/tiny_*.gguf, laid out tensor for tensor
as llama.cpp's converter writes real Qwen2.5, Llama 3.1, Qwen3, Qwen3-MoE, OLMoE and Mixtral models,
so that the engine's paths for them are checked against references (make_tiny_golden.py) and the
chat UI has models small enough for tests.

- tiny_qwen2: 3 layers, dim 128, 2 query heads of 64 sharing 1 KV head, biases on q/k/v, NeoX
  RoPE (base 1e6), SwiGLU, output tied to the embedding (as Qwen2.5 0.5B-3B), the Qwen2.5 ChatML
  template; the vocabulary of fixtures/bpe_qwen2.gguf.
- tiny_llama: 2 layers, dim 128, 4 query heads of 32 sharing 2 KV heads, no biases, normal
  (interleaved-pair) RoPE as llama.cpp applies it to the converter's permuted q/k, Llama 3
  frequency factors (rope_freqs.weight), untied output (as Llama 3.1 8B), the Llama 3.1 template;
  the vocabulary of fixtures/bpe_llama3.gguf plus the header tokens that template writes.
- tiny_qwen3: as tiny_qwen2 without biases, with RMSNorm on each q/k head and 4 heads of 64 over a
  dim of 128 (Qwen3's decoupled head size); tiny_qwen3moe: its mixture of experts (8 experts of
  width 64, 2 used, weights normalised); tiny_olmoe: OLMoE's (RMSNorm across all of q and of k,
  8 experts, 2 used, not normalised); tiny_mixtral: tiny_llama's shape with 4 experts, 2 used.

Matrices use most weight types the kernels read (F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K,
Q5_K, Q6_K); norms and biases are F32. gguf-py quantizes the 32-element block types itself but
not the K-quants, so this file packs those (a plain min/max quantizer, checked against gguf-py's
dequantizer); only ffn_down has rows of 256 (the K-quant super-block). Weights are random
(fixed numpy seeds, so the files are byte-for-byte reproducible); the seeds and the spread of the
output rows' lengths were picked so that no greedy step of make_tiny_golden.py's prompts is a
near-tie (its MIN_MARGIN), which a correct f32 engine could then decide either way:

    python3 -m pip install gguf numpy
    python3 tests/llm/make_tiny_models.py
"""
import pathlib

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

HERE = pathlib.Path(__file__).resolve().parent
TEMPLATES = HERE.parent / "chat_template" / "templates"

QWEN2 = {
    "file": "tiny_qwen2.gguf", "seed": 2024, "arch": "qwen2", "name": "Tiny Qwen2 (random weights)",
    "vocab": "bpe_qwen2.gguf", "extra_tokens": [], "template": "qwen-2.5.jinja",
    "dim": 128, "layers": 3, "heads": 2, "kv_heads": 1, "head_dim": 64, "ff": 256,
    "eps": 1e-6, "rope_base": 1e6, "tied": True, "row_spread": 0.25, "bias": True, "rope_factors": False,
    "embedding": T.Q8_0, "output": None,
    "blocks": [
        {"q": T.Q8_0, "k": T.Q8_0, "v": T.Q8_0, "output": T.Q5_0, "gate": T.Q4_0, "up": T.Q4_0, "down": T.Q4_K},
        {"q": T.F16, "k": T.F16, "v": T.Q5_1, "output": T.Q4_1, "gate": T.Q5_0, "up": T.Q5_0, "down": T.Q6_K},
        {"q": T.BF16, "k": T.Q4_0, "v": T.Q8_0, "output": T.F16, "gate": T.Q8_0, "up": T.Q4_1, "down": T.Q5_K},
    ],
}
LLAMA = {
    "file": "tiny_llama.gguf", "seed": 2031, "arch": "llama", "name": "Tiny Llama 3 (random weights)",
    "vocab": "bpe_llama3.gguf", "extra_tokens": ["<|start_header_id|>", "<|end_header_id|>"],
    "template": "llama-3.1.jinja",
    "dim": 128, "layers": 2, "heads": 4, "kv_heads": 2, "head_dim": 32, "ff": 512,
    "eps": 1e-5, "rope_base": 5e5, "tied": False, "row_spread": 0.5, "bias": False, "rope_factors": True,
    "embedding": T.Q5_0, "output": T.Q8_0,
    "blocks": [
        {"q": T.Q4_0, "k": T.Q4_1, "v": T.Q8_0, "output": T.Q5_1, "gate": T.Q4_0, "up": T.Q8_0, "down": T.Q6_K},
        {"q": T.Q5_0, "k": T.F16, "v": T.BF16, "output": T.Q8_0, "gate": T.Q4_1, "up": T.Q5_0, "down": T.Q4_K},
    ],
}

# Qwen3 as Qwen3 0.6B-8B: no biases, RMSNorm on each q/k head, heads * head_dim != dim.
QWEN3 = {
    "file": "tiny_qwen3.gguf", "seed": 2040, "arch": "qwen3", "name": "Tiny Qwen3 (random weights)",
    "vocab": "bpe_qwen2.gguf", "extra_tokens": [], "template": "qwen-2.5.jinja",
    "dim": 128, "layers": 2, "heads": 4, "kv_heads": 2, "head_dim": 64, "ff": 256,
    "eps": 1e-6, "rope_base": 1e6, "tied": True, "row_spread": 0.25, "bias": False, "rope_factors": False,
    "qk_norm": "head", "head_dim_keys": True,
    "embedding": T.Q8_0, "output": None,
    "blocks": [
        {"q": T.Q8_0, "k": T.Q4_0, "v": T.Q8_0, "output": T.Q5_0, "gate": T.Q4_0, "up": T.Q4_0, "down": T.Q4_K},
        {"q": T.F16, "k": T.BF16, "v": T.Q5_1, "output": T.Q4_1, "gate": T.Q8_0, "up": T.Q5_0, "down": T.Q6_K},
    ],
}
# Qwen3-MoE as Qwen3-30B-A3B (128 experts, 8 used, normalised): here 8 experts, 2 used.
QWEN3MOE = dict(QWEN3, **{
    "file": "tiny_qwen3moe.gguf", "seed": 2041, "arch": "qwen3moe", "name": "Tiny Qwen3 MoE (random weights)",
    "moe": {"experts": 8, "used": 2, "ff": 64, "ff_key": True},
    "blocks": [
        {"q": T.Q8_0, "k": T.Q4_0, "v": T.Q8_0, "output": T.Q5_0, "router": T.F32, "gate": T.Q4_0, "up": T.Q4_0, "down": T.Q8_0},
        {"q": T.F16, "k": T.BF16, "v": T.Q5_1, "output": T.Q4_1, "router": T.F16, "gate": T.Q5_1, "up": T.Q5_1, "down": T.F16},
    ],
})
# OLMoE as OLMoE-1B-7B (64 experts, 8 used, not normalised, RMSNorm over all of q and k): 8 choose 2.
OLMOE = {
    "file": "tiny_olmoe.gguf", "seed": 2044, "arch": "olmoe", "name": "Tiny OLMoE (random weights)",
    "vocab": "bpe_qwen2.gguf", "extra_tokens": [], "template": "qwen-2.5.jinja",
    "dim": 128, "layers": 2, "heads": 4, "kv_heads": 4, "head_dim": 32, "ff": 96,
    "eps": 1e-5, "rope_base": 1e4, "tied": False, "row_spread": 0.6, "bias": False, "rope_factors": False,
    "qk_norm": "whole", "moe": {"experts": 8, "used": 2, "ff": 96, "ff_key": False},
    "embedding": T.Q8_0, "output": T.Q8_0,
    "blocks": [
        {"q": T.Q8_0, "k": T.Q8_0, "v": T.Q4_0, "output": T.Q5_0, "router": T.F32, "gate": T.Q8_0, "up": T.Q8_0, "down": T.Q4_0},
        {"q": T.Q4_1, "k": T.F16, "v": T.Q8_0, "output": T.Q8_0, "router": T.F32, "gate": T.Q4_0, "up": T.Q4_0, "down": T.BF16},
    ],
}
# Mixtral: llama with experts (8 choose 2, normalised); here 4 choose 2.
MIXTRAL = dict(LLAMA, **{
    "file": "tiny_mixtral.gguf", "seed": 2052, "name": "Tiny Mixtral (random weights)",
    "ff": 128, "rope_factors": False, "moe": {"experts": 4, "used": 2, "ff": 128, "ff_key": False},
    "blocks": [
        {"q": T.Q4_0, "k": T.Q8_0, "v": T.Q8_0, "output": T.Q5_1, "router": T.F32, "gate": T.Q8_0, "up": T.Q8_0, "down": T.Q5_0},
        {"q": T.Q5_0, "k": T.F16, "v": T.BF16, "output": T.Q8_0, "router": T.F32, "gate": T.Q4_1, "up": T.Q4_1, "down": T.Q8_0},
    ],
})
ALL = (QWEN2, LLAMA, QWEN3, QWEN3MOE, OLMOE, MIXTRAL)


# --- K-quants (block layouts as gguf.quants dequantizes them; ggml-common.h) -------------------

def _f16(x):
    return x.astype(np.float16)


def _k_scales_mins(x, levels):
    """Q4_K/Q5_K: 8 sub-blocks of 32 share 6-bit scales and mins under f16 d and dmin."""
    sub = x.reshape(len(x), 8, 32)
    lo, hi = np.minimum(sub.min(-1), 0), sub.max(-1)
    scale, mins = (hi - lo) / levels, -lo
    d, dmin = _f16(scale.max(-1) / 63), _f16(mins.max(-1) / 63)
    df, dminf = d.astype(np.float32)[:, None], dmin.astype(np.float32)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(df > 0, np.round(scale / df), 0).clip(0, 63).astype(np.uint8)
        m = np.where(dminf > 0, np.ceil(mins / dminf), 0).clip(0, 63).astype(np.uint8)
        step, offset = (df * sc)[..., None], (dminf * m)[..., None]
        q = np.where(step > 0, np.round((sub + offset) / step), 0).clip(0, levels).astype(np.uint8)
    packed = np.concatenate([sc[:, :4] | ((sc[:, 4:] >> 4) << 6), m[:, :4] | ((m[:, 4:] >> 4) << 6),
                             (sc[:, 4:] & 0xF) | ((m[:, 4:] & 0xF) << 4)], -1)
    return d, dmin, packed, q.reshape(len(x), 256)


def _nibbles(q):  # 64-element chunks: low nibbles hold the first 32, high nibbles the next 32
    q = q.reshape(len(q), -1, 2, 32) & 0xF
    return (q[:, :, 0] | (q[:, :, 1] << 4)).reshape(len(q), -1)


def quantize_q4_k(x):
    d, dmin, scales, q = _k_scales_mins(x, 15)
    return np.concatenate([d.view(np.uint8).reshape(-1, 2), dmin.view(np.uint8).reshape(-1, 2), scales, _nibbles(q)], -1)


def quantize_q5_k(x):
    d, dmin, scales, q = _k_scales_mins(x, 31)
    high = ((q >> 4) & 1).reshape(len(q), 8, 32)
    qh = sum(high[:, s] << s for s in range(8)).astype(np.uint8)
    return np.concatenate([d.view(np.uint8).reshape(-1, 2), dmin.view(np.uint8).reshape(-1, 2), scales, qh, _nibbles(q)], -1)


def quantize_q6_k(x):
    """16 sub-blocks of 16 with signed 8-bit scales under an f16 d; 6-bit codes q - 32."""
    sub = x.reshape(len(x), 16, 16)
    peak = np.take_along_axis(sub, np.abs(sub).argmax(-1)[..., None], -1)[..., 0]
    scale = -peak / 32
    d = _f16(np.abs(scale).max(-1) / 127)
    df = d.astype(np.float32)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(df > 0, np.round(scale / df), 0).clip(-128, 127).astype(np.int8)
        step = (df * sc)[..., None]
        q = (np.where(step != 0, np.round(sub / step), 0).clip(-32, 31) + 32).astype(np.uint8).reshape(len(x), 256)
    low = (q & 0xF).reshape(len(q), 2, 2, 64)
    ql = (low[:, :, 0] | (low[:, :, 1] << 4)).reshape(len(q), 128)
    high = (q >> 4).reshape(len(q), 2, 4, 32)
    qh = (high[:, :, 0] | (high[:, :, 1] << 2) | (high[:, :, 2] << 4) | (high[:, :, 3] << 6)).reshape(len(q), 64)
    return np.concatenate([ql, qh, sc.view(np.uint8), d.view(np.uint8).reshape(-1, 2)], -1)


K_QUANTS = {T.Q4_K: quantize_q4_k, T.Q5_K: quantize_q5_k, T.Q6_K: quantize_q6_k}


def encode(x, qtype, f32=False):
    """x f32 [rows, cols] -> what GGUFWriter.add_tensor takes, checked by dequantizing it back;
    f32: those dequantized values as F32 instead (the same model without quantized matrices)."""
    if qtype == T.F32:
        return x.astype(np.float32), None
    if qtype == T.F16:
        return x.astype(np.float16).astype(np.float32 if f32 else np.float16), None
    shape, x2 = x.shape, x.reshape(-1, x.shape[-1])  # stacks of experts [experts, rows, cols] as rows
    if qtype in K_QUANTS:
        data = K_QUANTS[qtype](x2.reshape(-1, 256).astype(np.float32)).reshape(len(x2), -1)
    else:
        data = quantize(x2.astype(np.float32), qtype)
    data = data.reshape(*shape[:-1], -1)
    back = dequantize(data, qtype).reshape(x.shape)
    # Within a quantization step: the coarsest type here (4-bit) keeps 1/15 of a block's range.
    assert np.abs(back - x).max() <= np.abs(x).max() / 7, (qtype.name, np.abs(back - x).max())
    return (back.astype(np.float32), None) if f32 else (data, qtype)


# --- the models ----------------------------------------------------------------------------

def read_vocab(path):
    r = gguf.GGUFReader(path)
    f = lambda k: r.fields[k].contents()
    return {"pre": f("tokenizer.ggml.pre"), "tokens": list(f("tokenizer.ggml.tokens")),
            "types": list(f("tokenizer.ggml.token_type")), "merges": list(f("tokenizer.ggml.merges")),
            "bos": f("tokenizer.ggml.bos_token_id"), "eos": f("tokenizer.ggml.eos_token_id"),
            "add_bos": f("tokenizer.ggml.add_bos_token")}


def llama3_rope_factors(head_dim, base, factor=8.0, low=1.0, high=4.0, original_context=8192):
    """Llama 3.1's rope scaling as convert_hf_to_gguf.py stores it: one divisor per rotated pair."""
    freqs = base ** -(np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    wavelength = 2 * np.pi / freqs
    smooth = (original_context / wavelength - low) / (high - low)
    blended = 1 / ((1 - smooth) / factor + smooth)
    return np.where(wavelength < original_context / high, 1.0,
                    np.where(wavelength > original_context / low, factor, blended)).astype(np.float32)


def start_model(spec, path):
    """A GGUFWriter for `spec` at `path` holding its metadata (no tensors yet), and its vocabulary size."""
    vocab = read_vocab(HERE / "fixtures" / spec["vocab"])
    tokens = vocab["tokens"] + spec["extra_tokens"]
    types = vocab["types"] + [gguf.TokenType.CONTROL] * len(spec["extra_tokens"])
    n_vocab, dim, ff, hd = len(tokens), spec["dim"], spec["ff"], spec["head_dim"]
    arch = spec["arch"]

    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(spec["name"])
    w.add_context_length(4096)
    w.add_embedding_length(dim)
    w.add_block_count(spec["layers"])
    w.add_feed_forward_length(ff)
    w.add_head_count(spec["heads"])
    w.add_head_count_kv(spec["kv_heads"])
    w.add_layer_norm_rms_eps(spec["eps"])
    w.add_rope_freq_base(spec["rope_base"])
    if arch == "llama":  # Llama GGUFs say these; Qwen2 ones leave them to defaults
        w.add_vocab_size(n_vocab)
        w.add_rope_dimension_count(hd)
        w.add_key_length(hd)
        w.add_value_length(hd)
    elif spec.get("head_dim_keys"):  # Qwen3: heads * head_dim differs from dim
        w.add_key_length(hd)
        w.add_value_length(hd)
    moe = spec.get("moe")
    if moe:
        w.add_expert_count(moe["experts"])
        w.add_expert_used_count(moe["used"])
        if moe["ff_key"]:
            w.add_expert_feed_forward_length(moe["ff"])
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(vocab["pre"])
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(vocab["merges"])
    w.add_bos_token_id(vocab["bos"])
    w.add_eos_token_id(vocab["eos"])
    if arch == "qwen2":
        w.add_pad_token_id(vocab["bos"])
    w.add_add_bos_token(vocab["add_bos"])
    w.add_chat_template((TEMPLATES / spec["template"]).read_text())
    return w, n_vocab


def finish_model(w, path, n_vocab):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {path} ({path.stat().st_size} bytes, {n_vocab} tokens)")


def write_model(spec, path=None, f32=False):
    """Writes fixtures/<spec file>, or to `path`; f32: every matrix as the F32 values it holds."""
    rng = np.random.default_rng(spec["seed"])
    path = pathlib.Path(path or HERE / "fixtures" / spec["file"])
    w, n_vocab = start_model(spec, path)
    dim, ff, hd = spec["dim"], spec["ff"], spec["head_dim"]
    q_dim, kv_dim = spec["heads"] * hd, spec["kv_heads"] * hd
    moe = spec.get("moe")

    normal = lambda shape, std: (rng.standard_normal(shape) * std).astype(np.float32)
    linear = lambda rows, cols: normal((rows, cols), cols ** -0.5)  # unit-scale outputs
    norm = lambda: (1 + normal(dim, 0.1)).astype(np.float32)

    def add(name, x, qtype=T.F32):
        data, raw = encode(x, qtype, f32)
        w.add_tensor(name, data, raw_dtype=raw)

    # Output rows of unequal lengths, as in trained models: the favourite outruns the runner-up
    # by more than among rows of equal length. Tied: the embedding is also the output layer.
    head = lambda: normal((n_vocab, dim), 0.25) * np.exp(normal((n_vocab, 1), spec["row_spread"]))
    add("token_embd.weight", head() if spec["tied"] else normal((n_vocab, dim), 1.0), spec["embedding"])
    add("output_norm.weight", norm())
    if not spec["tied"]:
        add("output.weight", head(), spec["output"])
    if spec["rope_factors"]:
        add("rope_freqs.weight", llama3_rope_factors(hd, spec["rope_base"]))
    for l, types_ in enumerate(spec["blocks"]):
        p = f"blk.{l}."
        add(p + "attn_norm.weight", norm())
        add(p + "attn_q.weight", linear(q_dim, dim), types_["q"])
        add(p + "attn_k.weight", linear(kv_dim, dim), types_["k"])
        add(p + "attn_v.weight", linear(kv_dim, dim), types_["v"])
        if spec["bias"]:
            add(p + "attn_q.bias", normal(q_dim, 0.5))
            add(p + "attn_k.bias", normal(kv_dim, 0.5))
            add(p + "attn_v.bias", normal(kv_dim, 0.1))
        if spec.get("qk_norm"):  # per head (Qwen3) or across all of q and k (OLMoE)
            per_head = spec["qk_norm"] == "head"
            add(p + "attn_q_norm.weight", (1 + normal(hd if per_head else q_dim, 0.1)).astype(np.float32))
            add(p + "attn_k_norm.weight", (1 + normal(hd if per_head else kv_dim, 0.1)).astype(np.float32))
        add(p + "attn_output.weight", linear(dim, q_dim), types_["output"])
        add(p + "ffn_norm.weight", norm())
        if moe:  # the router's rows spread out so that choices are clear-cut
            e, eff = moe["experts"], moe["ff"]
            add(p + "ffn_gate_inp.weight", normal((e, dim), 2.0 * dim ** -0.5), types_["router"])
            add(p + "ffn_gate_exps.weight", np.stack([linear(eff, dim) for _ in range(e)]), types_["gate"])
            add(p + "ffn_up_exps.weight", np.stack([linear(eff, dim) for _ in range(e)]), types_["up"])
            add(p + "ffn_down_exps.weight", np.stack([linear(dim, eff) for _ in range(e)]), types_["down"])
            continue
        add(p + "ffn_gate.weight", linear(ff, dim), types_["gate"])
        add(p + "ffn_up.weight", linear(ff, dim), types_["up"])
        add(p + "ffn_down.weight", linear(dim, ff), types_["down"])
    finish_model(w, path, n_vocab)


def main():
    for spec in ALL:
        write_model(spec)


if __name__ == "__main__":
    main()
