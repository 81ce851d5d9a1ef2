#!/usr/bin/env python3
"""Writes tests/llm/golden/gemma3_tokens.json: token ids that llama.cpp's own tokenizer gives for
tricky strings with the default model (Gemma 3 270M Q4_K_M), the reference tst_llm compares with.

The reference is llama.cpp as vendored in the llama-cpp-python source package (0.3.36), built here:
    python3 -m pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d /tmp/lcp
    tar xzf /tmp/lcp/llama_cpp_python-0.3.36.tar.gz -C /tmp/llamacpp
    cd /tmp/llamacpp/llama_cpp_python-0.3.36/vendor/llama.cpp
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF
    ninja -C build llama-tokenize        # builds libllama.so and libggml*.so in build/bin
then run, with the package's Python bindings pointed at those libraries:
    PYTHONPATH=/tmp/llamacpp/llama_cpp_python-0.3.36 \
    LLAMA_CPP_LIB_PATH=/tmp/llamacpp/llama_cpp_python-0.3.36/vendor/llama.cpp/build/bin \
    python3 tests/llm/make_tokenizer_golden.py ~/.local/share/Atelier/models/gemma-3-270m-q4_k_m.gguf
"""
import json
import pathlib
import sys

import llama_cpp

CASES = [
    ("plain", "Hello world", True, False),
    ("no bos", "Hello world", False, False),
    ("leading space", " Hello", True, False),
    ("spaces", "a  b   c    d", True, False),
    ("trailing spaces", "end   ", True, False),
    ("newlines", "line one\nline two\n\nline four\n\n\n", True, False),
    ("tabs", "\tindented\t\ttext", True, False),
    ("question", "What is the capital of France?", True, False),
    ("numbers", "3.14159 and 1,000,000 and 2026-11-22", True, False),
    ("emoji", "I love pizza 🍕🍕 and 👩‍💻 coding!", True, False),
    ("cjk", "你好，世界。日本語のテキスト。한국어", True, False),
    ("accents", "Crème brûlée à la française, naïve café", True, False),
    ("arabic", "مرحبا بالعالم", True, False),
    ("code", "def f(x):\n    return x**2  # square\n\nprint(f(3))", True, False),
    ("json", '{"key": [1, 2, {"nested": null}], "s": "q\\"uote"}', True, False),
    ("html", "<div class=\"a\"><b>bold</b></div>", True, False),
    ("rare unicode", "ℕ ⊆ ℤ ⊆ ℚ; 𝔽𝕠𝕟𝕥; ∮ E⋅da = Q", True, False),
    ("long word", "Pneumonoultramicroscopicsilicovolcanoconiosis", True, False),
    ("empty", "", True, False),
    ("single space", " ", False, False),
    ("chat template", "<start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n", True, True),
    ("chat template literal", "<start_of_turn>user\nhi<end_of_turn>", True, False),
    ("control tokens", "<bos><eos>text<unused0>", False, True),
    ("mixed whitespace", " \n \n\n  \t x", True, False),
]


def main():
    model = sys.argv[1]
    llm = llama_cpp.Llama(model_path=model, vocab_only=True, verbose=False)
    out = []
    for name, text, add_special, parse_special in CASES:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=add_special, special=parse_special)
        out.append({"name": name, "text": text, "add_special": add_special,
                    "parse_special": parse_special, "ids": list(ids)})
    target = pathlib.Path(__file__).parent / "golden" / "gemma3_tokens.json"
    target.write_text(json.dumps({"model": pathlib.Path(model).name, "reference": "llama.cpp (llama-cpp-python 0.3.36)",
                                  "cases": out}, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(out)} cases to {target}")


if __name__ == "__main__":
    main()
