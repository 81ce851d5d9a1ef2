#!/usr/bin/env python3
"""Procedural captioned pictures for the Atelier shapes model, and the checker that reads them back.

A scene is drawn from a small grammar and rendered with PIL (4x supersampled, so edges are
anti-aliased) at 64x64 (or any multiple of 16, e.g. 128x128):

    a {small|large} {colour} {shape} {at the top left|...|in the centre} on a {bg} background
    a large red star on the left on a blue striped background           (texture: striped, dotted)
    a small yellow circle at the top right on a cyan background above green ground   (a scene)
    two small white squares on a black background                       (counts: one, two, three)

Every picture is a pure function of (split, index) through a seeded numpy Generator, so a split is
the same on every machine. Held-out prompts: HELD_OUT_TRIPLES (colour, shape, position)
combinations chosen by seed never appear in the training split as a single object; the "heldout"
split draws only from them (with any size, background and texture).

describe(image) is the evaluator's checker: the background is the dominant border colour; pixels far
from it (and from a ground band, if one spans the picture) are foreground; the largest connected
component is the main object. Its colour is the nearest named colour (median of its inner pixels),
its shape comes from the fill ratio of its bounding box and the share of its area in the top half,
its position is its centroid in a 3x3 grid, and count is the number of large-enough components.

Usage: python3 shapes_dataset.py --check 2000     # checker accuracy on rendered ground truth
       python3 shapes_dataset.py --sheet out.png  # a contact sheet of 64 training pictures
"""
import argparse
import math

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {  # named colours far apart in RGB (pairwise distance >= 100)
    "red": (220, 20, 30), "orange": (250, 120, 0), "yellow": (250, 225, 20), "green": (20, 160, 40),
    "cyan": (30, 210, 230), "blue": (30, 60, 220), "purple": (130, 40, 170), "pink": (250, 130, 200),
    "white": (245, 245, 245), "black": (15, 15, 15),
}
SHAPES = ("circle", "square", "triangle", "star", "cross")
POSITIONS = {  # name -> (column, row) in a 3x3 grid
    "top left": (0, 0), "top": (1, 0), "top right": (2, 0), "left": (0, 1), "centre": (1, 1),
    "right": (2, 1), "bottom left": (0, 2), "bottom": (1, 2), "bottom right": (2, 2),
}
PHRASE = {"top left": "at the top left", "top": "at the top", "top right": "at the top right",
          "left": "on the left", "centre": "in the centre", "right": "on the right",
          "bottom left": "at the bottom left", "bottom": "at the bottom", "bottom right": "at the bottom right"}
SIZES = {"small": 0.1, "large": 0.17}  # radius as a fraction of the picture side
COUNTS = {1: "a", 2: "two", 3: "three"}
TEXTURES = ("plain", "plain", "plain", "striped", "dotted")
TEXTURE_DELTA = 22     # texture marks differ from the background by this much per channel
FOREGROUND_DISTANCE = 70.0
SPLIT_SEEDS = {"train": 1, "val": 2, "heldout": 3}
HELD_OUT_SEED = 2026
HELD_OUT_FRACTION = 0.1


def all_triples():
    return [(c, s, p) for c in COLOURS for s in SHAPES for p in POSITIONS]


def held_out_triples():
    triples = all_triples()
    rng = np.random.default_rng(HELD_OUT_SEED)
    picked = rng.choice(len(triples), int(len(triples) * HELD_OUT_FRACTION), replace=False)
    return {triples[i] for i in sorted(picked)}


HELD_OUT_TRIPLES = held_out_triples()


# ---------------------------------------------------------------------------------------------
# Scenes


def sample_scene(rng, split):
    """A scene dict: objects [(colour, shape, size, (x, y) centre in [0,1])], background, texture,
    ground colour or None, and the caption."""
    count = 1 if split == "heldout" else int(rng.choice([1, 1, 1, 1, 2, 3]))
    ground = None
    if count == 1:
        while True:
            colour, shape, position = (str(rng.choice(list(COLOURS))), str(rng.choice(SHAPES)),
                                       str(rng.choice(list(POSITIONS))))
            if ((colour, shape, position) in HELD_OUT_TRIPLES) == (split == "heldout"):
                break
        size = str(rng.choice(list(SIZES)))
        col, row = POSITIONS[position]
        centre = ((col + 0.5) / 3 + rng.uniform(-0.03, 0.03), (row + 0.5) / 3 + rng.uniform(-0.03, 0.03))
        objects = [(colour, shape, size, centre)]
    else:
        colour, shape, size = str(rng.choice(list(COLOURS))), str(rng.choice(SHAPES)), str(rng.choice(list(SIZES)))
        cells = rng.choice(9, count, replace=False) if size == "small" else rng.choice([0, 2, 6, 8], count, replace=False)
        objects = [(colour, shape, size, ((c % 3 + 0.5) / 3 + rng.uniform(-0.03, 0.03),
                                          (c // 3 + 0.5) / 3 + rng.uniform(-0.03, 0.03))) for c in cells]
        position = None
    background = str(rng.choice([c for c in COLOURS if c != colour]))
    texture = str(rng.choice(TEXTURES))
    if count == 1 and POSITIONS[position][1] == 0 and texture == "plain" and rng.uniform() < 0.3:
        ground = str(rng.choice([c for c in COLOURS if c not in (colour, background)]))
    words = [COUNTS[count], size, colour, shape + ("s" if count > 1 and shape != "cross" else "es" if count > 1 else "")]
    if position is not None:
        words.append(PHRASE[position])
    words.append(f"on a {background} {'' if texture == 'plain' else texture + ' '}background")
    if ground is not None:
        words.append(f"above {ground} ground")
    return {"objects": objects, "background": background, "texture": texture, "ground": ground,
            "count": count, "position": position, "caption": " ".join(words)}


def scene(split, index):
    rng = np.random.default_rng([SPLIT_SEEDS[split], index])
    return sample_scene(rng, split)


def shape_polygon(shape, cx, cy, r):
    if shape == "square":
        r *= 0.85
        return [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r)]
    if shape == "triangle":
        return [(cx, cy - r), (cx + r * 1.0, cy + r * 0.8), (cx - r * 1.0, cy + r * 0.8)]
    if shape == "star":
        pts = []
        for k in range(10):
            rad = r if k % 2 == 0 else r * 0.42
            a = -math.pi / 2 + k * math.pi / 5
            pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a) + r * 0.1))
        return pts
    if shape == "cross":
        a, b = r * 0.9, r * 0.32
        return [(cx - b, cy - a), (cx + b, cy - a), (cx + b, cy - b), (cx + a, cy - b), (cx + a, cy + b),
                (cx + b, cy + b), (cx + b, cy + a), (cx - b, cy + a), (cx - b, cy + b), (cx - a, cy + b),
                (cx - a, cy - b), (cx - b, cy - b)]
    raise KeyError(shape)


def shade(colour, delta):
    """The background colour moved by delta towards mid-grey's far side (lighter if dark)."""
    sign = 1 if sum(colour) < 384 else -1
    return tuple(int(np.clip(c + sign * delta, 0, 255)) for c in colour)


def render(sc, size=64, supersample=4):
    n = size * supersample
    image = Image.new("RGB", (n, n), COLOURS[sc["background"]])
    draw = ImageDraw.Draw(image)
    mark = shade(COLOURS[sc["background"]], TEXTURE_DELTA)
    if sc["texture"] == "striped":
        step = n // 8
        for x in range(-n, n, step):
            draw.polygon([(x, 0), (x + step // 2, 0), (x + step // 2 + n, n), (x + n, n)], fill=mark)
    elif sc["texture"] == "dotted":
        step = n // 8
        for y in range(step // 2, n, step):
            for x in range(step // 2, n, step):
                draw.ellipse([x - step / 6, y - step / 6, x + step / 6, y + step / 6], fill=mark)
    if sc["ground"] is not None:
        draw.rectangle([0, int(n * 0.75), n, n], fill=COLOURS[sc["ground"]])
    for colour, shape, sz, (x, y) in sc["objects"]:
        cx, cy, r = x * n, y * n, SIZES[sz] * n
        if shape == "circle":
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=COLOURS[colour])
        else:
            draw.polygon(shape_polygon(shape, cx, cy, r), fill=COLOURS[colour])
    return np.asarray(image.resize((size, size), Image.BOX))


def sample(split, index, size=64):
    """(uint8 HxWx3 picture, caption, scene)."""
    sc = scene(split, index)
    return render(sc, size), sc["caption"], sc


# ---------------------------------------------------------------------------------------------
# The checker


def nearest_colour(rgb):
    names = list(COLOURS)
    table = np.array([COLOURS[c] for c in names], dtype=np.float32)
    return names[int(np.argmin(((table - np.asarray(rgb, np.float32)) ** 2).sum(1)))]


def components(mask):
    """4-connected components of a boolean mask: a list of index arrays (flat), largest first."""
    h, w = mask.shape
    label = np.full(h * w, -1, dtype=np.int64)
    flat = mask.ravel()
    comps = []
    for start in np.flatnonzero(flat):
        if label[start] >= 0:
            continue
        label[start] = len(comps)
        stack, members = [start], []
        while stack:
            p = stack.pop()
            members.append(p)
            y, x = divmod(p, w)
            for q, ok in ((p - w, y > 0), (p + w, y < h - 1), (p - 1, x > 0), (p + 1, x < w - 1)):
                if ok and flat[q] and label[q] < 0:
                    label[q] = len(comps)
                    stack.append(q)
        comps.append(np.array(members))
    return sorted(comps, key=len, reverse=True)


def template(shape, height, width, supersample=4):
    """The coverage (HxW, 0..1) of an ideal shape stretched over a height x width bounding box."""
    hs, ws = height * supersample, width * supersample
    canvas = Image.new("L", (ws, hs), 0)
    draw = ImageDraw.Draw(canvas)
    if shape == "circle":
        draw.ellipse([0, 0, ws, hs], fill=255)
    else:
        pts = np.array(shape_polygon(shape, 0.0, 0.0, 1.0))
        lo, hi = pts.min(0), pts.max(0)
        pts = (pts - lo) / (hi - lo) * np.array([ws, hs])
        draw.polygon([tuple(p) for p in pts], fill=255)
    return np.asarray(canvas.resize((width, height), Image.BOX), dtype=np.float32) / 255.0


def classify_shape(ys, xs):
    """The shape whose ideal outline, stretched over the component's bounding box, overlaps it best
    (intersection over union)."""
    y0, x0 = ys.min(), xs.min()
    h, w = ys.max() - y0 + 1, xs.max() - x0 + 1
    mask = np.zeros((h, w), dtype=bool)
    mask[ys - y0, xs - x0] = True
    best, best_iou = None, -1.0
    for shape in SHAPES:
        t = template(shape, h, w) > 0.5
        iou = (t & mask).sum() / max(1, (t | mask).sum())
        if iou > best_iou:
            best, best_iou = shape, iou
    return best


def describe(image):
    """image: HxWx3 uint8. -> {"colour", "shape", "position", "count", "background"} of the main
    object, or {"count": 0, ...} when nothing stands out from the background."""
    img = np.asarray(image, dtype=np.float32)[..., :3]
    h, w, _ = img.shape
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    names = [nearest_colour(p) for p in border]
    bg_name = max(set(names), key=names.count)
    bg = np.median(border[np.array(names) == bg_name], axis=0)
    mask = np.sqrt(((img - bg) ** 2).sum(-1)) > FOREGROUND_DISTANCE
    min_area = max(4, int(0.004 * h * w))
    comps = []
    for comp in components(mask):
        ys, xs = np.divmod(comp, w)
        if len(comp) < min_area:
            break
        if xs.min() == 0 and xs.max() == w - 1 and ys.max() == h - 1:
            continue  # a ground band spanning the picture
        comps.append((ys, xs))
    result = {"background": bg_name, "count": len(comps)}
    if not comps:
        return dict(result, colour=None, shape=None, position=None)
    ys, xs = comps[0]
    pixels = img[ys, xs]
    inner = pixels[np.sqrt(((pixels - bg) ** 2).sum(-1)) > 2 * FOREGROUND_DISTANCE]
    colour = nearest_colour(np.median(inner if len(inner) >= len(pixels) // 4 else pixels, axis=0))
    col = min(2, int(xs.mean() + 0.5) * 3 // w)
    row = min(2, int(ys.mean() + 0.5) * 3 // h)
    position = next(p for p, cr in POSITIONS.items() if cr == (col, row))
    return dict(result, colour=colour, shape=classify_shape(ys, xs), position=position)


def score(sc, found):
    """Per-attribute correctness of describe()'s answer against a scene: colour, shape, and
    position (one object) or count (several)."""
    colour, shape, _, _ = sc["objects"][0]
    out = {"colour": found["colour"] == colour, "shape": found["shape"] == shape}
    if sc["count"] == 1:
        out["position"] = found["position"] == sc["position"]
    else:
        out["count"] = found["count"] == sc["count"]
    out["all"] = all(out.values())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", type=int, default=0, help="score describe() on this many pictures per split")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--sheet", help="write a contact sheet of 64 training pictures here")
    args = ap.parse_args()
    if args.sheet:
        tiles = [sample("train", i, args.size)[0] for i in range(64)]
        rows = [np.concatenate(tiles[r * 8:(r + 1) * 8], axis=1) for r in range(8)]
        Image.fromarray(np.concatenate(rows, axis=0)).save(args.sheet)
        for i in range(8):
            print(i, sample("train", i)[1])
    for split in ("train", "heldout"):
        if not args.check:
            break
        totals, wrong = {}, []
        for i in range(args.check):
            image, caption, sc = sample(split, i, args.size)
            s = score(sc, describe(image))
            for k, v in s.items():
                totals.setdefault(k, []).append(v)
            if not s["all"] and len(wrong) < 5:
                wrong.append((caption, describe(image)))
        print(split, {k: f"{np.mean(v):.4f} ({len(v)})" for k, v in totals.items()})
        for w in wrong:
            print("  miss:", w)


if __name__ == "__main__":
    main()
