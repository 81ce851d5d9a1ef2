#!/usr/bin/env python3
"""Writes the small GGUF fixtures that tests/gguf/tst_gguf.cpp reads back.

Usage:  python3 -m pip install gguf   # the ggml project's own writer (tested with 0.19.0)
        python3 tests/gguf/make_fixtures.py [out_dir]   # default: tests/gguf/fixtures

The output is deterministic and checked in; tst_gguf.cpp hard-codes every value written here, so
change both together. The files also seed the fuzzer (tests/fuzz).

  all_types.gguf      every metadata scalar type, an array of each element type, UTF-8 and empty
                      strings, and tensors of f32/f16/i32/bf16/q8_0/q4_K with 1 to 4 dimensions
  aligned64.gguf      general.alignment = 64 and two tensors
  metadata_only.gguf  metadata and no tensors
  v2.gguf             aligned64.gguf with version 2 in the header (v2 and v3 share the LE layout)
  empty_array.gguf    an array with zero elements (the writer refuses them, so it is hand-packed)
"""

import os
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as V
from gguf import GGUFWriter


def deterministic_bytes(n, seed):
    return ((np.arange(n, dtype=np.uint32) * 2654435761 + seed) >> 13).astype(np.uint8)


def write(path, fill, alignment=None):
    w = GGUFWriter(path, "testarch")
    if alignment:
        w.add_custom_alignment(alignment)
    fill(w)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def all_types(w):
    w.add_name("Atelier fixture")
    w.add_key_value("test.u8", 200, V.UINT8)
    w.add_key_value("test.i8", -100, V.INT8)
    w.add_key_value("test.u16", 60000, V.UINT16)
    w.add_key_value("test.i16", -30000, V.INT16)
    w.add_key_value("test.u32", 4000000000, V.UINT32)
    w.add_key_value("test.i32", -2000000000, V.INT32)
    w.add_key_value("test.f32", 1.5, V.FLOAT32)
    w.add_key_value("test.bool_true", True, V.BOOL)
    w.add_key_value("test.bool_false", False, V.BOOL)
    w.add_key_value("test.u64", 10000000000000000000, V.UINT64)
    w.add_key_value("test.i64", -9000000000000000000, V.INT64)
    w.add_key_value("test.f64", 3.141592653589793, V.FLOAT64)
    w.add_key_value("test.string_empty", "", V.STRING)
    w.add_key_value("test.string_utf8", "h\u00e9llo, \u4e16\u754c \u2713", V.STRING)
    w.add_key_value("test.small_u32", 7, V.UINT32)
    w.add_key_value("test.negative_i32", -3, V.INT32)
    arrays = [
        ("u8", [1, 2, 255], V.UINT8),
        ("i8", [-128, 0, 127], V.INT8),
        ("u16", [0, 65535], V.UINT16),
        ("i16", [-32768, 32767], V.INT16),
        ("u32", [1, 2, 3, 4294967295], V.UINT32),
        ("i32", [-5, 0, 5, 2147483647], V.INT32),
        ("f32", [0.5, -2.25, 1e-6], V.FLOAT32),
        ("bool", [True, False, True], V.BOOL),
        ("string", ["<pad>", "", "\u2581the", "a\nb"], V.STRING),
        ("u64", [0, 18446744073709551615], V.UINT64),
        ("i64", [-9223372036854775808, 9223372036854775807], V.INT64),
        ("f64", [2.5, -1e300], V.FLOAT64),
    ]
    for name, values, sub in arrays:
        w.add_key_value("test.array." + name, values, V.ARRAY, sub_type=sub)

    # numpy shapes are reversed ggml shapes: (2, 3) is ne = [3, 2].
    w.add_tensor("t.f32", (np.arange(6, dtype=np.float32) * 0.5 - 1.0).reshape(2, 3))
    w.add_tensor("t.f16", np.array([1.0, -2.0, 0.5, 65504.0, 0.0], dtype=np.float16))
    w.add_tensor("t.i32", np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    w.add_tensor("t.4d", np.ones((2, 1, 3, 2), dtype=np.float32))
    w.add_tensor("t.bf16", deterministic_bytes(2 * 8, 1).reshape(1, 16), raw_dtype=Q.BF16)
    w.add_tensor("t.q8_0", deterministic_bytes(2 * 2 * 34, 2).reshape(2, 68), raw_dtype=Q.Q8_0)
    w.add_tensor("t.q4_k", deterministic_bytes(144, 3).reshape(1, 144), raw_dtype=Q.Q4_K)


def aligned64(w):
    w.add_tensor("a.f32", np.array([1.0, 2.0, 3.0], dtype=np.float32))
    w.add_tensor("a.q8_0", deterministic_bytes(34, 4).reshape(1, 34), raw_dtype=Q.Q8_0)


def metadata_only(w):
    w.add_key_value("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>"], V.ARRAY, sub_type=V.STRING)
    w.add_key_value("tokenizer.chat_template", "{{ messages }}", V.STRING)


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def empty_array(path):
    kv = gguf_string("general.architecture") + struct.pack("<I", V.STRING) + gguf_string("testarch")
    kv += gguf_string("test.empty") + struct.pack("<IIQ", V.ARRAY, V.UINT32, 0)
    with open(path, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + kv)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "fixtures")
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "all_types.gguf"), all_types)
    write(os.path.join(out, "aligned64.gguf"), aligned64, alignment=64)
    write(os.path.join(out, "metadata_only.gguf"), metadata_only)
    with open(os.path.join(out, "aligned64.gguf"), "rb") as f:
        v2 = bytearray(f.read())
    v2[4:8] = struct.pack("<I", 2)
    with open(os.path.join(out, "v2.gguf"), "wb") as f:
        f.write(v2)
    empty_array(os.path.join(out, "empty_array.gguf"))


if __name__ == "__main__":
    main()
