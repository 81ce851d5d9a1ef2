#!/usr/bin/env python3
"""Writes quant_fixtures.bin: random but valid blocks of every weight type and their values as
dequantized by gguf-py (pip install gguf numpy), the independent reading of ggml's block layouts
that tests/support/quant_reference.cpp is compared with bit for bit.

Format (little-endian): b"AQF1", u32 entries, then per entry: 8-byte type name (zero-padded, as
dtypeName), u32 values, u32 bytes, the blocks, and the values as f32.

    python3 tests/ops/make_quant_fixtures.py [out.bin]
"""
import struct
import sys
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf.quants import dequantize

# name, gguf type, values, (byte offset of an f16 scale, its magnitude)...
TYPES = [
    ("bf16", Q.BF16, 64, []),
    ("q4_0", Q.Q4_0, 32 * 4, [(0, 1 / 8)]),
    ("q4_1", Q.Q4_1, 32 * 4, [(0, 1 / 16), (2, 1.0)]),
    ("q5_0", Q.Q5_0, 32 * 4, [(0, 1 / 16)]),
    ("q5_1", Q.Q5_1, 32 * 4, [(0, 1 / 32), (2, 1.0)]),
    ("q8_0", Q.Q8_0, 32 * 4, [(0, 1 / 128)]),
    ("q4_k", Q.Q4_K, 256 * 2, [(0, 1 / 512), (2, 1 / 64)]),
    ("q5_k", Q.Q5_K, 256 * 2, [(0, 1 / 1024), (2, 1 / 64)]),
    ("q6_k", Q.Q6_K, 256 * 2, [(208, 1 / 2048)]),
]
BLOCK = {"bf16": (1, 2), "q4_0": (32, 18), "q4_1": (32, 20), "q5_0": (32, 22), "q5_1": (32, 24),
         "q8_0": (32, 34), "q4_k": (256, 144), "q5_k": (256, 176), "q6_k": (256, 210)}


def blocks_for(rng, name, values, scales):
    per, size = BLOCK[name]
    if name == "bf16":
        f = rng.uniform(-1, 1, values).astype(np.float32)
        return (f.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)  # truncation: any bf16 will do
    data = rng.integers(0, 256, (values // per, size), dtype=np.uint8)
    for offset, magnitude in scales:
        s = magnitude * rng.uniform(0.25, 1.0, values // per) * rng.choice([-1.0, 1.0], values // per)
        data[:, offset:offset + 2] = s.astype(np.float16).view(np.uint8).reshape(-1, 2)
    return data.reshape(-1)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("quant_fixtures.bin")
    rng = np.random.default_rng(20240611)
    parts = [b"AQF1", struct.pack("<I", len(TYPES))]
    for name, qtype, values, scales in TYPES:
        data = blocks_for(rng, name, values, scales)
        expected = dequantize(data, qtype).astype(np.float32).reshape(-1)
        assert expected.size == values and np.all(np.isfinite(expected))
        parts += [name.encode().ljust(8, b"\0"), struct.pack("<II", values, data.size), data.tobytes(),
                  expected.astype("<f4").tobytes()]
    out.write_bytes(b"".join(parts))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
