#!/usr/bin/env python3
"""An independent float64 forward pass in numpy over a GGUF (weights dequantized by the `gguf`
package) for the architectures Atelier runs, written from their descriptions and from what
llama.cpp does at inference: the exact-arithmetic reference Atelier's logits are held to.

- llama: RMSNorm, RoPE on (2i, 2i+1) pairs ("normal": llama.cpp's converter permutes q and k so
  that this equals Hugging Face's rotate-half on the original weights; hf_layout=True undoes the
  permutation and rotates halves, to check that claim), optional rope_freqs divisors (Llama 3.1
  scaling), grouped-query attention, SwiGLU, output.weight or the tied embedding.
- qwen2: as llama, plus biases on q, k and v, and RoPE on (i, i + headDim/2) pairs (NeoX).
- qwen3: as qwen2 without biases, RMSNorm on each q/k head; qwen3moe: its mixture of experts
  (softmax router, the top expert_used_count, weights divided by their sum); olmoe: RMSNorm across
  all of q and all of k, NeoX RoPE, experts' weights not divided by their sum; llama with
  ffn_gate_inp: Mixtral's experts (divided by their sum).
- gemma3: NeoX RoPE, embeddings times sqrt(dim), RMSNorm on each q/k head, norms after attention
  and after the FFN, GELU (tanh) gating, five sliding-window layers (RoPE base 10000) per global
  one, tied output.

    from reference_llm import Transformer
    model = Transformer("model.gguf"); logits = model.forward([1, 2, 3]); model.reset()
"""
import gguf
import numpy as np
from gguf.quants import dequantize


class Transformer:
    def __init__(self, path, hf_layout=False):
        self.r = gguf.GGUFReader(path)
        self.t = {t.name: t for t in self.r.tensors}
        self.arch = self.r.fields["general.architecture"].contents()
        f = lambda k, default=None: self.r.fields[f"{self.arch}.{k}"].contents() if f"{self.arch}.{k}" in self.r.fields else default
        self.dim, self.layers = f("embedding_length"), f("block_count")
        self.heads = f("attention.head_count")
        self.kv_heads = f("attention.head_count_kv", self.heads)
        self.hd = f("attention.key_length", self.dim // self.heads)
        self.eps = f("attention.layer_norm_rms_epsilon", 1e-5)
        self.base = f("rope.freq_base", 10000.0)
        self.gemma = self.arch == "gemma3"
        self.neox = self.arch in ("qwen2", "gemma3", "qwen3", "qwen3moe", "olmoe")
        self.used = f("expert_used_count", 0)
        self.normalize_experts = self.arch != "olmoe"  # as llama.cpp's build_moe_ffn is called per arch
        self.expert_scale = f("expert_weights_scale", 0.0) or 1.0
        self.window = f("attention.sliding_window", 0) if self.gemma else 0
        self.base_local = f("rope.freq_base_swa", 10000.0)
        self.hf_layout = hf_layout and self.arch == "llama"
        self.cache = {}
        self.factors = self.w("rope_freqs.weight") if "rope_freqs.weight" in self.t else np.ones(self.hd // 2)
        self.reset()

    def w(self, name):
        if name not in self.cache:
            t = self.t[name]
            a = dequantize(t.data, t.tensor_type).astype(np.float64)
            a = a.reshape([int(x) for x in reversed(t.shape)])
            if self.hf_layout and name.endswith(("attn_q.weight", "attn_k.weight")):
                a = self.unpermute(a)
            self.cache[name] = a
        return self.cache[name]

    def has(self, name):
        return name in self.t

    def unpermute(self, a):
        """Undoes convert_hf_to_gguf.py's LlamaModel.permute: per head, rows (2i, 2i+1) return to
        (i, i + headDim/2)."""
        heads = a.shape[0] // self.hd
        return a.reshape(heads, self.hd // 2, 2, -1).swapaxes(1, 2).reshape(a.shape)

    def reset(self):
        self.k = [np.zeros((0, self.kv_heads, self.hd)) for _ in range(self.layers)]
        self.v = [np.zeros((0, self.kv_heads, self.hd)) for _ in range(self.layers)]

    def rms(self, x, w):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps) * w

    def rope(self, x, pos, base):
        half = self.hd // 2
        ang = pos[:, None] * base ** (-np.arange(half) * 2.0 / self.hd)[None, :] / self.factors[None, :]
        c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        if self.neox or self.hf_layout:  # dimension i pairs with i + hd/2
            a, b = x[..., :half], x[..., half:]
            return np.concatenate([a * c - b * s, a * s + b * c], -1)
        a, b = x[..., 0::2], x[..., 1::2]  # normal: dimension 2i pairs with 2i + 1
        return np.stack([a * c - b * s, a * s + b * c], -1).reshape(x.shape)

    def project(self, h, name, heads):
        y = h @ self.w(name + ".weight").T
        if self.has(name + ".bias"):
            y = y + self.w(name + ".bias")
        return y.reshape(len(h), heads, self.hd)

    def forward(self, ids):
        """Appends ids to the context; returns the last token's logits."""
        return self.run(self.w("token_embd.weight")[ids] * (np.sqrt(self.dim) if self.gemma else 1.0))

    def forward_embeddings(self, x, causal=True):
        """Appends rows given as embeddings (a picture's, not scaled); causal False: they see each
        other both ways (llama.cpp decodes Gemma 3's pictures so), within the sliding window."""
        return self.run(np.asarray(x, dtype=np.float64), causal)

    def run(self, x, causal=True):
        n, start = len(x), self.k[0].shape[0]
        pos = np.arange(start, start + n, dtype=np.float64)
        gelu = lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))
        silu = lambda z: z / (1 + np.exp(-z))
        for l in range(self.layers):
            p, sliding = f"blk.{l}.", self.window > 0 and l % 6 < 5
            h = self.rms(x, self.w(p + "attn_norm.weight"))
            q = self.project(h, p + "attn_q", self.heads)
            k = self.project(h, p + "attn_k", self.kv_heads)
            v = self.project(h, p + "attn_v", self.kv_heads)
            if self.has(p + "attn_q_norm.weight"):
                qn, kn = self.w(p + "attn_q_norm.weight"), self.w(p + "attn_k_norm.weight")
                if len(qn) == self.hd:  # each head (gemma3, qwen3)
                    q, k = self.rms(q, qn), self.rms(k, kn)
                else:  # all of q and all of k at once (olmoe)
                    q = self.rms(q.reshape(n, -1), qn).reshape(q.shape)
                    k = self.rms(k.reshape(n, -1), kn).reshape(k.shape)
            base = self.base_local if sliding else self.base
            q, k = self.rope(q, pos, base), self.rope(k, pos, base)
            self.k[l] = np.concatenate([self.k[l], k]); self.v[l] = np.concatenate([self.v[l], v])
            kpos = np.arange(self.k[l].shape[0], dtype=np.float64)
            mask = kpos[None, :] <= (pos[:, None] if causal else np.full((n, 1), pos[-1]))
            if sliding:
                mask &= pos[:, None] - kpos[None, :] < self.window
            out = np.zeros((n, self.heads, self.hd))
            for hh in range(self.heads):
                kh = hh // (self.heads // self.kv_heads)
                s = np.where(mask, q[:, hh] @ self.k[l][:, kh].T / np.sqrt(self.hd), -np.inf)
                s = np.exp(s - s.max(-1, keepdims=True))
                out[:, hh] = (s / s.sum(-1, keepdims=True)) @ self.v[l][:, kh]
            o = out.reshape(n, -1) @ self.w(p + "attn_output.weight").T
            if self.has(p + "post_attention_norm.weight"):
                o = self.rms(o, self.w(p + "post_attention_norm.weight"))
            x = x + o
            h = self.rms(x, self.w(p + "ffn_norm.weight"))
            act = gelu if self.gemma else silu
            if self.has(p + "ffn_gate_inp.weight"):
                d = self.experts(p, h, act)
            else:
                g = act(h @ self.w(p + "ffn_gate.weight").T) * (h @ self.w(p + "ffn_up.weight").T)
                d = g @ self.w(p + "ffn_down.weight").T
            if self.has(p + "post_ffw_norm.weight"):
                d = self.rms(d, self.w(p + "post_ffw_norm.weight"))
            x = x + d
        head = self.w("output.weight") if self.has("output.weight") else self.w("token_embd.weight")
        return head @ self.rms(x[-1], self.w("output_norm.weight"))

    def route(self, p, h):
        """Each token's experts (the `used` largest of the router's softmax, lower index first among
        equals) and their weights: divided by their sum unless olmoe, times expert_weights_scale."""
        logits = h @ self.w(p + "ffn_gate_inp.weight").T
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        chosen = np.argsort(-probs, axis=-1, kind="stable")[:, :self.used]
        weights = np.take_along_axis(probs, chosen, -1)
        if self.normalize_experts:
            weights = weights / np.maximum(weights.sum(-1, keepdims=True), 6.103515625e-5)
        return chosen, weights * self.expert_scale

    def experts(self, p, h, act):
        """A mixture of experts: the chosen experts' gated FFNs, weighted and summed."""
        gate, up, down = (self.w(p + f"ffn_{n}_exps.weight") for n in ("gate", "up", "down"))
        chosen, weights = self.route(p, h)
        out = np.zeros_like(h)
        for t in range(len(h)):
            for e, wt in zip(chosen[t], weights[t]):
                out[t] += wt * (down[e] @ (act(gate[e] @ h[t]) * (up[e] @ h[t])))
        return out

    def greedy(self, logits, count):
        """Greedy continuation: `count` tokens, the smallest gap between the chosen logit and the
        runner-up on the way (how robust the choices are to rounding), and the logits after the
        last token."""
        tokens, margin = [], np.inf
        for _ in range(count):
            top2 = np.sort(logits)[-2:]
            margin = min(margin, top2[1] - top2[0])
            tokens.append(int(np.argmax(logits)))
            logits = self.forward([tokens[-1]])
        return tokens, float(margin), logits
