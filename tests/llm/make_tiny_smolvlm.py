#!/usr/bin/env python3
"""Writes a tiny random-weight SmolVLM (Idefics3 projector) and its goldens, as make_tiny_vision.py
does for Gemma 3:

- fixtures/tiny_smolvlm.gguf: a Llama text model (tiny_llama's shape and vocabulary, as SmolVLM's
  SmolLM2 is a Llama) with Idefics3's picture tokens added (<fake_token_around_image>,
  <global-img>, <row_R_col_C>).
- fixtures/tiny_smolvlm_mmproj.gguf: `clip.projector_type` idefics3: a SigLIP ViT (32x32 tiles in
  4x4 patches, dim 64, 2 layers) whose 2x2 squares of patches are laid side by side (pixel
  shuffle) through one linear layer to 128; pictures are resized so the longer side is 64
  (preproc_image_size), then to whole 32x32 tiles, with Pillow's Lanczos filter.
- golden/tiny_smolvlm.json: for tiny_vision_wide.png (48x20: 2 tiles and the whole picture), each
  tile's embeddings from the float64 reference and llama.cpp's mtmd; a chat turn with the picture
  through the Llama 3.1 template: its pieces as mtmd splits them, the logits after it (reference)
  and the greedy tokens (reference and llama.cpp agree).

    PYTHONPATH=$SDIST LLAMA_CPP_LIB_PATH=$BUILD/bin MTMD_CPP_LIB=$BUILD/bin python3 tests/llm/make_tiny_smolvlm.py
"""
import json
import pathlib
import sys

import gguf
import jinja2.ext
import numpy as np
from gguf import GGMLQuantizationType as T
from jinja2.sandbox import ImmutableSandboxedEnvironment
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_tiny_models as tiny  # noqa: E402
import make_tiny_vision as gemma  # noqa: E402
from reference_llm import Transformer  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
TEXT_FILE, PROJECTOR_FILE = FIXTURES / "tiny_smolvlm.gguf", FIXTURES / "tiny_smolvlm_mmproj.gguf"
PICTURE = FIXTURES / "tiny_vision_wide.png"
QUESTION = "What colour is the square?"
GREEDY_TOKENS = 12
PICTURE_TOKENS = ["<fake_token_around_image>", "<global-img>"] + [f"<row_{r}_col_{c}>" for r in range(1, 4) for c in range(1, 4)]
TEXT = dict(tiny.LLAMA, **{"file": TEXT_FILE.name, "seed": 2090, "name": "Tiny SmolVLM text model (random weights)",
                           "extra_tokens": tiny.LLAMA["extra_tokens"] + PICTURE_TOKENS})
VISION = dict(gemma.VISION, **{"eps": 1e-5, "merge": 2, "longest_edge": 64})


def write_projector(rng):
    v, text_dim = VISION, TEXT["dim"]
    e, ff, pt = v["dim"], v["ff"], v["patch"]
    patches = (v["image_size"] // pt) ** 2
    w = gguf.GGUFWriter(str(PROJECTOR_FILE), "clip")
    w.add_name("Tiny SmolVLM vision projector (random weights)")
    w.add_bool("clip.has_vision_encoder", True)
    w.add_string("clip.projector_type", "idefics3")
    w.add_bool("clip.use_gelu", True)
    for key, value in (("image_size", v["image_size"]), ("patch_size", pt), ("embedding_length", e),
                       ("feed_forward_length", ff), ("block_count", v["layers"]), ("projection_dim", text_dim),
                       ("attention.head_count", v["heads"]), ("projector.scale_factor", v["merge"]),
                       ("preproc_image_size", v["longest_edge"])):
        w.add_uint32("clip.vision." + key, value)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", v["eps"])
    w.add_array("clip.vision.image_mean", v["mean"])
    w.add_array("clip.vision.image_std", v["std"])

    normal = lambda shape, std: (rng.standard_normal(shape) * std).astype(np.float32)
    linear = lambda rows, cols: normal((rows, cols), cols ** -0.5)
    add = lambda name, x, qtype=T.F32: w.add_tensor(name, *gemma._encoded(x, qtype))
    gemma.write_vit(w, v, add, normal, linear)
    m = v["merge"]
    add("mm.model.fc.weight", linear(text_dim, e * m * m) * 2, T.F16)
    gemma._finish(w, PROJECTOR_FILE)


def tiles(path):
    """The tiles mtmd makes of a picture: the longer side to longest_edge (the other in proportion,
    rounded down, then up to even), then to whole tiles; those row by row, then the whole picture
    at one tile's size. Pillow's Lanczos filter throughout."""
    img, size, edge = Image.open(path).convert("RGB"), VISION["image_size"], VISION["longest_edge"]
    aspect = img.width / img.height
    if img.width >= img.height:
        w, h = edge, int(edge / aspect)
        h += h % 2
    else:
        w, h = int(edge * aspect), edge
        w += w % 2
    cols, rows = -(-w // size), -(-h // size)
    refined = img.resize((w, h), Image.LANCZOS).resize((cols * size, rows * size), Image.LANCZOS)
    parts = [refined.crop((c * size, r * size, (c + 1) * size, (r + 1) * size)) for r in range(rows) for c in range(cols)]
    return parts + [refined.resize((size, size), Image.LANCZOS)]


def encode_tile(tile):
    r, v = gguf.GGUFReader(str(PROJECTOR_FILE)), VISION
    a = (np.asarray(tile, dtype=np.float64) / 255.0 - np.array(v["mean"])) / np.array(v["std"])
    x = gemma.vit(r, v, a)
    g, e, m = v["image_size"] // v["patch"], v["dim"], v["merge"]
    # Token (Y, X): the patches (Y*m+dy, X*m+dx) side by side, dy outer, dx inner.
    shuffled = x.reshape(g // m, m, g // m, m, e).transpose(0, 2, 1, 3, 4).reshape(-1, m * m * e)
    return shuffled @ gemma.tensor(r, "mm.model.fc.weight").T


def main():
    tiny.write_model(TEXT)
    write_projector(np.random.default_rng(2091))
    ours = [encode_tile(t) for t in tiles(PICTURE)]
    mt = gemma.Mtmd(TEXT_FILE, PROJECTOR_FILE)
    theirs = mt.tiles(PICTURE, TEXT["dim"])
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    diff = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs))
    print(f"{len(ours)} tiles of {ours[0].shape}, llama.cpp differs by {diff:.2e} (scale {max(np.abs(a).max() for a in ours):.2f})")
    assert diff < 2e-2, diff

    r = gguf.GGUFReader(str(TEXT_FILE))
    vocab = r.fields["tokenizer.ggml.tokens"].contents()
    bos, eos = vocab[r.fields["tokenizer.ggml.bos_token_id"].contents()], vocab[r.fields["tokenizer.ggml.eos_token_id"].contents()]
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    text = env.from_string(r.fields["tokenizer.chat_template"].contents()).render(
        messages=[{"role": "user", "content": "<__media__>" + QUESTION}], add_generation_prompt=True,
        bos_token=bos, eos_token=eos)
    pieces, _, their_greedy = mt.run(text, [PICTURE], add_special=not text.startswith(bos))
    model, pictures, logits = Transformer(str(TEXT_FILE)), iter(ours), None
    for piece in pieces:
        logits = model.forward(piece) if isinstance(piece, list) else model.forward_embeddings(next(pictures))
    greedy, margin, _ = model.greedy(logits, GREEDY_TOKENS)
    print(f"chat: pieces {[p if isinstance(p, int) else len(p) for p in pieces]}, greedy margin {margin:.3f}, "
          f"greedy agrees for {gemma.tiny_agree(greedy, their_greedy[:GREEDY_TOKENS])} of {GREEDY_TOKENS}")
    assert greedy == their_greedy[:GREEDY_TOKENS]
    golden = {
        "text_model": f"fixtures/{TEXT_FILE.name}", "projector": f"fixtures/{PROJECTOR_FILE.name}",
        "picture": f"fixtures/{PICTURE.name}",
        "reference": "tests/llm/make_tiny_smolvlm.py (numpy float64, Pillow's Lanczos resize)",
        "llamacpp": "llama.cpp mtmd (llama-cpp-python 0.3.36 sdist), CPU",
        "tiles": [[[round(float(x), 6) for x in row] for row in t] for t in ours],
        "llamacpp_max_diff": float(f"{diff:.2g}"),
        "chat": {"question": QUESTION, "text": text, "pieces": pieces, "logits": [round(float(x), 5) for x in logits],
                 "greedy": greedy, "greedy_min_margin": round(margin, 4), "llamacpp_greedy": their_greedy[:GREEDY_TOKENS]},
    }
    (HERE / "golden" / "tiny_smolvlm.json").write_text(json.dumps(golden) + "\n")
    print("wrote golden/tiny_smolvlm.json")


if __name__ == "__main__":
    main()
