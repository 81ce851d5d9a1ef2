#!/usr/bin/env python3
"""Writes golden.json for tests/diffusion_text: CLIP token ids from Hugging Face's CLIPTokenizer and
AUTOMATIC1111's prompt weighting and 77-token chunks, for tricky prompts.

    python3 -m pip install 'transformers>=5' && python3 tests/diffusion_text/make_golden.py

The tokenizer is transformers' own CLIPTokenizer (tokenizers backend), given the vocabulary and merges
OpenAI's simple_tokenizer.py derives from resources/clip/bpe_simple_vocab_16e6.txt.gz. A1111's
parse_prompt_attention (modules/prompt_parser.py) and tokenize_line (modules/sd_hijack_clip.py) are
restated below from their documented behaviour; the restatement must reproduce the examples of
A1111's docstring, which are also golden cases.
"""

import gzip
import json
import random
import re
from pathlib import Path

import tokenizers
import transformers
from transformers import CLIPTokenizer

HERE = Path(__file__).resolve().parent
VOCAB = HERE.parent.parent / "resources" / "clip" / "bpe_simple_vocab_16e6.txt.gz"

START, END, OPEN_CLIP_PAD = 49406, 49407, 0


def bytes_to_unicode():
    printable = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars = printable + [256 + n for n in range(256 - len(printable))]
    order = printable + [b for b in range(256) if b not in printable]
    return {b: chr(c) for b, c in zip(order, chars)}


def clip_tokenizer():
    lines = gzip.open(VOCAB).read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1 : 49152 - 256 - 2 + 1]]
    alphabet = list(bytes_to_unicode().values())
    vocab = alphabet + [c + "</w>" for c in alphabet] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == len(set(vocab)) == 49408
    return CLIPTokenizer(vocab={t: i for i, t in enumerate(vocab)}, merges=merges)


# --- A1111's parse_prompt_attention, restated ------------------------------------------------------

TOKEN = re.compile(
    r"""(?P<escape>\\[()\[\]\\])    # \( \) \[ \] \\: the character itself
      | (?P<backslash>\\)          # any other backslash: dropped
      | (?P<open>[(\[])
      | :\s*(?P<weight>[+-]?[.\d]+)\s*\)
      | (?P<close>[)\]])
      | (?P<text>[^\\()\[\]:]+)
      | (?P<colon>:)""",
    re.X,
)
BREAK = re.compile(r"\s*\bBREAK\b\s*")


def parse_prompt_attention(prompt):
    runs = []  # [text, weight]
    opened = {"(": [], "[": []}  # index of the first run each open bracket weights
    factor = {"(": 1.1, "[": 1 / 1.1}

    def weigh(first, multiplier):
        for run in runs[first:]:
            run[1] *= multiplier

    def text(chunk):
        for i, part in enumerate(BREAK.split(chunk)):
            if i:
                runs.append(["BREAK", -1])
            runs.append([part, 1.0])

    for m in TOKEN.finditer(prompt):
        if m["escape"]:
            runs.append([m["escape"][1], 1.0])
        elif m["backslash"]:
            runs.append(["", 1.0])
        elif m["open"]:
            opened[m["open"]].append(len(runs))
        elif m["weight"] is not None and opened["("]:
            try:
                value = float(m["weight"])
            except ValueError:  # A1111 raises; Atelier weighs the group 1
                value = 1.0
            weigh(opened["("].pop(), value)
        elif m["close"] and opened["(" if m["close"] == ")" else "["]:
            kind = "(" if m["close"] == ")" else "["
            weigh(opened[kind].pop(), factor[kind])
        else:
            text(m[0])
    for kind in "([":
        for first in opened[kind]:
            weigh(first, factor[kind])
    if not runs:
        runs = [["", 1.0]]
    merged = [runs[0]]
    for run in runs[1:]:
        if run[1] == merged[-1][1]:
            merged[-1][0] += run[0]
        else:
            merged.append(run)
    return merged


A1111_DOCSTRING = [
    ("normal text", [["normal text", 1.0]]),
    ("an (important) word", [["an ", 1.0], ["important", 1.1], [" word", 1.0]]),
    ("(unbalanced", [["unbalanced", 1.1]]),
    ("\\(literal\\]", [["(literal]", 1.0]]),
    ("(unnecessary)(parens)", [["unnecessaryparens", 1.1]]),
    ("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
     [["a ", 1.0], ["house", 1.5730000000000004], [" ", 1.1], ["on", 1.0], [" a ", 1.1], ["hill", 0.55],
      [", sun, ", 1.1], ["sky", 1.4641000000000006], [".", 1.1]]),
]


# --- A1111's tokenize_line, restated -----------------------------------------------------------------

def chunk_prompt(tok, runs, pad, comma_backtrack=20):
    comma = tok.convert_tokens_to_ids(",</w>")
    chunks, ids, weights = [], [], []
    state = {"count": 0, "comma": -1}

    def finish(last):
        state["count"] += len(ids) if last else 75
        chunk = [START] + ids + [END] * (76 - len(ids))
        if pad != END:
            first_end = chunk.index(END)
            chunk[first_end + 1 :] = [pad] * (76 - first_end)
        chunks.append({"ids": chunk, "weights": [1.0] + weights + [1.0] * (76 - len(weights))})
        ids.clear()
        weights.clear()
        state["comma"] = -1

    texts = [text for text, _ in runs]
    for token_ids, (text, weight) in zip(tok(texts, add_special_tokens=False)["input_ids"], runs):
        if text == "BREAK" and weight == -1:
            finish(False)
            continue
        for token in token_ids:
            if token == comma:
                state["comma"] = len(ids)
            elif (comma_backtrack and len(ids) == 75 and state["comma"] != -1
                  and len(ids) - state["comma"] <= comma_backtrack):
                cut = state["comma"] + 1
                moved_ids, moved_weights = ids[cut:], weights[cut:]
                del ids[cut:], weights[cut:]
                finish(False)
                ids.extend(moved_ids)
                weights.extend(moved_weights)
            if len(ids) == 75:
                finish(False)
            ids.append(token)
            weights.append(weight)
    if ids or not chunks:
        finish(True)
    return chunks, state["count"]


# --- Cases ---------------------------------------------------------------------------------------------

TOKEN_CASES = {
    "empty": "",
    "spaces only": "   \t\n ",
    "plain": "a photo of an astronaut riding a horse on mars",
    "capitals": "A PHOTO Of An ASTRONAUT",
    "punctuation": "masterpiece, best quality!!! (detailed) [eyes]; 8k... hi-res -- ok?! \"quoted\" 'single'",
    "contractions": "it's don't we're they've I'm you'll he'd 'tis rock'n'roll ''s",
    "numbers": "1234 3.14159 1,000,000 2024-01-01 0x1F 1st 2nd 3rd",
    "digits mixed with letters": "a1b2c3 h2o mp3 4k 8K 16:9",
    "accents": "café naïve résumé Zürich São Paulo Ångström façade",
    "decomposed accents (NFC)": "cafe\u0301 nai\u0308ve",
    "uppercase specials": "İstanbul ΣΟΦΙΑ ΌΣΟΣ Straße ǅ",
    "greek and cyrillic": "αβγ δέλτα Москва ёлка",
    "cjk": "日本語のテキスト 中文字符 한국어 문장",
    "cjk between latin": "a猫b 東京tokyo",
    "emoji": "a cat 🐱 with a hat 🎩 👩‍👩‍👧 🏳️‍🌈 ❤️ 👍🏽",
    "arabic and hindi": "مرحبا بالعالم नमस्ते दुनिया",
    "thai": "ภาษาไทย สวัสดี",
    "fullwidth": "ＡＢＣ　ｄｅｆ １２３",
    "whitespace kinds": "tab\there\nnew line\r\nwindows\u00a0nbsp\u2003em\u3000ideographic\u2028ls",
    "zero width and controls": "zero\u200bwidth soft\u00adhyphen bom\ufeffx bell\x07 nul\x00",
    "leading byte order mark": "\ufeffa photo",
    "html entities stay": "rock &amp; roll &lt;3 &#39;",
    "special tokens written": "<|startoftext|>a photo<|endoftext|> of<|endoftext|><|endoftext|>",
    "special tokens after punctuation": "!!<|endoftext|>,<|startoftext|>..",
    "special tokens in other case": "<|EndOfText|> <|STARTOFTEXT|>>> x<|endoftext",
    "brackets and weights text": "(masterpiece:1.2) [blurry] \\(escaped\\)",
    "urls and paths": "https://example.com/a_b?c=d&e=f C:\\images\\cat.png",
    "underscores and hashes": "snake_case #hashtag @user under__score",
    "math and symbols": "x² + y³ = z½ ∑∞ ≤ ≥ ± × ÷ © ® ™ € £ ¥ °C",
    "repeated letters": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa zzzzzzzzzz",
    "repeated punctuation": "!!!!!!!!!!!!!!!!!!!! ............ ,,,,,, ---- ____",
    "long word": "pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilisticexpialidocious",
    "combining marks alone": "\u0301\u0302 a\u0308\u0308",
    "astral letters": "𝐀𝐁𝐂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀀𠀁",
    "typical sd prompt": "portrait of a beautiful woman, highly detailed, digital painting, artstation, "
                         "concept art, smooth, sharp focus, illustration, art by greg rutkowski and alphonse mucha",
}

LONG = ", ".join(["a highly detailed painting of a castle on a hill at sunset"] * 8)
WORDS = " ".join(f"word{n}" for n in range(120))

PROMPT_CASES = {
    "empty": "",
    "plain": "a photo of a cat",
    "emphasis": "a (photo) of a ((cat)) and (((dog)))",
    "de-emphasis": "a [photo] of a [[cat]]",
    "explicit weights": "(cat:1.5) (dog: 0.5 ) (bird:-1) (fish:+.25) (cow:2.)",
    "weight without group": "cat:1.5) dog",
    "bad weight": "(cat:1.2.3) (dog:.)",
    "escapes": "\\(not weighted\\) \\[neither\\] back\\\\slash",
    "lone backslash dropped": "a\\b \\x \\",
    "nested mixed": "((a [b] c):1.3) [(d)]",
    "crossed brackets": "(a[b)c]d",
    "unbalanced open": "a (b [c",
    "unbalanced close": "a) b] c",
    "unbalanced weight": "(a:1.2 (b",
    "empty groups": "()[](:1.5)",
    "word split by weight": "(photo)graph",
    "colon text": "ratio 16:9, time: 12:30",
    "break": "a cat BREAK a dog",
    "break twice": "a BREAK BREAK b",
    "break only": "BREAK",
    "break at start and end": "BREAK a cat BREAK",
    "break not a word": "BREAKFAST aBREAK BREAK_ break",
    "break after punctuation": "cat,BREAK,dog",
    "break inside brackets": "(a BREAK b) [BREAK]",
    "break with weight 1": "(BREAK:1)",
    "a1111 docstring 1": A1111_DOCSTRING[0][0],
    "a1111 docstring 2": A1111_DOCSTRING[1][0],
    "a1111 docstring 3": A1111_DOCSTRING[2][0],
    "a1111 docstring 4": A1111_DOCSTRING[3][0],
    "a1111 docstring 5": A1111_DOCSTRING[4][0],
    "a1111 docstring 6": A1111_DOCSTRING[5][0],
    "unicode weights": "(猫:1.2) [café] (🐱)",
    "special token in prompt": "a cat<|endoftext|> a dog",
    "long with commas": LONG,
    "long without commas": WORDS,
    "long weighted": "(" + LONG + ":1.1), [" + WORDS + "]",
    "long with break": LONG + " BREAK " + WORDS,
    "comma at the boundary": "x y" + ", cat" * 40,
    "comma 20 tokens back": "cat " * 55 + ", " + "dog " * 30,
    "comma 21 tokens back": "cat " * 54 + ", " + "dog " * 30,
    "typical sd prompt": "masterpiece, (best quality:1.2), ((ultra-detailed)), [lowres], 1girl, solo, "
                         "(looking at viewer), upper body, \\(smile\\), BREAK night sky, stars",
}
NO_BACKTRACK = {"long with commas", "comma at the boundary", "comma 20 tokens back", "comma 21 tokens back"}


def random_prompts(count):
    """Short prompts drawn from the grammar's characters, for the parser alone."""
    rng = random.Random(5)
    alphabet = list("ab (()[]):\\ 1.5-+,\t_") + ["BREAK", " BREAK ", "é", "𝐀", "٣"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(count)]


def main():
    tok = clip_tokenizer()
    for prompt, expected in A1111_DOCSTRING:
        assert parse_prompt_attention(prompt) == expected, (prompt, parse_prompt_attention(prompt))

    tokens = [{"name": name, "text": text, "ids": tok(text, add_special_tokens=False)["input_ids"]}
              for name, text in TOKEN_CASES.items()]
    prompts = []
    for name, prompt in PROMPT_CASES.items():
        runs = parse_prompt_attention(prompt)
        sd1, count = chunk_prompt(tok, runs, END)
        sd2, count2 = chunk_prompt(tok, runs, OPEN_CLIP_PAD)
        assert count == count2 and [c["weights"] for c in sd1] == [c["weights"] for c in sd2]
        case = {"name": name, "prompt": prompt, "runs": runs, "token_count": count,
                "chunks": sd1, "sd2_ids": [c["ids"] for c in sd2]}
        if name in NO_BACKTRACK:
            case["no_backtrack"] = [c["ids"] for c in chunk_prompt(tok, runs, END, comma_backtrack=0)[0]]
        prompts.append(case)

    parsed = [{"prompt": p, "runs": parse_prompt_attention(p)} for p in random_prompts(400)]

    golden = {
        "generator": "tests/diffusion_text/make_golden.py",
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "tokens": tokens,
        "prompts": prompts,
        "random_prompts": parsed,
    }
    text = json.dumps(golden, ensure_ascii=False, indent=1)
    # One line per id list keeps the file short and diffs readable.
    text = re.sub(r"\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m[1].split(",")) + "]", text)
    # Qt's JSON reader drops a byte order mark that opens a string written raw; escaped, it stays.
    text = text.replace("\ufeff", "\\ufeff")
    (HERE / "golden.json").write_text(text + "\n", encoding="utf-8")
    print(f"golden.json: {len(tokens)} token cases, {len(prompts)} prompt cases")


if __name__ == "__main__":
    main()
