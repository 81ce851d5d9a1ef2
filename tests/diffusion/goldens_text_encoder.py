#!/usr/bin/env python3
"""What transformers' CLIPTextModel computes with the golden checkpoints' text encoders, for
text_encoder_test.cpp: goldens/text_encoder_sd1.safetensors and text_encoder_sd2.safetensors.

Two 77-token chunks run as one batch (ids, not text: sd1 has CLIP's vocabulary of 49408 with BOS/EOS
49406/49407, sd2 a vocabulary of 256 where 254/255 play BOS/EOS):
  chunk 0: BOS, 12 prompt tokens, EOS, then padding (EOS for sd1, 0 for sd2: OpenCLIP's "!")
  chunk 1: BOS, 75 prompt tokens, EOS (a full chunk, no padding)
Each file holds (f32 unless said):
  ids           [2, 77] int32
  last_hidden   [2, 77, width]  last_hidden_state (clip skip 1)
  clip_skip_2   [2, 77, width]  final_layer_norm(hidden_states[-2]) (A1111's "Clip skip" 2)
and the sd1 file also (the weighting does not depend on the family; keeping sd2's file small):
  weights       [2, 77]         A1111's multiplier per token (start, end, padding weigh 1)
  conditioning  [2, 77, width]  last_hidden weighted as modules/sd_hijack_clip.py process_tokens
                                does, the mean restored per chunk (one prompt: each chunk alone)
  prompt_ids, prompt_weights [1, 77]; prompt_conditioning_clip_skip_2 [1, 77, width]
                                PROMPT (sd1 has CLIP's vocabulary) end to end: tokenized and chunked
                                by tests/diffusion_text/make_golden.py's CLIPTokenizer and restatement
                                of A1111, encoded with clip skip 2 and weighted

Usage:  python3 tests/diffusion/goldens_text_encoder.py
Tested with torch 2.15, transformers 5.23 (tokenizers), safetensors 0.8, numpy.
"""
import os
import sys

import numpy as np
import torch
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "diffusion_text"))
import golden_models as gm  # noqa: E402
import make_golden as a1111_text  # noqa: E402

TOKENS = 77
# text_encoder_test.cpp holds the same prompt.
PROMPT = "a (photograph:1.3) of an ((old)) cat on a [blurry] sofa, (masterpiece:0.8)"
BOS_EOS = {"sd1": (49406, 49407), "sd2": (254, 255)}
PAD = {"sd1": 49407, "sd2": 0}


def chunk_ids(prompt, family):
    bos, eos = BOS_EOS[family]
    ids = [bos] + prompt + [eos]
    return ids + [PAD[family]] * (TOKENS - len(ids))


def chunks(family):
    words = BOS_EOS[family][0]  # ids below BOS are words
    short = [7, 42, 3, 199, 120, 5, 88, 13, 250, 64, 1, 77]
    short = [(t * 193 + 17) % words for t in short]
    full = [(i * 3701 + 11) % words for i in range(75)]
    return np.array([chunk_ids(short, family), chunk_ids(full, family)], dtype=np.int32)


def chunk_weights():
    w = np.ones((2, TOKENS), dtype=np.float32)
    w[0, 1:4] = 1.1    # "(a b c:1.1)"
    w[0, 6:9] = 0.5    # "(d e f:0.5)"
    w[0, 10] = 1.21    # "((g))"
    w[1, 20:50] = 1.3
    w[1, 60:75] = 0.8
    return w


def restore_mean(z, weights):
    """modules/sd_hijack_clip.py process_tokens, per chunk: z *= weights; z *= original_mean / new_mean."""
    out = np.empty_like(z)
    for c in range(z.shape[0]):
        original_mean = z[c].astype(np.float64).mean()
        weighted = z[c].astype(np.float64) * weights[c][:, None]
        new_mean = weighted.mean()
        out[c] = (weighted * (original_mean / new_mean)).astype(np.float32)
    return out


def encode(encoder, ids):
    """(last_hidden_state, final_layer_norm(hidden_states[-2])) as float32 numpy arrays."""
    with torch.no_grad():
        out = encoder(input_ids=torch.from_numpy(ids).long(), output_hidden_states=True)
        skip2 = encoder.final_layer_norm(out.hidden_states[-2])
    return out.last_hidden_state.numpy().astype(np.float32), skip2.numpy().astype(np.float32)


def prompt_chunks():
    tok = a1111_text.clip_tokenizer()
    chunked, _ = a1111_text.chunk_prompt(tok, a1111_text.parse_prompt_attention(PROMPT), a1111_text.END)
    ids = np.array([c["ids"] for c in chunked], dtype=np.int32)
    weights = np.array([c["weights"] for c in chunked], dtype=np.float32)
    return ids, weights


def golden(family):
    encoder = gm.build(family)["text_encoder"].eval()
    ids = chunks(family)
    last, skip2 = encode(encoder, ids)
    tensors = {"ids": ids, "last_hidden": last, "clip_skip_2": skip2}
    if family == "sd1":
        weights = chunk_weights()
        tensors["weights"] = weights
        tensors["conditioning"] = restore_mean(last, weights)
        prompt_ids, prompt_weights = prompt_chunks()
        assert prompt_ids.shape == (1, TOKENS) and (prompt_weights != 1).any()
        tensors["prompt_ids"] = prompt_ids
        tensors["prompt_weights"] = prompt_weights
        tensors["prompt_conditioning_clip_skip_2"] = restore_mean(encode(encoder, prompt_ids)[1], prompt_weights)
    return tensors


def main():
    os.makedirs(os.path.join(HERE, "goldens"), exist_ok=True)
    for family in gm.FAMILIES:
        path = os.path.join(HERE, "goldens", f"text_encoder_{family}.safetensors")
        save_file({k: np.ascontiguousarray(v) for k, v in golden(family).items()}, path)
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
