#!/usr/bin/env python3
"""An independent float64 Gemma 3 forward pass in numpy over a GGUF (weights dequantized by the
`gguf` package), written from the architecture's description: the exact-arithmetic reference
that Atelier's logits are held to. llama.cpp's CPU backend differs from it by up to ~1.8 in the
logits (it quantizes activations to 8 bits for quantized dot products), so it is only a loose,
second reference.

    python3 tests/llm/reference_gemma3.py MODEL.gguf    # adds f64 results to golden/gemma3_logits.json
"""
import json
import pathlib
import sys

import gguf
import numpy as np
from gguf.quants import dequantize


class Gemma3:
    def __init__(self, path):
        self.r = gguf.GGUFReader(path)
        self.t = {t.name: t for t in self.r.tensors}
        f = lambda k: self.r.fields["gemma3." + k].contents()
        self.dim, self.layers = f("embedding_length"), f("block_count")
        self.heads, self.kv_heads, self.hd = f("attention.head_count"), f("attention.head_count_kv"), f("attention.key_length")
        self.eps, self.window = f("attention.layer_norm_rms_epsilon"), f("attention.sliding_window")
        self.base = f("rope.freq_base")
        self.cache = {}
        self.reset()

    def w(self, name):
        if name not in self.cache:
            t = self.t[name]
            a = dequantize(t.data, t.tensor_type).astype(np.float64)
            self.cache[name] = a.reshape([int(x) for x in reversed(t.shape)])
        return self.cache[name]

    def reset(self):
        self.k = [np.zeros((0, self.kv_heads, self.hd)) for _ in range(self.layers)]
        self.v = [np.zeros((0, self.kv_heads, self.hd)) for _ in range(self.layers)]

    def rms(self, x, w):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps) * w

    def rope(self, x, pos, base):  # NeoX: dimension i pairs with i + hd/2
        half = self.hd // 2
        ang = pos[:, None] * base ** (-np.arange(half) * 2.0 / self.hd)[None, :]
        c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        a, b = x[..., :half], x[..., half:]
        return np.concatenate([a * c - b * s, a * s + b * c], -1)

    def forward(self, ids):
        """Appends ids to the context; returns the last token's logits."""
        n, start = len(ids), self.k[0].shape[0]
        pos = np.arange(start, start + n, dtype=np.float64)
        x = self.w("token_embd.weight")[ids] * np.sqrt(self.dim)
        gelu = lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))
        for l in range(self.layers):
            p, sliding = f"blk.{l}.", l % 6 < 5
            h = self.rms(x, self.w(p + "attn_norm.weight"))
            q = self.rms((h @ self.w(p + "attn_q.weight").T).reshape(n, self.heads, self.hd), self.w(p + "attn_q_norm.weight"))
            k = self.rms((h @ self.w(p + "attn_k.weight").T).reshape(n, self.kv_heads, self.hd), self.w(p + "attn_k_norm.weight"))
            v = (h @ self.w(p + "attn_v.weight").T).reshape(n, self.kv_heads, self.hd)
            base = 10000.0 if sliding else self.base
            q, k = self.rope(q, pos, base), self.rope(k, pos, base)
            self.k[l] = np.concatenate([self.k[l], k]); self.v[l] = np.concatenate([self.v[l], v])
            kpos = np.arange(self.k[l].shape[0], dtype=np.float64)
            mask = kpos[None, :] <= pos[:, None]
            if sliding:
                mask &= pos[:, None] - kpos[None, :] < self.window
            out = np.zeros((n, self.heads, self.hd))
            for hh in range(self.heads):
                kh = hh // (self.heads // self.kv_heads)
                s = np.where(mask, q[:, hh] @ self.k[l][:, kh].T / np.sqrt(self.hd), -np.inf)
                s = np.exp(s - s.max(-1, keepdims=True))
                out[:, hh] = (s / s.sum(-1, keepdims=True)) @ self.v[l][:, kh]
            x = x + self.rms(out.reshape(n, -1) @ self.w(p + "attn_output.weight").T, self.w(p + "post_attention_norm.weight"))
            h = self.rms(x, self.w(p + "ffn_norm.weight"))
            g = gelu(h @ self.w(p + "ffn_gate.weight").T) * (h @ self.w(p + "ffn_up.weight").T)
            x = x + self.rms(g @ self.w(p + "ffn_down.weight").T, self.w(p + "post_ffw_norm.weight"))
        return self.w("token_embd.weight") @ self.rms(x[-1], self.w("output_norm.weight"))


def main():
    model = Gemma3(sys.argv[1])
    path = pathlib.Path(__file__).parent / "golden" / "gemma3_logits.json"
    golden = json.loads(path.read_text())
    for case in golden["cases"]:
        model.reset()
        logits = model.forward(case["ids"])
        case["f64_top_logits"] = [round(float(logits[i]), 5) for i in case["top_ids"]]
        case["f64_fixed_logits"] = [round(float(logits[i]), 5) for i in golden["fixed_ids"]]
        greedy = []
        for _ in range(32):
            greedy.append(int(np.argmax(logits)))
            logits = model.forward([greedy[-1]])
        case["f64_greedy"] = greedy
        print(case["name"], "greedy matches llama.cpp for", next((i for i, (a, b) in enumerate(zip(greedy, case["greedy"])) if a != b), 32), "tokens")
    golden["f64_reference"] = "tests/llm/reference_gemma3.py (numpy float64)"
    path.write_text(json.dumps(golden, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
