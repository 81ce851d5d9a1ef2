#!/usr/bin/env python3
"""Writes a tiny random-weight Gemma 3 with a vision projector, and the goldens that hold
Atelier's vision path to a float64 reference and to llama.cpp's mtmd:

- fixtures/tiny_gemma3.gguf: a Gemma 3 text model (6 layers so that the sixth is global and the
  others slide over a window of 24, dim 128, 4 query heads of 32 sharing 2 KV heads, q/k norms,
  norms after attention and FFN, GELU GLU, embeddings times sqrt(dim)) on tiny_llama's byte-level
  BPE vocabulary plus Gemma's turn and image tokens, with the Gemma 3 template.
- fixtures/tiny_gemma3_mmproj.gguf: its projector as llama.cpp's converter writes Gemma 3's
  (`clip.projector_type` gemma3): a SigLIP ViT (32x32 pictures in 4x4 patches, dim 64, 2 layers,
  4 heads, pre-norm LayerNorm blocks with biases, tanh GELU), then 2x2 average pooling of the 8x8
  patch grid (16 picture tokens), RMSNorm (mm.soft_emb_norm) and the input projection to 128.
- fixtures/tiny_vision_square.png (32x32, the encoder's own size) and tiny_vision_wide.png
  (48x20: resized into 32x32 with Pillow's bilinear filter, centred on black, as llama.cpp does).
- golden/tiny_vision.json: per picture, the 16 x 128 picture embeddings from the float64
  reference (this file), and llama.cpp's; the logits after a prompt with the square picture inside
  (text, <start_of_image>, 16 picture embeddings attending to each other both ways, as llama.cpp
  decodes Gemma 3's pictures, <end_of_image>, text), and the greedy continuation.

llama.cpp is the one ../shared/anchors builds from the llama-cpp-python 0.3.36 sdist, with its
shared libraries (libllama, libmtmd) built for Python:
    PYTHONPATH=$SDIST LLAMA_CPP_LIB_PATH=$BUILD/bin MTMD_CPP_LIB=$BUILD/bin python3 tests/llm/make_tiny_vision.py
"""
import ctypes
import json
import pathlib
import sys
import tempfile

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_tiny_models as tiny  # noqa: E402
from reference_llm import Transformer  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
TEXT_FILE, PROJECTOR_FILE = FIXTURES / "tiny_gemma3.gguf", FIXTURES / "tiny_gemma3_mmproj.gguf"
GREEDY_TOKENS = 16
CHAT_QUESTION = "What colour is the square?"

TEXT = {"dim": 128, "layers": 6, "heads": 4, "kv_heads": 2, "head_dim": 32, "ff": 256, "window": 24,
        "eps": 1e-6, "rope_base": 1e6, "rope_base_local": 1e4}
VISION = {"image_size": 32, "patch": 4, "dim": 64, "ff": 128, "layers": 2, "heads": 4, "eps": 1e-6, "merge": 2,
          "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
EXTRA_TOKENS = ["<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>"]
# Long enough before the picture that the sliding layers' window (24) cuts into it.
PROMPT = ("A picture, described: the quick brown fox jumps over the lazy dog, and then the dog "
          "barks back at it. <__media__> What colour is the square in the middle?")


def write_text_model(rng, path=TEXT_FILE, f32=False):
    """f32: every matrix as the F32 values it holds (llama.cpp then does not quantize activations)."""
    vocab = tiny.read_vocab(FIXTURES / "bpe_llama3.gguf")
    tokens = vocab["tokens"] + EXTRA_TOKENS
    types = vocab["types"] + [gguf.TokenType.CONTROL] * len(EXTRA_TOKENS)
    c = TEXT
    n_vocab, dim, hd = len(tokens), c["dim"], c["head_dim"]
    w = gguf.GGUFWriter(str(path), "gemma3")
    w.add_name("Tiny Gemma 3 with vision (random weights)")
    w.add_context_length(4096)
    w.add_embedding_length(dim)
    w.add_block_count(c["layers"])
    w.add_feed_forward_length(c["ff"])
    w.add_head_count(c["heads"])
    w.add_head_count_kv(c["kv_heads"])
    w.add_key_length(hd)
    w.add_value_length(hd)
    w.add_layer_norm_rms_eps(c["eps"])
    w.add_rope_freq_base(c["rope_base"])
    w.add_float32("gemma3.rope.freq_base_swa", c["rope_base_local"])
    w.add_sliding_window(c["window"])
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(vocab["pre"])
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(vocab["merges"])
    w.add_bos_token_id(vocab["bos"])
    w.add_eos_token_id(tokens.index("<end_of_turn>"))
    w.add_add_bos_token(True)
    w.add_chat_template((tiny.TEMPLATES / "gemma-3.jinja").read_text())

    normal = lambda shape, std: (rng.standard_normal(shape) * std).astype(np.float32)
    linear = lambda rows, cols: normal((rows, cols), cols ** -0.5)
    norm = lambda n=dim: (1 + normal(n, 0.1)).astype(np.float32)
    add = lambda name, x, qtype=T.F32: w.add_tensor(name, *_encoded(x, qtype, f32))
    head = normal((n_vocab, dim), 0.25) * np.exp(normal((n_vocab, 1), 0.5))
    add("token_embd.weight", head / np.sqrt(dim) * 4, T.Q8_0)  # Gemma scales the rows up by sqrt(dim)
    add("output_norm.weight", norm())
    q_dim, kv_dim = c["heads"] * hd, c["kv_heads"] * hd
    kinds = [T.Q8_0, T.F16, T.Q4_0, T.Q8_0, T.F16, T.Q5_0]
    for l in range(c["layers"]):
        p, qt = f"blk.{l}.", kinds[l]
        add(p + "attn_norm.weight", norm())
        add(p + "attn_q.weight", linear(q_dim, dim), qt)
        add(p + "attn_k.weight", linear(kv_dim, dim), qt)
        add(p + "attn_v.weight", linear(kv_dim, dim), qt)
        add(p + "attn_q_norm.weight", norm(hd))
        add(p + "attn_k_norm.weight", norm(hd))
        add(p + "attn_output.weight", linear(dim, q_dim), qt)
        add(p + "post_attention_norm.weight", norm())
        add(p + "ffn_norm.weight", norm())
        add(p + "ffn_gate.weight", linear(c["ff"], dim), qt)
        add(p + "ffn_up.weight", linear(c["ff"], dim), qt)
        add(p + "ffn_down.weight", linear(dim, c["ff"]), T.F16)
        add(p + "post_ffw_norm.weight", norm())
    _finish(w, path)


def write_projector(rng):
    v, text_dim = VISION, TEXT["dim"]
    e, ff, pt = v["dim"], v["ff"], v["patch"]
    patches = (v["image_size"] // pt) ** 2
    w = gguf.GGUFWriter(str(PROJECTOR_FILE), "clip")
    w.add_name("Tiny Gemma 3 vision projector (random weights)")
    w.add_bool("clip.has_vision_encoder", True)
    w.add_string("clip.projector_type", "gemma3")
    w.add_bool("clip.use_gelu", True)
    w.add_uint32("clip.vision.image_size", v["image_size"])
    w.add_uint32("clip.vision.patch_size", pt)
    w.add_uint32("clip.vision.embedding_length", e)
    w.add_uint32("clip.vision.feed_forward_length", ff)
    w.add_uint32("clip.vision.block_count", v["layers"])
    w.add_uint32("clip.vision.projection_dim", text_dim)
    w.add_uint32("clip.vision.attention.head_count", v["heads"])
    w.add_float32("clip.vision.attention.layer_norm_epsilon", v["eps"])
    w.add_array("clip.vision.image_mean", v["mean"])
    w.add_array("clip.vision.image_std", v["std"])
    w.add_uint32("clip.vision.projector.scale_factor", v["merge"])

    normal = lambda shape, std: (rng.standard_normal(shape) * std).astype(np.float32)
    linear = lambda rows, cols: normal((rows, cols), cols ** -0.5)
    add = lambda name, x, qtype=T.F32: w.add_tensor(name, *_encoded(x, qtype))
    write_vit(w, v, add, normal, linear)
    add("mm.soft_emb_norm.weight", (1 + normal(e, 0.1)).astype(np.float32))
    # [vision dim, text dim] as Hugging Face keeps it (x @ W); GGUF's ne is the reverse.
    add("mm.input_projection.weight", normal((e, text_dim), e ** -0.5), T.F16)
    _finish(w, PROJECTOR_FILE)


def write_vit(w, v, add, normal, linear):
    """The SigLIP tensors llama.cpp's converter writes (v.*): patch embedding, positions, pre-norm
    blocks with biases, the last LayerNorm; random, in the order the fixtures were made with."""
    e, ff, pt = v["dim"], v["ff"], v["patch"]
    patches = (v["image_size"] // pt) ** 2
    add("v.patch_embd.weight", normal((e, 3, pt, pt), (3 * pt * pt) ** -0.5), T.F16)
    add("v.patch_embd.bias", normal(e, 0.1))
    add("v.position_embd.weight", normal((patches, e), 0.5))
    for l in range(v["layers"]):
        p = f"v.blk.{l}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            add(p + name + ".weight", linear(e, e), T.F16)
            add(p + name + ".bias", normal(e, 0.1))
        for name in ("ln1", "ln2"):
            add(p + name + ".weight", (1 + normal(e, 0.1)).astype(np.float32))
            add(p + name + ".bias", normal(e, 0.1))
        add(p + "ffn_up.weight", linear(ff, e), T.F16)
        add(p + "ffn_up.bias", normal(ff, 0.1))
        add(p + "ffn_down.weight", linear(e, ff), T.F16)
        add(p + "ffn_down.bias", normal(e, 0.1))
    add("v.post_ln.weight", (1 + normal(e, 0.1)).astype(np.float32))
    add("v.post_ln.bias", normal(e, 0.1))


def _encoded(x, qtype, f32=False):
    data, raw = tiny.encode(x, qtype, f32)
    return (data,) if raw is None else (data, None, raw)


def _finish(w, path):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def write_pictures():
    """A square picture at the encoder's size and a wide one it must resize and pad."""
    y, x = np.mgrid[0:32, 0:32]
    square = np.stack([x * 8, y * 8, 128 + 0 * x], -1).astype(np.uint8)
    square[10:22, 10:22] = (220, 30, 40)
    Image.fromarray(square).save(FIXTURES / "tiny_vision_square.png")
    y, x = np.mgrid[0:20, 0:48]
    wide = np.stack([x * 5, 255 - y * 12, (x * y) % 256], -1).astype(np.uint8)
    wide[4:16, 30:42] = (20, 200, 60)
    Image.fromarray(wide).save(FIXTURES / "tiny_vision_wide.png")


# --- the float64 reference -----------------------------------------------------------------

def tensor(reader, name):
    t = next(t for t in reader.tensors if t.name == name)
    return gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float64).reshape([int(s) for s in reversed(t.shape)])


def preprocess(path):
    """RGB in [0, 255] at the encoder's size: resized keeping the aspect ratio with Pillow's
    bilinear filter (sizes rounded up), centred on black; then (x / 255 - mean) / std."""
    img, size = Image.open(path).convert("RGB"), VISION["image_size"]
    if img.size != (size, size):
        scale = min(size / img.width, size / img.height)
        w, h = min(int(np.ceil(img.width * scale)), size), min(int(np.ceil(img.height * scale)), size)
        canvas = Image.new("RGB", (size, size), (0, 0, 0))
        canvas.paste(img.resize((w, h), Image.BILINEAR), ((size - w) // 2, (size - h) // 2))
        img = canvas
    a = np.asarray(img, dtype=np.float64) / 255.0
    return (a - np.array(VISION["mean"])) / np.array(VISION["std"])  # [h, w, 3]


def encode_picture(path):
    r, v = gguf.GGUFReader(str(PROJECTOR_FILE)), VISION
    x = vit(r, v, preprocess(path))
    g, e, m = v["image_size"] // v["patch"], v["dim"], v["merge"]
    pooled = x.reshape(g // m, m, g // m, m, e).mean((1, 3)).reshape(-1, e)
    normed = pooled / np.sqrt((pooled ** 2).mean(-1, keepdims=True) + v["eps"]) * tensor(r, "mm.soft_emb_norm.weight")
    return normed @ tensor(r, "mm.input_projection.weight")  # [tokens, text dim]


def vit(r, v, a):
    """The SigLIP encoder of projector file `r` (config v) on a normalised [size, size, 3] picture:
    [patches, dim] after its last LayerNorm."""
    pt, e, heads = v["patch"], v["dim"], v["heads"]
    g = v["image_size"] // pt
    # Patch (py, px) in row-major order, its values in (channel, y, x) order as the conv weight.
    cols = a.reshape(g, pt, g, pt, 3).transpose(0, 2, 4, 1, 3).reshape(g * g, 3 * pt * pt)
    x = cols @ tensor(r, "v.patch_embd.weight").reshape(e, -1).T + tensor(r, "v.patch_embd.bias")
    x = x + tensor(r, "v.position_embd.weight")
    ln = lambda z, n: ((z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + v["eps"])
                       * tensor(r, n + ".weight") + tensor(r, n + ".bias"))
    lin = lambda z, n: z @ tensor(r, n + ".weight").T + tensor(r, n + ".bias")
    gelu = lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))
    hd = e // heads
    for l in range(v["layers"]):
        p = f"v.blk.{l}."
        h = ln(x, p + "ln1")
        q, k, vv = (lin(h, p + n).reshape(-1, heads, hd) for n in ("attn_q", "attn_k", "attn_v"))
        out = np.zeros_like(q)
        for hh in range(heads):
            s = q[:, hh] @ k[:, hh].T / np.sqrt(hd)
            s = np.exp(s - s.max(-1, keepdims=True))
            out[:, hh] = (s / s.sum(-1, keepdims=True)) @ vv[:, hh]
        x = x + lin(out.reshape(len(x), e), p + "attn_out")
        x = x + lin(gelu(lin(ln(x, p + "ln2"), p + "ffn_up")), p + "ffn_down")
    return ln(x, "v.post_ln")


# --- llama.cpp (mtmd) ------------------------------------------------------------------------

class Mtmd:
    def __init__(self, text_file=TEXT_FILE, projector_file=PROJECTOR_FILE):
        import llama_cpp
        import llama_cpp.mtmd_cpp as mtmd
        self.llama, self.mtmd = llama_cpp, mtmd
        llama_cpp.llama_backend_init()
        params = llama_cpp.llama_model_default_params()
        self.model = llama_cpp.llama_model_load_from_file(str(text_file).encode(), params)
        cp = mtmd.mtmd_context_params_default()
        cp.use_gpu, cp.n_threads, cp.print_timings = False, 2, False
        self.ctx = mtmd.mtmd_init_from_file(str(projector_file).encode(), self.model, cp)
        assert self.ctx, "mtmd could not load the projector"
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)

    def chunks(self, text, pictures, add_special=True):
        m = self.mtmd
        bitmaps = []
        for path in pictures:
            img = Image.open(path).convert("RGB")
            buf = (ctypes.c_uint8 * (img.width * img.height * 3)).from_buffer_copy(img.tobytes())
            bitmaps.append(m.mtmd_bitmap_init(img.width, img.height, buf))
        chunks = m.mtmd_input_chunks_init()
        data = text.encode()
        inp = m.mtmd_input_text(data, len(data), add_special, True)
        arr = (m.mtmd_bitmap_p_ctypes * len(bitmaps))(*bitmaps)
        assert m.mtmd_tokenize(self.ctx, chunks, ctypes.byref(inp), arr, len(bitmaps)) == 0
        return chunks

    def embeddings(self, path, dim=None):
        """The picture's first image chunk's embeddings; every chunk's with all_tiles."""
        return self.tiles(path, dim)[0]

    def tiles(self, path, dim=None):
        m, out = self.mtmd, []
        chunks = self.chunks("<__media__>", [path])
        for i in range(m.mtmd_input_chunks_size(chunks)):
            chunk = m.mtmd_input_chunks_get(chunks, i)
            if m.mtmd_input_chunk_get_type(chunk) == m.MTMD_INPUT_CHUNK_TYPE_IMAGE:
                n = m.mtmd_input_chunk_get_n_tokens(chunk)
                assert m.mtmd_encode_chunk(self.ctx, chunk) == 0
                embd = m.mtmd_get_output_embd(self.ctx)
                out.append(np.ctypeslib.as_array(embd, shape=(n * (dim or TEXT["dim"]),)).astype(np.float64).reshape(n, -1))
        assert out, "no picture chunk"
        return out

    def run(self, text, pictures, add_special=True):
        """The prompt's pieces ([ids] or a picture's token count), the logits after it, greedy tokens."""
        L, m = self.llama, self.mtmd
        cparams = L.llama_context_default_params()
        cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = 512, 512, 512
        cparams.type_k = cparams.type_v = 0  # F32 KV cache
        lctx = L.llama_init_from_model(self.model, cparams)
        chunks = self.chunks(text, pictures, add_special)
        pieces = []
        for i in range(m.mtmd_input_chunks_size(chunks)):
            chunk = m.mtmd_input_chunks_get(chunks, i)
            if m.mtmd_input_chunk_get_type(chunk) == m.MTMD_INPUT_CHUNK_TYPE_TEXT:
                n = ctypes.c_size_t()
                ids = m.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(n))
                pieces.append([int(ids[j]) for j in range(n.value)])
            else:
                pieces.append(int(m.mtmd_input_chunk_get_n_tokens(chunk)))
        n_past = L.llama_pos(0)
        assert m.mtmd_helper_eval_chunks(self.ctx, lctx, chunks, 0, 0, 512, True, ctypes.byref(n_past)) == 0
        n_vocab = L.llama_vocab_n_tokens(self.vocab)
        read = lambda: np.ctypeslib.as_array(L.llama_get_logits_ith(lctx, -1), shape=(n_vocab,)).astype(np.float64)
        logits, greedy = read(), []
        for _ in range(GREEDY_TOKENS):
            greedy.append(int(np.argmax(logits if not greedy else read())))
            tok = (L.llama_token * 1)(greedy[-1])
            assert L.llama_decode(lctx, L.llama_batch_get_one(tok, 1)) == 0
        L.llama_free(lctx)
        return pieces, logits, greedy

    def answer(self, tokens):
        """The bytes of greedy tokens up to the first end-of-generation one, as a chat writes them."""
        L, out = self.llama, b""
        for t in tokens:
            if L.llama_vocab_is_eog(self.vocab, t):
                break
            buf = ctypes.create_string_buffer(64)
            n = L.llama_token_to_piece(self.vocab, t, buf, 64, 0, True)
            out += buf.raw[:n]
        return out


def reference_run(pieces, pictures):
    model = Transformer(str(TEXT_FILE))
    logits, images = None, iter(pictures)
    for piece in pieces:
        logits = model.forward(piece) if isinstance(piece, list) else model.forward_embeddings(encode_picture(next(images)), causal=False)
    greedy, margin, _ = model.greedy(logits, GREEDY_TOKENS)
    return logits, greedy, margin


def main():
    write_text_model(np.random.default_rng(2077))
    write_projector(np.random.default_rng(2078))
    write_pictures()
    mt = Mtmd()
    pictures = {}
    for name in ("square", "wide"):
        path = FIXTURES / f"tiny_vision_{name}.png"
        ours, theirs = encode_picture(path), mt.embeddings(path)
        diff = float(np.abs(ours - theirs).max())
        print(f"picture {name}: embeddings {ours.shape}, llama.cpp differs by {diff:.2e} (scale {np.abs(ours).max():.2f})")
        assert diff < 2e-2, diff
        pictures[name] = {"file": f"fixtures/{path.name}", "embeddings": [[round(float(x), 6) for x in row] for row in ours],
                          "llamacpp_max_diff": float(f"{diff:.2g}")}
    square = FIXTURES / "tiny_vision_square.png"
    pieces, their_logits, their_greedy = mt.run(PROMPT, [square])
    logits, greedy, margin = reference_run(pieces, [square])
    diff = float(np.abs(logits - their_logits).max())
    # The same text model with F32 matrices: llama.cpp no longer rounds activations to 8 bits, and
    # only its f16 projector (1e-3 in the picture embeddings) stands between it and the reference.
    with tempfile.TemporaryDirectory() as tmp:
        f32_file = pathlib.Path(tmp) / "tiny_gemma3_f32.gguf"
        write_text_model(np.random.default_rng(2077), f32_file, f32=True)
        f32_pieces, f32_logits, f32_greedy = Mtmd(f32_file).run(PROMPT, [square])
    f32_diff = float(np.abs(logits - f32_logits).max())
    print(f"prompt: pieces {[p if isinstance(p, int) else len(p) for p in pieces]}, llama.cpp logits differ by {diff:.2e} "
          f"(F32 matrices: {f32_diff:.2e}), greedy margin {margin:.3f}, "
          f"greedy agrees for {tiny_agree(greedy, their_greedy)} of {GREEDY_TOKENS}")
    assert f32_pieces == pieces and f32_diff < 2e-2 and f32_greedy == greedy and greedy == their_greedy
    # A chat turn: the question with the picture before it, through the model's template (the
    # picture's marker where ChatSession puts it), without a second BOS.
    r = gguf.GGUFReader(str(TEXT_FILE))
    vocab_tokens = r.fields["tokenizer.ggml.tokens"].contents()
    bos = vocab_tokens[r.fields["tokenizer.ggml.bos_token_id"].contents()]
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    chat_text = env.from_string(r.fields["tokenizer.chat_template"].contents()).render(
        messages=[{"role": "user", "content": "<__media__>" + CHAT_QUESTION}], add_generation_prompt=True,
        bos_token=bos, eos_token="<end_of_turn>")
    chat_pieces, _, chat_greedy = mt.run(chat_text, [square], add_special=not chat_text.startswith(bos))
    chat_ref = reference_run(chat_pieces, [square])[1]
    assert chat_ref == chat_greedy, (chat_ref, chat_greedy)
    golden = {
        "text_model": "fixtures/tiny_gemma3.gguf", "projector": "fixtures/tiny_gemma3_mmproj.gguf",
        "reference": "tests/llm/make_tiny_vision.py (numpy float64)",
        "llamacpp": "llama.cpp mtmd (llama-cpp-python 0.3.36 sdist), CPU, F32 KV cache",
        "pictures": pictures,
        "prompt": {"text": PROMPT, "pieces": pieces, "picture": "square",
                   "logits": [round(float(x), 5) for x in logits], "greedy": greedy, "greedy_min_margin": round(margin, 4),
                   "llamacpp_max_diff": float(f"{diff:.2g}"), "llamacpp_f32_max_diff": float(f"{f32_diff:.2g}"),
                   "llamacpp_greedy": their_greedy},
        "chat": {"question": CHAT_QUESTION, "picture": "square", "text": chat_text, "pieces": chat_pieces,
                 "greedy": chat_greedy, "answer_bytes": list(mt.answer(chat_greedy))},
    }
    (HERE / "golden" / "tiny_vision.json").write_text(json.dumps(golden) + "\n")
    print("wrote golden/tiny_vision.json")


def tiny_agree(a, b):
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), len(a))


if __name__ == "__main__":
    main()
