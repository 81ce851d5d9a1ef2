#!/usr/bin/env python3
"""Writes the retrieval test corpus for tests/docs: a few hundred short documents about made-up
towns, each holding distinct facts, in plain text, Markdown, HTML, source code and PDF (written by
hand here: one Type 1 standard font, text drawn line by line), with near duplicates (a copy of a
town's page about another town) and pages that mention other towns in passing, under OUT_DIR/docs;
plus OUT_DIR/queries.json, each query with the file (relative to docs/, and the PDF page) that
answers it.

    python3 make_corpus.py OUT_DIR [--towns 300] [--seed 21]

Only the standard library; the same seed writes the same bytes."""

import argparse
import json
import os
import random

SYLLABLES = ["va", "lo", "mir", "ken", "dor", "sa", "thi", "rul", "bex", "om", "qua", "zel", "nar", "pio",
             "fen", "gru", "hal", "ixo", "jun", "wes", "yat", "cor", "dul", "eph"]
EXPORTS = ["copper wire", "smoked eels", "violin strings", "blue wool", "salt crystals", "glass beads",
           "pine resin", "dried figs", "silk ribbons", "iron nails", "honey wax", "clay pipes", "linen sails",
           "walnut oil", "marble tiles", "paper lanterns", "tin cups", "rope ladders", "cedar boxes", "wool hats"]
ANIMALS = ["heron", "otter", "lynx", "badger", "falcon", "stag", "marten", "ibis", "tortoise", "salamander",
           "kestrel", "weasel", "crane", "boar", "hare", "owl"]
FESTIVALS = ["lantern night", "the river race", "the harvest fair", "the chess week", "the kite day",
             "the bell festival", "the bread market", "the winter choir", "the boat parade", "the mask dance"]
FIRSTS = ["Ada", "Bruno", "Clara", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Lars",
          "Mara", "Nils", "Olga", "Pavel", "Rosa", "Sven", "Tilda", "Umar", "Vera", "Wim", "Yara", "Zeno"]
LASTS = ["Abernathy", "Brightwater", "Castellane", "Dunmore", "Ellsworth", "Fairbanks", "Gallowmere",
         "Hartigan", "Ivanova", "Jessop", "Kilbride", "Lindqvist", "Marchetti", "Northcott", "Oyelaran",
         "Pemberton", "Quennell", "Rasmussen", "Sandoval", "Thorne"]


def town_names(rng, n):
    names = set()
    while len(names) < n:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize())
    return sorted(names)


def facts_of(rng, name):
    return {
        "name": name,
        "founded": rng.randint(1100, 1950),
        "population": rng.randint(800, 250000),
        "export": rng.choice(EXPORTS),
        "animal": rng.choice(ANIMALS),
        "festival": rng.choice(FESTIVALS),
        "mayor": f"{rng.choice(FIRSTS)} {rng.choice(LASTS)}",
        "bridges": rng.randint(2, 40),
    }


def sentences(f, other):
    n = f["name"]
    return [
        f"{n} was founded in {f['founded']} by fishermen who followed the river.",
        f"Today {n} has {f['population']} inhabitants.",
        f"The main export of {n} is {f['export']}, shipped every spring.",
        f"The {f['animal']} is the emblem of {n} and appears on its flag.",
        f"Every summer {n} celebrates {f['festival']}.",
        f"The mayor of {n} is {f['mayor']}.",
        f"{n} has {f['bridges']} bridges across its canals.",
        f"Travellers often continue from {n} to {other}, a day's walk away.",
    ]


def write_text(path, f, other):
    s = sentences(f, other)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{f['name']}\n\n" + " ".join(s[:3]) + "\n\n" + " ".join(s[3:6]) + "\n\n" + " ".join(s[6:]) + "\n")


def write_markdown(path, f, other):
    s = sentences(f, other)
    n = f["name"]
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"# {n}\n\n{s[0]} {s[1]}\n\n## Trade\n\n{s[2]}\n\n```\nexport = \"{f['export']}\"\n```\n\n"
                  f"## Customs\n\n{s[3]} {s[4]}\n\n## Town hall\n\n{s[5]} {s[6]}\n\n## Nearby\n\n{s[7]}\n")


def write_html(path, f, other):
    s = sentences(f, other)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"<!DOCTYPE html><html><head><title>{f['name']}</title><style>p {{ color: red; }}</style>"
                  f"<script>var secret = 'zanzibarquux';</script></head><body><h1>{f['name']}</h1>"
                  + "".join(f"<p>{x.replace('&', '&amp;')}</p>" for x in s) + "<!-- a comment --></body></html>\n")


def write_code(path, f, other):
    s = sentences(f, other)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f'"""Facts about {f["name"]}."""\n\n\n')
        out.write(f"def founded():\n    # {s[0]}\n    return {f['founded']}\n\n\n")
        out.write(f"def population():\n    # {s[1]}\n    return {f['population']}\n\n\n")
        out.write("def details():\n    return [\n" + "".join(f"        {json.dumps(x)},\n" for x in s[2:]) + "    ]\n")


def pdf_escape(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(path, pages):
    """A PDF with one page per list of lines, Helvetica, drawn top to bottom."""
    objects = []

    def add(body):
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    pages_id = len(objects) + 2 * len(pages) + 1
    kids = []
    for lines in pages:
        stream = "BT /F1 11 Tf 14 TL 72 720 Td " + " ".join(f"({pdf_escape(l)}) Tj T*" for l in lines) + " ET"
        data = stream.encode("latin-1")
        content = add(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, content, font)))
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))) == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    with open(path, "wb") as f:
        f.write(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--towns", type=int, default=300)
    ap.add_argument("--seed", type=int, default=21)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    docs = os.path.join(args.out, "docs")
    names = town_names(rng, args.towns)
    towns = [facts_of(rng, n) for n in names]
    mayors = [t["mayor"] for t in towns]
    writers = [("txt", write_text), ("md", write_markdown), ("html", write_html), ("py", write_code)]
    queries = []
    for sub in ("notes", "wiki", "web", "code", "pdf", "copies"):
        os.makedirs(os.path.join(docs, sub), exist_ok=True)

    def ask(f, source, page=0):
        n = f["name"]
        templates = [
            (f"What is the main export of {n}?", "export"),
            (f"Who is the mayor of {n}?", "mayor"),
            (f"When was {n} founded?", "founded"),
            (f"Which animal is the emblem of {n}?", "animal"),
            (f"How many bridges does {n} have?", "bridges"),
            (f"What festival does {n} celebrate in summer?", "festival"),
        ]
        if rng.random() < 0.3:
            # Asked the other way round: the town is what is looked for, by a fact only it has.
            if mayors.count(f["mayor"]) == 1:
                templates = [(f"Which town has {f['mayor']} as its mayor?", "name")]
            else:
                templates = [(f"Which town has {f['population']} inhabitants?", "name")]
        q, fact = rng.choice(templates)
        queries.append({"query": q, "source": source, "page": page, "answer": str(f[fact])})

    for i, f in enumerate(towns):
        other = towns[(i * 7 + 3) % len(towns)]["name"]
        if i % 25 == 0:
            # A two-page PDF: the town's facts on page 2, a cover on page 1.
            rel = f"pdf/{f['name'].lower()}.pdf"
            write_pdf(os.path.join(docs, rel), [[f"Annual report {2000 + i % 20}", "Prepared by the archive."],
                                                     sentences(f, other)])
            ask(f, rel, page=2)
            continue
        ext, writer = writers[i % len(writers)]
        folder = {"txt": "notes", "md": "wiki", "html": "web", "py": "code"}[ext]
        rel = f"{folder}/{f['name'].lower()}.{ext}"
        writer(os.path.join(docs, rel), f, other)
        if i % 3 == 0:
            ask(f, rel)
        if i % 40 == 7:
            # A near duplicate: this town's page copied for a made-up sister town, other facts.
            twin = facts_of(rng, f["name"] + "ville")
            write_text(os.path.join(docs, f"copies/{twin['name'].lower()}.txt"), twin, f["name"])
            ask(twin, f"copies/{twin['name'].lower()}.txt")
    with open(os.path.join(args.out, "queries.json"), "w", encoding="utf-8") as out:
        json.dump(queries, out, indent=1)
    print(f"{len(towns)} towns, {len(queries)} queries in {args.out}")


if __name__ == "__main__":
    main()
