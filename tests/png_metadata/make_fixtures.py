#!/usr/bin/env python3
"""Fixtures for tests/png_metadata: PNGs written the ways other tools write their text chunks
(PIL as AUTOMATIC1111 uses it: tEXt, iTXt for non-Latin-1, zTXt; raw UTF-8 in tEXt as sd.cpp
does), and golden parses of A1111 parameter texts by a restatement of A1111's
parse_generation_parameters (the regex and line rules documented in ../shared/FORMATS.md).

    python3 tests/png_metadata/make_fixtures.py   # needs Pillow
"""
import json
import re
import struct
import zlib
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

HERE = Path(__file__).parent
FIX = HERE / "fixtures"

RE_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
RE_SIZE = re.compile(r"^(\d+)x(\d+)$")


def a1111_parse(x):
    """What A1111's parse_generation_parameters returns (prompt, negative, ordered pairs)."""
    prompt, negative, done = "", "", False
    *lines, last = x.strip().split("\n")
    if len(RE_PARAM.findall(last)) < 3:
        lines.append(last)
        last = ""
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            done = True
            line = line[16:].strip()
        if done:
            negative += ("" if negative == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    pairs = []
    for k, v in RE_PARAM.findall(last):
        v = v.strip()
        if len(v) > 1 and v[0] == '"' and v[-1] == '"':
            try:
                v = json.loads(v)
            except ValueError:
                pass
        pairs.append([k.strip(), v])
    return {"prompt": prompt, "negative": negative, "pairs": pairs}


TEXTS = [
    "a photo of a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b, Model: v1-5",
    "masterpiece, (best quality:1.2), [blurry]\nmulti-line prompt\nNegative prompt: lowres, bad anatomy\nsecond negative line\n"
    "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1, Size: 768x512, Model hash: 0123456789, Model: sd21, "
    "Denoising strength: 0.75, Clip skip: 2, Mask blur: 4, Version: v1.6.0",
    "a prompt\nSteps: 25, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 42, Size: 512x512, "
    'Lora hashes: "add_detail: 7c6bad76eb54, more: 1234", TI hashes: "a: b"',
    "just a prompt with: a colon, and commas",
    "prompt\nNegative prompt: only negative",
    "東京の夜景, ネオン\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 3, Size: 512x512",
]


def png_bytes(chunks):
    """A 4x4 grey PNG with raw chunks (type, payload) inserted before IEND."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes([128] * 4) for _ in range(4))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
    out += chunk(b"IDAT", zlib.compress(raw))
    for kind, data in chunks:
        out += chunk(kind, data)
    return out + chunk(b"IEND", b"")


def main():
    FIX.mkdir(exist_ok=True)
    params = TEXTS[1]
    # PIL as A1111 writes: add_text gives tEXt for Latin-1 text and iTXt otherwise; zip=True gives zTXt/compressed iTXt.
    img = Image.new("RGB", (8, 8), (200, 30, 30))
    info = PngInfo()
    info.add_text("parameters", params)
    img.save(FIX / "pil_text.png", pnginfo=info)
    info = PngInfo()
    info.add_text("parameters", TEXTS[5])  # non-Latin-1: iTXt
    info.add_text("comment", "x" * 100, zip=True)  # zTXt
    info.add_itxt("workflow", json.dumps({"nodes": ["é", "ü"]}), zip=True)  # compressed iTXt
    img.save(FIX / "pil_itxt_ztxt.png", pnginfo=info)
    # sd.cpp: UTF-8 straight into tEXt.
    (FIX / "utf8_in_text.png").write_bytes(png_bytes([(b"tEXt", b"parameters\x00" + TEXTS[5].encode())]))
    # Issue 18: a decompression bomb, 8 MiB of prompt in an 8 KiB zTXt `parameters` chunk.
    bomb = ("a" * (8 << 20) + "\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 3, Size: 4x4").encode()
    (FIX / "parameters_bomb.png").write_bytes(png_bytes([(b"zTXt", b"parameters\x00\x00" + zlib.compress(bomb, 9))]))
    # Damaged: a chunk length past the end; no IEND.
    good = png_bytes([(b"tEXt", b"parameters\x00hello")])
    (FIX / "truncated.png").write_bytes(good[:-20])
    golden = {
        "parses": [{"text": t, **a1111_parse(t)} for t in TEXTS],
        "files": {
            "pil_text.png": [["parameters", params]],
            "pil_itxt_ztxt.png": [["parameters", TEXTS[5]], ["comment", "x" * 100],
                                  ["workflow", json.dumps({"nodes": ["é", "ü"]})]],
            "utf8_in_text.png": [["parameters", TEXTS[5]]],
        },
    }
    (HERE / "golden.json").write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
