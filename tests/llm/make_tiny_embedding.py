#!/usr/bin/env python3
"""Writes two tiny random-weight embedding models, tests/llm/fixtures/tiny_{bert,nomic_bert}.gguf,
laid out as llama.cpp's converter writes all-MiniLM / bge (arch `bert`: learned positions, q/k/v
and every projection with biases, post-norm LayerNorms, GELU) and nomic-embed-text (arch
`nomic-bert`: a fused attn_qkv, NeoX RoPE, SwiGLU, no biases), both with a WordPiece vocabulary
stored as the converter stores it (word-initial pieces prefixed with U+2581, "##" continuations
bare), and tests/llm/golden/tiny_embeddings.json: per model and text, llama.cpp's token ids, its
pooled embedding (CLS for the bert one, mean for the nomic one) and a float64 numpy forward pass
over the same dequantized weights (written here from the same description, the tight reference).

Run with the llama-cpp-python source package and a shared build of its llama.cpp:
    PYTHONPATH=.../llama_cpp_python-0.3.36 LLAMA_CPP_LIB_PATH=.../build/bin \\
    python3 tests/llm/make_tiny_embedding.py
"""
import json
import pathlib

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize

HERE = pathlib.Path(__file__).resolve().parent
SPACE = "\u2581"
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "cat", "sat", "on", "mat", "paris",
         "is", "capital", "of", "france", "a", "an", "and", "to", "in", "it", "what", "where", "cafe", "naive",
         "embedding", "model", "vector", "search", "document", "query", "hello", "world"]
PIECES = ["ing", "ed", "s", "er", "ly", "es", "tion", "un", "re"]
TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world! What is the capital of France?",
    "Paris is the capital of France.",
    "A cat sat on the mat; the dog jumped.",
    "Café naïve résumé: ÉLAN and ünusual wörds",
    "embedding-model vector search, 42 documents & 7 queries",
    "xyzzy plugh 12345",
]
SPECS = [
    {"file": "tiny_bert.gguf", "arch": "bert", "seed": 3001, "pooling": 2, "name": "Tiny BERT (random weights)"},
    {"file": "tiny_nomic_bert.gguf", "arch": "nomic-bert", "seed": 3002, "pooling": 1,
     "name": "Tiny nomic-bert (random weights)"},
]
DIM, LAYERS, HEADS, FF, CONTEXT, EPS = 64, 2, 4, 128, 128, 1e-12


def vocabulary():
    specials = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789") + list(".,!?;:-&'\"()")
    tokens = list(specials)
    tokens += [SPACE + c for c in chars] + chars  # every character, word-initial and continuing
    tokens += [t for t in dict.fromkeys([SPACE + w for w in WORDS] + PIECES) if t not in tokens]  # unique texts
    types = [gguf.TokenType.CONTROL] * len(specials) + [gguf.TokenType.NORMAL] * (len(tokens) - len(specials))
    return tokens, types


def write_model(spec, path):
    rng = np.random.default_rng(spec["seed"])
    tokens, types = vocabulary()
    arch, nomic = spec["arch"], spec["arch"] == "nomic-bert"
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(spec["name"])
    w.add_context_length(CONTEXT)
    w.add_embedding_length(DIM)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FF)
    w.add_head_count(HEADS)
    w.add_layer_norm_eps(EPS)
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType(spec["pooling"]))
    if nomic:
        w.add_rope_freq_base(1000.0)
    w.add_uint32("tokenizer.ggml.token_type_count", 2)
    w.add_tokenizer_model("bert")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_bos_token_id(101)
    w.add_sep_token_id(102)
    w.add_unk_token_id(100)
    w.add_pad_token_id(0)
    w.add_mask_token_id(103)

    normal = lambda shape, std: (rng.standard_normal(shape) * std).astype(np.float32)
    linear = lambda rows, cols: normal((rows, cols), cols ** -0.5)

    def add(name, x, qtype=T.F32):
        if qtype == T.F16:
            w.add_tensor(name, x.astype(np.float16))
        elif qtype == T.F32:
            w.add_tensor(name, x.astype(np.float32))
        else:
            w.add_tensor(name, gguf.quants.quantize(x, qtype), raw_dtype=qtype)

    add("token_embd.weight", normal((len(tokens), DIM), 1.0), T.F16)
    add("token_types.weight", normal((2, DIM), 0.5))
    if not nomic:
        add("position_embd.weight", normal((CONTEXT, DIM), 0.5))
    add("token_embd_norm.weight", 1 + normal(DIM, 0.1))
    add("token_embd_norm.bias", normal(DIM, 0.1))
    types_ = [T.Q8_0, T.F16]
    for l in range(LAYERS):
        p, q = f"blk.{l}.", types_[l % 2]
        if nomic:
            add(p + "attn_qkv.weight", linear(3 * DIM, DIM), q)
        else:
            for n in "qkv":
                add(p + f"attn_{n}.weight", linear(DIM, DIM), q)
                add(p + f"attn_{n}.bias", normal(DIM, 0.2))
        add(p + "attn_output.weight", linear(DIM, DIM), q)
        if not nomic:
            add(p + "attn_output.bias", normal(DIM, 0.1))
        add(p + "attn_output_norm.weight", 1 + normal(DIM, 0.1))
        add(p + "attn_output_norm.bias", normal(DIM, 0.1))
        add(p + "ffn_up.weight", linear(FF, DIM), q)
        if nomic:
            add(p + "ffn_gate.weight", linear(FF, DIM), q)
        else:
            add(p + "ffn_up.bias", normal(FF, 0.2))
        add(p + "ffn_down.weight", linear(DIM, FF), q)
        if not nomic:
            add(p + "ffn_down.bias", normal(DIM, 0.1))
        add(p + "layer_output_norm.weight", 1 + normal(DIM, 0.1))
        add(p + "layer_output_norm.bias", normal(DIM, 0.1))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {path} ({path.stat().st_size} bytes)")


class Reference:
    """float64 forward pass of the two architectures as llama.cpp builds them (bert.cpp)."""

    def __init__(self, path):
        r = gguf.GGUFReader(str(path))
        self.t = {t.name: t for t in r.tensors}
        self.arch = r.fields["general.architecture"].contents()
        self.pooling = r.fields[f"{self.arch}.pooling_type"].contents()

    def w(self, name):
        t = self.t[name]
        return dequantize(t.data, t.tensor_type).astype(np.float64).reshape([int(x) for x in reversed(t.shape)])

    def has(self, name):
        return name in self.t

    @staticmethod
    def norm(x, g, b):
        mu = x.mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + EPS) * g + b

    def linear(self, x, name):
        y = x @ self.w(name + ".weight").T
        return y + self.w(name + ".bias") if self.has(name + ".bias") else y

    def rope(self, x):  # NeoX pairs (i, i + hd/2), base 1000
        n, hd = len(x), x.shape[-1]
        ang = np.arange(n)[:, None] * 1000.0 ** (-np.arange(hd // 2) * 2.0 / hd)[None, :]
        c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        a, b = x[..., : hd // 2], x[..., hd // 2:]
        return np.concatenate([a * c - b * s, a * s + b * c], -1)

    def embed(self, ids):
        n, hd = len(ids), DIM // HEADS
        x = self.w("token_embd.weight")[ids] + self.w("token_types.weight")[0]
        if self.has("position_embd.weight"):
            x = x + self.w("position_embd.weight")[:n]
        x = self.norm(x, self.w("token_embd_norm.weight"), self.w("token_embd_norm.bias"))
        gelu = lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))  # ggml_gelu
        silu = lambda z: z / (1 + np.exp(-z))
        for l in range(LAYERS):
            p = f"blk.{l}."
            if self.has(p + "attn_qkv.weight"):
                q, k, v = np.split(x @ self.w(p + "attn_qkv.weight").T, 3, axis=-1)
            else:
                q, k, v = (self.linear(x, p + f"attn_{c}") for c in "qkv")
            q, k, v = (t.reshape(n, HEADS, hd) for t in (q, k, v))
            if self.arch == "nomic-bert":
                q, k = self.rope(q), self.rope(k)
            out = np.zeros((n, HEADS, hd))
            for h in range(HEADS):
                s = q[:, h] @ k[:, h].T / np.sqrt(hd)
                s = np.exp(s - s.max(-1, keepdims=True))
                out[:, h] = (s / s.sum(-1, keepdims=True)) @ v[:, h]
            o = self.linear(out.reshape(n, DIM), p + "attn_output")
            x = self.norm(x + o, self.w(p + "attn_output_norm.weight"), self.w(p + "attn_output_norm.bias"))
            if self.has(p + "ffn_gate.weight"):
                h_ = silu(x @ self.w(p + "ffn_gate.weight").T) * (x @ self.w(p + "ffn_up.weight").T)
            else:
                h_ = gelu(self.linear(x, p + "ffn_up"))
            y = self.linear(h_, p + "ffn_down")
            x = self.norm(x + y, self.w(p + "layer_output_norm.weight"), self.w(p + "layer_output_norm.bias"))
        return x[0] if self.pooling == 2 else x.mean(0)  # CLS or mean


def main():
    import llama_cpp

    golden = {"reference": "make_tiny_embedding.py Reference (numpy float64)",
              "llamacpp": "llama.cpp CPU (llama-cpp-python 0.3.36), Llama(embedding=True).embed, not normalized",
              "models": []}
    for spec in SPECS:
        path = HERE / "fixtures" / spec["file"]
        write_model(spec, path)
        llm = llama_cpp.Llama(model_path=str(path), embedding=True, n_ctx=CONTEXT, n_batch=CONTEXT, verbose=False)
        ref = Reference(path)
        cases = []
        for text in TEXTS:
            ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
            mine = ref.embed(ids)
            theirs = np.array(llm.embed(text, normalize=False), dtype=np.float64)
            diff = float(np.abs(mine - theirs).max())
            cos = float(mine @ theirs / np.linalg.norm(mine) / np.linalg.norm(theirs))
            assert cos > 0.9999, f"{spec['arch']} {text!r}: llama.cpp's embedding is {cos} from the reference"
            print(f"{spec['arch']:10} {len(ids):3} ids  largest difference from llama.cpp {diff:.2e}  cosine {cos:.7f}")
            cases.append({"text": text, "ids": [int(i) for i in ids],
                          "embedding": [round(float(v), 6) for v in mine],
                          "llamacpp_embedding": [round(float(v), 6) for v in theirs],
                          "llamacpp_max_diff": float(f"{diff:.2g}")})
        golden["models"].append({"model": f"fixtures/{spec['file']}", "arch": spec["arch"],
                                 "pooling": "cls" if spec["pooling"] == 2 else "mean", "cases": cases})
    target = HERE / "golden" / "tiny_embeddings.json"
    target.write_text(json.dumps(golden, ensure_ascii=False) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
