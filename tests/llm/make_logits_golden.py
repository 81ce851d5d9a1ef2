#!/usr/bin/env python3
"""Writes tests/llm/golden/gemma3_logits.json: what llama.cpp computes for fixed prompts with the
default model (Gemma 3 270M Q4_K_M): the prompt's token ids, the last token's logits at the 64
largest ids and at 64 fixed ids, and the 32 tokens greedy decoding continues with.

Reference: llama.cpp from the llama-cpp-python 0.3.36 source package on the CPU, built as
make_tokenizer_golden.py describes; run with the same PYTHONPATH and LLAMA_CPP_LIB_PATH:
    python3 tests/llm/make_logits_golden.py ~/.local/share/Atelier/models/gemma-3-270m-q4_k_m.gguf
"""
import json
import pathlib
import random
import sys

import llama_cpp
import numpy as np

PROMPTS = [
    ("capital", "The capital of France is"),
    ("question", "What is the capital of France?\n"),
    ("chat", "<start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n"),
    ("code", "def fibonacci(n):\n    "),
    ("story", "Once upon a time, in a small village by the sea, there lived"),
]
FIXED_IDS = sorted(random.Random(7).sample(range(262144), 64))


def main():
    model = sys.argv[1]
    llm = llama_cpp.Llama(model_path=model, n_ctx=512, n_batch=512, logits_all=True, verbose=False, seed=0)
    cases = []
    for name, text in PROMPTS:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        llm.reset()
        llm.eval(ids)
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)
        top = np.argsort(-logits)[:64]
        greedy = []
        for _ in range(32):
            token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            greedy.append(token)
            llm.eval([token])
        cases.append({
            "name": name, "text": text, "ids": [int(i) for i in ids],
            "top_ids": [int(i) for i in top], "top_logits": [round(float(logits[i]), 5) for i in top],
            "fixed_logits": [round(float(logits[i]), 5) for i in FIXED_IDS],
            "greedy": greedy,
            "greedy_text": llm.detokenize(greedy).decode("utf-8", errors="replace"),
        })
        print(name, repr(cases[-1]["greedy_text"]))
    target = pathlib.Path(__file__).parent / "golden" / "gemma3_logits.json"
    target.write_text(json.dumps({"model": pathlib.Path(model).name,
                                  "reference": "llama.cpp CPU (llama-cpp-python 0.3.36)",
                                  "fixed_ids": FIXED_IDS, "cases": cases}, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {target}")


if __name__ == "__main__":
    main()
