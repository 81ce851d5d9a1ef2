#!/usr/bin/env python3
"""Regional prompts through `atelier generate --init-image` and `atelier inpaint` (issue 20).

usage: regions_cli_check.py ATELIER FIXTURES OUT_DIR

Runs the commands on the golden SD 1.x checkpoint (tests/diffusion/fixtures) with and without
--region and checks what a user would: img2img with a region changes the picture and writes the strength and the regions into the PNG (A1111's parameters and Atelier's
JSON); inpainting with a region changes the masked pixels and no other;
inpainting only the masked area with a region far from the crop paints the same pixels as without,
and --layout is read as --region is. Standard library only (CI's Debian python3).
"""

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path


def read_png(path):
    """(width, height, RGB bytes, {keyword: text}) of an 8-bit RGB or RGBA PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, texts = 8, b"", {}
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"{path}: depth {depth}, colour type {colour}"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"tEXt":
            key, _, text = body.partition(b"\0")
            texts[key.decode("latin-1")] = text.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            rest = rest.split(b"\0", 2)[2]
            texts[key.decode("latin-1")] = (zlib.decompress(rest) if compressed else rest).decode("utf-8")
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            a = row[i - channels] if i >= channels else 0
            b, c = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                row[i] = (row[i] + a) & 255
            elif kind == 2:
                row[i] = (row[i] + b) & 255
            elif kind == 3:
                row[i] = (row[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(row)
        previous = row
    rgb = bytearray()
    for row in rows:
        for x in range(width):
            rgb += row[x * channels:x * channels + 3]
    return width, height, bytes(rgb), texts


def mean_difference(a, b, width, x0, y0, x1, y1):
    total = 0
    for y in range(y0, y1):
        for x in range(x0, x1):
            i = (y * width + x) * 3
            total += sum(abs(a[i + c] - b[i + c]) for c in range(3))
    return total / (3 * (x1 - x0) * (y1 - y0))


def main():
    atelier, fixtures, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    model = str(fixtures / "golden_sd1.safetensors")
    picture, mask = str(fixtures / "inpaint_picture_64.png"), str(fixtures / "inpaint_mask_32.png")
    other = "a large blue square in the dark, green stripes"

    def run(name, *args):
        path = out / f"{name}.png"
        done = subprocess.run([atelier, "--validation", *args, "--model", model, "--seed", "7", "--steps", "4",
                               "--sampler", "Euler", "--prompt", "a small red circle", "-o", str(path)],
                              capture_output=True, text=True)
        print(f"$ atelier {' '.join(args)}\n{done.stderr.strip()}")
        assert done.returncode == 0, f"{name}: exit status {done.returncode}"
        assert "validation]" not in done.stderr, f"{name}: a validation message"
        return read_png(path)

    # img2img: the region's prompt repaints the picture.
    img2img = ["generate", "--init-image", picture, "--strength", "0.8", "--width", "64", "--height", "64"]
    w, h, plain, _ = run("img2img_plain", *img2img)
    _, _, regional, texts = run("img2img_region", *img2img, "--region", f"0,0,32,64:{other}")
    # (A random UNet's self-attention spreads a region's change over its whole latent; where a region
    # lands is checked on the shapes model in tests/diffusion/regions_pipeline_test.cpp.)
    changed = mean_difference(plain, regional, w, 0, 0, w, h)
    print(f"img2img: mean change {changed:.2f} with the region")
    assert changed > 1.0, changed
    parameters = texts["parameters"]
    assert "Denoising strength: 0.8" in parameters, parameters
    assert 'Regions: "{\\"regions\\":[{\\"box\\":[0,0,32,64],\\"prompt\\":\\"' + other in parameters, parameters
    record = json.loads(texts["atelier"])
    assert record["kind"] == "img2img" and record["strength"] == 0.8, record
    assert record["regions"] == [{"box": [0, 0, 32, 64], "prompt": other}], record["regions"]

    # Inpainting the whole picture (the mask: 16..31 x 16..31): only masked pixels change.
    inpaint = ["inpaint", "--image", picture, "--mask", mask, "--feather", "0", "--strength", "1"]
    _, _, plain, _ = run("inpaint_plain", *inpaint)
    _, _, regional, texts = run("inpaint_region", *inpaint, "--region", f"0,0,64,64:{other}")
    inside = mean_difference(plain, regional, w, 16, 16, 32, 32)
    # (the 32-pixel mask is scaled smoothly to 64: a pixel either side of its square is grey)
    outside = mean_difference(plain, regional, w, 0, 0, 64, 14) + mean_difference(plain, regional, w, 0, 34, 64, 64)
    print(f"inpaint: mean change {inside:.2f} in the mask, {outside:.2f} outside it")
    assert inside > 1.0 and outside == 0, (inside, outside)
    assert "Regions: " in texts["parameters"] and json.loads(texts["atelier"])["regions"][0]["box"] == [0, 0, 64, 64]

    # Only the masked area: a crop around the mask (padding 4: 12..35); a region far from it
    # changes nothing, one over it (from a layout file) does.
    crop = [*inpaint, "--only-masked", "--padding", "4", "--work-size", "64"]
    _, _, plain, _ = run("crop_plain", *crop)
    _, _, far, _ = run("crop_far_region", *crop, "--region", f"48,48,64,64:{other}")
    assert far == plain, "a region outside the crop changed the picture"
    layout = out / "layout.json"
    layout.write_text(json.dumps({"regions": [{"box": [12, 12, 36, 36], "prompt": other}]}))
    _, _, near, texts = run("crop_layout_region", *crop, "--layout", str(layout))
    changed = mean_difference(plain, near, w, 16, 16, 32, 32)
    print(f"only masked: a region over the crop changes the mask by {changed:.2f}, one far from it by 0")
    assert changed > 1.0, changed
    assert json.loads(texts["atelier"])["regions"] == [{"box": [12, 12, 36, 36], "prompt": other}]
    print("regions work through generate --init-image and inpaint")


if __name__ == "__main__":
    main()
