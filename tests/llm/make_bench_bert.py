#!/usr/bin/env python3
"""Writes a random-weight BERT the size of all-MiniLM-L6-v2 (384 wide, 6 layers, 12 heads, 1536
feed-forward, 512 positions, F16 projections: ~22 MB) for timing embeddings, e.g.

    python3 tests/llm/make_bench_bert.py /tmp/bench_bert.gguf
    ATELIER_EMBEDDING_BENCH_MODEL=/tmp/bench_bert.gguf ctest --test-dir build -R '^llm$' -V

Its vocabulary is tests/llm/make_tiny_embedding.py's (WordPiece, every character and a few dozen
words), so a text of those words costs about one token per word, as real text does with a real
vocabulary. Not checked in: it is made when wanted.
"""
import pathlib
import sys

import gguf
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_tiny_embedding import vocabulary  # noqa: E402

DIM, LAYERS, HEADS, FF, CONTEXT = 384, 6, 12, 1536, 512


def main(path):
    rng = np.random.default_rng(4001)
    tokens, types = vocabulary()
    w = gguf.GGUFWriter(str(path), "bert")
    w.add_name("Bench BERT (random weights, all-MiniLM-L6 shape)")
    w.add_context_length(CONTEXT)
    w.add_embedding_length(DIM)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FF)
    w.add_head_count(HEADS)
    w.add_layer_norm_eps(1e-12)
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
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
    linear = lambda rows, cols: normal((rows, cols), cols ** -0.5).astype(np.float16)
    w.add_tensor("token_embd.weight", normal((len(tokens), DIM), 1.0).astype(np.float16))
    w.add_tensor("token_types.weight", normal((2, DIM), 0.5))
    w.add_tensor("position_embd.weight", normal((CONTEXT, DIM), 0.5))
    w.add_tensor("token_embd_norm.weight", 1 + normal(DIM, 0.1))
    w.add_tensor("token_embd_norm.bias", normal(DIM, 0.1))
    for l in range(LAYERS):
        p = f"blk.{l}."
        for n in "qkv":
            w.add_tensor(p + f"attn_{n}.weight", linear(DIM, DIM))
            w.add_tensor(p + f"attn_{n}.bias", normal(DIM, 0.2))
        w.add_tensor(p + "attn_output.weight", linear(DIM, DIM))
        w.add_tensor(p + "attn_output.bias", normal(DIM, 0.1))
        w.add_tensor(p + "attn_output_norm.weight", 1 + normal(DIM, 0.1))
        w.add_tensor(p + "attn_output_norm.bias", normal(DIM, 0.1))
        w.add_tensor(p + "ffn_up.weight", linear(FF, DIM))
        w.add_tensor(p + "ffn_up.bias", normal(FF, 0.2))
        w.add_tensor(p + "ffn_down.weight", linear(DIM, FF))
        w.add_tensor(p + "ffn_down.bias", normal(DIM, 0.1))
        w.add_tensor(p + "layer_output_norm.weight", 1 + normal(DIM, 0.1))
        w.add_tensor(p + "layer_output_norm.bias", normal(DIM, 0.1))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {path} ({pathlib.Path(path).stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench_bert.gguf")
