#!/usr/bin/env python3
"""Writes the byte-level BPE fixtures tst_llm compares with: two small tokenizers trained here with
Hugging Face `tokenizers`, one pre-tokenized as Qwen2 does and one as Llama 3 does, each saved as a
vocab-only GGUF (tests/llm/fixtures/bpe_{qwen2,llama3}.gguf) plus the ids `tokenizers` gives for
tricky strings (tests/llm/golden/bpe_{qwen2,llama3}_tokens.json).

    python3 -m pip install tokenizers gguf
    python3 tests/llm/make_bpe_fixtures.py
"""
import json
import pathlib

import gguf
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

HERE = pathlib.Path(__file__).resolve().parent

# The pre-tokenizer regexes from the models' tokenizer.json files.
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                r"\s*[\r\n]+|\s+(?!\S)|\s+")

CORPUS = [
    "The quick brown fox jumps over the lazy dog. It's what they'd say, and we're sure you'll agree.",
    "I've seen THE ONE'S choice; she'd've known. Don't stop, won't stop, can't stop.",
    "In 2024 the population was 1234567 and the budget 3.14159 billion; call 555-0100 or +1 (800) 123-4567.",
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
    "for (int i = 0; i < 10; ++i) {\n\tprintf(\"%d\\n\", i * i);\n}\n",
    "const x = {\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}};\r\nconsole.log(x);\r\n",
    "你好，世界。今天天气很好，我们去公园散步吧。日本語のテキストも少し。한국어 문장도 있습니다.",
    "Emoji time 😀😃😄 🍕 pizza 👩‍💻 coder 🚀 launch ❤️ love 🇯🇵 flag",
    "Mixed   whitespace\t\there\n\n\nand   there  \n  indented\n\t\ttabbed",
    "Crème brûlée à la française, naïve café, Ångström, Straße, Ελληνικά, русский текст",
    "   leading spaces and trailing spaces   ",
    "<html><body><div class=\"main\">Hello, <b>world</b>!</div></body></html>",
    "SELECT name, COUNT(*) FROM users WHERE age >= 21 GROUP BY name ORDER BY 2 DESC;",
    "Numbers: 0 1 12 123 1234 12345 123456 3.0e-10 0x1F 1,000,000 2026-11-22 12:30:45",
]


def corpus():
    # Repeat with small variations so that merges have counts to rank by.
    for round_ in range(40):
        for i, line in enumerate(CORPUS):
            yield line if round_ % 2 == 0 else f"{line} {round_ * 7 + i}"


CASES = [
    ("plain", "Hello world", True, False),
    ("leading space", " Hello", True, False),
    ("spaces", "a  b   c    d", True, False),
    ("trailing spaces", "end   ", True, False),
    ("newlines", "line one\nline two\n\nline four\n\n\n", True, False),
    ("crlf", "first\r\nsecond\r\n\r\nthird", True, False),
    ("tabs", "\tindented\t\ttext", True, False),
    ("contractions", "It's THEY'RE we'VE I'm you'll he'd don't", True, False),
    ("digits", "1234567 and 12 and 3.14159", True, False),
    ("emoji", "I love pizza 🍕🍕 and 👩‍💻 coding!", True, False),
    ("cjk", "你好，世界。日本語のテキスト。한국어", True, False),
    ("accents", "Crème brûlée à la française, naïve café", True, False),
    ("code", "def f(x):\n    return x**2  # square\n\nprint(f(3))", True, False),
    ("json", '{"key": [1, 2, {"nested": null}], "s": "q\\"uote"}', True, False),
    ("punctuation runs", "Wait...!!! ?? -- ;; }}}\n\n", True, False),
    ("unseen script", "ℕ ⊆ ℤ; 𝔽𝕠𝕟𝕥; ∮ E⋅da = Q; ሰላም", True, False),
    ("long word", "Pneumonoultramicroscopicsilicovolcanoconiosis", True, False),
    ("mixed whitespace", " \n \n\n  \t x", True, False),
    ("single space", " ", False, False),
    ("empty", "", True, False),
    ("no special", "Hello world", False, False),
]
SPECIAL_CASES = {
    "qwen2": [("chat template",
               "<|im_start|>user\nWhat is 12+34?<|im_end|>\n<|im_start|>assistant\n", True, True),
              ("end of text", "done<|endoftext|>", False, True)],
    "llama3": [("chat template", "<|begin_of_text|>user: hi there<|eot_id|>assistant:", False, True),
               ("end of turn", "done<|eot_id|>", True, True)],
}


def train(regex, specials, ignore_merges, bos):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1500, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus(), trainer=trainer)
    # Llama 3's tokenizer.json sets ignore_merges: a whole pre-token in the vocabulary is one token.
    spec = json.loads(tok.to_str())
    spec["model"]["ignore_merges"] = ignore_merges
    tok = Tokenizer.from_str(json.dumps(spec))
    if bos is not None:
        tok.post_processor = processors.TemplateProcessing(single=f"{bos} $A", special_tokens=[(bos, tok.token_to_id(bos))])
    return tok


def write_gguf(tok, path, arch, pre, specials, bos, eos, add_bos):
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    tokens = [None] * len(vocab)
    for text, i in vocab.items():
        tokens[i] = text
    for added in spec["added_tokens"]:
        if added["id"] >= len(tokens):
            tokens.extend([None] * (added["id"] + 1 - len(tokens)))
        tokens[added["id"]] = added["content"]
    assert all(t is not None for t in tokens)
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    types = [gguf.TokenType.CONTROL if t in specials else gguf.TokenType.NORMAL for t in tokens]

    w = gguf.GGUFWriter(str(path), arch)
    w.add_context_length(4096)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(128)
    w.add_head_count(1)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(tokens.index(bos))
    w.add_eos_token_id(tokens.index(eos))
    w.add_add_bos_token(add_bos)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def golden(tok, name, path):
    cases = []
    for case_name, text, add_special, parse_special in CASES + SPECIAL_CASES[name]:
        ids = tok.encode(text, add_special_tokens=add_special).ids
        cases.append({"name": case_name, "text": text, "add_special": add_special,
                      "parse_special": parse_special, "ids": ids})
    path.write_text(json.dumps({"tokenizer": f"fixtures/bpe_{name}.gguf", "source": f"tokenizers {__import__('tokenizers').__version__}",
                                "cases": cases}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main():
    (HERE / "fixtures").mkdir(exist_ok=True)
    (HERE / "golden").mkdir(exist_ok=True)
    qwen_specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    qwen = train(QWEN2_REGEX, qwen_specials, False, None)
    write_gguf(qwen, HERE / "fixtures/bpe_qwen2.gguf", "qwen2", "qwen2", qwen_specials,
               "<|endoftext|>", "<|im_end|>", False)
    golden(qwen, "qwen2", HERE / "golden/bpe_qwen2_tokens.json")

    llama_specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
    llama = train(LLAMA3_REGEX, llama_specials, True, "<|begin_of_text|>")
    write_gguf(llama, HERE / "fixtures/bpe_llama3.gguf", "llama", "llama-bpe", llama_specials,
               "<|begin_of_text|>", "<|eot_id|>", True)
    golden(llama, "llama3", HERE / "golden/bpe_llama3_tokens.json")


if __name__ == "__main__":
    main()
