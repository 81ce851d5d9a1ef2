#!/usr/bin/env python3
"""Random-weight vision projectors of real shapes, for `atelier bench vision` and llama.cpp's
llama-mtmd-cli side by side (vision_vs_mtmd.sh):

- gemma3: Gemma 3 4B-27B's SigLIP (896 px in 14 px patches: 4096 patches, 27 layers of 1152,
  feed-forward 4304, 16 heads; 256 embeddings of 2560), F16 as llama.cpp's converter writes
  mmproj-*-f16.gguf (about 850 MB);
- plus a one-layer Gemma 3 text model of width 2560 with a 512-token vocabulary that has the
  picture tokens, which llama-mtmd-cli needs beside the projector (it checks the widths agree).

    python3 compute/bench/make_random_vision.py OUT_DIR [LAYERS]
writes mmproj-gemma3-random.gguf (or, with LAYERS, mmproj-gemma3-random-LAYERSl.gguf: fewer layers
for a quick profile) and gemma3-2560-random.gguf.
"""
import pathlib
import sys

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T

IMAGE, PATCH, DIM, FF, LAYERS, HEADS, TEXT_DIM = 896, 14, 1152, 4304, 27, 16, 2560


def finish(w, path):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB)")


def projector(path, rng, layers=LAYERS):
    w = gguf.GGUFWriter(str(path), "clip")
    w.add_name("Random Gemma 3 vision projector (SigLIP 400M shapes)")
    w.add_bool("clip.has_vision_encoder", True)
    w.add_string("clip.projector_type", "gemma3")
    w.add_bool("clip.use_gelu", True)
    for key, value in (("image_size", IMAGE), ("patch_size", PATCH), ("embedding_length", DIM),
                       ("feed_forward_length", FF), ("block_count", layers), ("projection_dim", TEXT_DIM),
                       ("attention.head_count", HEADS)):
        w.add_uint32("clip.vision." + key, value)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
    w.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    w.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    f16 = lambda shape, std: (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float16)
    f32 = lambda shape, std, mean=0.0: (mean + rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)
    w.add_tensor("v.patch_embd.weight", f16((DIM, 3, PATCH, PATCH), (3 * PATCH * PATCH) ** -0.5))
    w.add_tensor("v.patch_embd.bias", f32(DIM, 0.1))
    w.add_tensor("v.position_embd.weight", f32(((IMAGE // PATCH) ** 2, DIM), 0.5))
    for l in range(layers):
        p = f"v.blk.{l}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            w.add_tensor(p + name + ".weight", f16((DIM, DIM), DIM ** -0.5))
            w.add_tensor(p + name + ".bias", f32(DIM, 0.1))
        for name in ("ln1", "ln2"):
            w.add_tensor(p + name + ".weight", f32(DIM, 0.1, 1.0))
            w.add_tensor(p + name + ".bias", f32(DIM, 0.1))
        w.add_tensor(p + "ffn_up.weight", f16((FF, DIM), DIM ** -0.5))
        w.add_tensor(p + "ffn_up.bias", f32(FF, 0.1))
        w.add_tensor(p + "ffn_down.weight", f16((DIM, FF), FF ** -0.5))
        w.add_tensor(p + "ffn_down.bias", f32(DIM, 0.1))
    w.add_tensor("v.post_ln.weight", f32(DIM, 0.1, 1.0))
    w.add_tensor("v.post_ln.bias", f32(DIM, 0.1))
    w.add_tensor("mm.soft_emb_norm.weight", f32(DIM, 0.1, 1.0))
    w.add_tensor("mm.input_projection.weight", f16((DIM, TEXT_DIM), DIM ** -0.5))
    finish(w, path)


def text_model(path, rng):
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>"]
    tokens += [f"<0x{i:02X}>" for i in range(256)] + [f"\u2581w{i}" for i in range(512 - 8 - 256)]
    types = [gguf.TokenType.CONTROL] * 8 + [gguf.TokenType.BYTE] * 256 + [gguf.TokenType.NORMAL] * (512 - 264)
    w = gguf.GGUFWriter(str(path), "gemma3")
    w.add_name("Random one-layer Gemma 3 of width 2560 (for llama-mtmd-cli)")
    w.add_context_length(4096)
    w.add_embedding_length(TEXT_DIM)
    w.add_block_count(1)
    w.add_feed_forward_length(256)
    w.add_head_count(8)
    w.add_head_count_kv(4)
    w.add_key_length(256)
    w.add_value_length(256)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * len(tokens))
    w.add_token_types(types)
    w.add_bos_token_id(2)
    w.add_eos_token_id(1)
    f32 = lambda shape, std, mean=0.0: (mean + rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)
    w.add_tensor("token_embd.weight", f32((len(tokens), TEXT_DIM), 0.02))
    w.add_tensor("output_norm.weight", f32(TEXT_DIM, 0.1, 1.0))
    p = "blk.0."
    for name, shape in (("attn_q", (8 * 256, TEXT_DIM)), ("attn_k", (4 * 256, TEXT_DIM)), ("attn_v", (4 * 256, TEXT_DIM)),
                        ("attn_output", (TEXT_DIM, 8 * 256)), ("ffn_gate", (256, TEXT_DIM)), ("ffn_up", (256, TEXT_DIM)),
                        ("ffn_down", (TEXT_DIM, 256))):
        w.add_tensor(p + name + ".weight", f32(shape, shape[1] ** -0.5))
    for name, n in (("attn_norm", TEXT_DIM), ("attn_q_norm", 256), ("attn_k_norm", 256), ("post_attention_norm", TEXT_DIM),
                    ("ffn_norm", TEXT_DIM), ("post_ffw_norm", TEXT_DIM)):
        w.add_tensor(p + name + ".weight", f32(n, 0.1, 1.0))
    finish(w, path)


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(896)
    if len(sys.argv) > 2:
        projector(out / f"mmproj-gemma3-random-{int(sys.argv[2])}l.gguf", rng, int(sys.argv[2]))
        return
    projector(out / "mmproj-gemma3-random.gguf", rng)
    text_model(out / "gemma3-2560-random.gguf", rng)


if __name__ == "__main__":
    main()
