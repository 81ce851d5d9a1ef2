#!/usr/bin/env python3
"""Writes tests/llm/golden/tiny_*_logits.json for the tiny random-weight models
(make_tiny_models.py): per prompt, its token ids, every logit of its last token, the 32 tokens
greedy decoding continues with and every logit after them, all from the float64 reference (reference_llm.py), plus what
llama.cpp computes for the same ids.

llama.cpp is the check on the reference: on the same models with every matrix stored as F32 (the
dequantized values, so its CPU backend does not quantize activations to 8 bits) and an F32 KV
cache, it must agree with the float64 pass to 1e-4 - the reference then reads the weights, the
RoPE layouts, biases, GQA and rope factors as llama.cpp does. With an f16 KV cache (as Atelier
keeps it) and on the real (quantized) files, how far it is from float64 is recorded too.

llama.cpp (which also tokenizes the prompts) is the one make_tokenizer_golden.py builds; run with:
    PYTHONPATH=/tmp/llamacpp/llama_cpp_python-0.3.36 \
    LLAMA_CPP_LIB_PATH=/tmp/llamacpp/llama_cpp_python-0.3.36/vendor/llama.cpp/build/bin \
    python3 tests/llm/make_tiny_golden.py
"""
import json
import pathlib
import sys
import tempfile

import gguf
import jinja2.ext
import llama_cpp
import numpy as np
from jinja2.sandbox import ImmutableSandboxedEnvironment

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_tiny_models  # noqa: E402
from reference_llm import Transformer  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
GREEDY_TOKENS = 32
# The smallest gap between the greedy pick and the runner-up along each continuation: the
# engine's f16 KV cache alone moves logits by ~0.005, so ties closer than this are not asked of it.
MIN_MARGIN = 0.05
LONG = ("In 2024 the population was 1234567 and the budget 3.14159 billion; call 555-0100 or +1 (800) 123-4567. "
        "The quick brown fox jumps over the lazy dog. It's what they'd say, and we're sure you'll agree. "
        "SELECT name, COUNT(*) FROM users WHERE age >= 21 GROUP BY name ORDER BY 2 DESC;")

# The "chat" prompt is this question rendered by the model's template (as ChatSession does).
QUESTION = "What is 12+34?"
# (name, text); BOS as the vocabulary asks, special tokens in the text parsed.
PROMPTS = [
    ("plain", "The quick brown fox jumps over the lazy dog."),
    ("code", "def fibonacci(n):\n    if n < 2:\n        return n\n"),
    ("long", LONG),
]


def render_chat(path):
    """(text, add_special): the question through the GGUF's template, rendered by jinja2 as
    transformers does; BOS is added only when the text does not start with it."""
    r = gguf.GGUFReader(path)
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    bos, eos = tokens[r.fields["tokenizer.ggml.bos_token_id"].contents()], tokens[r.fields["tokenizer.ggml.eos_token_id"].contents()]
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    text = env.from_string(r.fields["tokenizer.chat_template"].contents()).render(
        messages=[{"role": "user", "content": QUESTION}], add_generation_prompt=True, bos_token=bos, eos_token=eos)
    return text, not text.startswith(bos)


def llama_cpp_run(path, ids, f32_cache=False):
    """llama.cpp's logits after `ids` and its greedy continuation."""
    kv = {"type_k": 0, "type_v": 0} if f32_cache else {}
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=512, n_batch=512, logits_all=True, verbose=False, seed=0, **kv)
    llm.eval(ids)
    logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)
    greedy = []
    for _ in range(GREEDY_TOKENS):
        greedy.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
        llm.eval([greedy[-1]])
    return logits, greedy, llm


def agreeing(a, b):
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), len(a))


def golden(spec, f32_copy):
    path = HERE / "fixtures" / spec["file"]
    model = Transformer(str(path))
    cases = []
    tokenizer = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    for name, text, add_special in [("chat", *render_chat(path))] + [(n, t, True) for n, t in PROMPTS]:
        ids = tokenizer.tokenize(text.encode("utf-8"), add_bos=add_special, special=True)
        model.reset()
        logits = model.forward(ids)
        if spec["arch"] == "llama":  # normal RoPE on permuted q/k is Hugging Face's rotate-half on the originals
            hf = Transformer(str(path), hf_layout=True)
            assert np.abs(hf.forward(ids) - logits).max() < 1e-9
        greedy, margin, after = model.greedy(logits, GREEDY_TOKENS)
        assert margin >= MIN_MARGIN, f"{spec['arch']} {name}: greedy margin {margin:.4f} is too close to call"

        exact, exact_greedy, _ = llama_cpp_run(f32_copy, ids, f32_cache=True)
        f32_diff = float(np.abs(exact - logits).max())
        assert f32_diff < 1e-4 and exact_greedy == greedy, f"{spec['arch']} {name}: llama.cpp (F32) differs by {f32_diff}"
        f16_cache = float(np.abs(llama_cpp_run(f32_copy, ids)[0] - logits).max())
        quantized, quantized_greedy, llm = llama_cpp_run(path, ids)
        case = {
            "name": name, "text": text, "add_special": add_special, "ids": [int(i) for i in ids],
            "logits": [round(float(x), 5) for x in logits],
            "greedy": greedy, "greedy_min_margin": round(margin, 4),
            "greedy_logits": [round(float(x), 5) for x in after],
            "greedy_text": llm.detokenize(greedy).decode("utf-8", errors="replace"),
            "llamacpp_f32_max_diff": float(f"{f32_diff:.2g}"),
            "llamacpp_f32_f16_cache_max_diff": round(f16_cache, 4),
            "llamacpp_logits": [round(float(x), 5) for x in quantized],
            "llamacpp_max_diff": round(float(np.abs(quantized - logits).max()), 4),
            "llamacpp_greedy": quantized_greedy,
            "llamacpp_greedy_agrees": agreeing(quantized_greedy, greedy),
        }
        cases.append(case)
        print(f"{spec['arch']:6} {name:6} {len(ids):3} ids  margin {margin:.3f}  llama.cpp F32 {f32_diff:.1e}, "
              f"F32 with f16 cache {f16_cache:.4f}, "
              f"quantized {case['llamacpp_max_diff']:.3f} (greedy agrees for {case['llamacpp_greedy_agrees']})")
    return {
        "model": f"fixtures/{spec['file']}",
        "reference": "tests/llm/reference_llm.py (numpy float64)",
        "llamacpp": "llama.cpp CPU (llama-cpp-python 0.3.36): llamacpp_* on this file (f16 KV cache, activations "
                    "quantized to 8 bits for quantized matrices); llamacpp_f32_max_diff on the same weights "
                    "stored as F32 with an F32 KV cache, llamacpp_f32_f16_cache_max_diff with an f16 one",
        "chat_question": QUESTION,
        "cases": cases,
    }


def main():
    # Arguments: fixture names (tiny_olmoe ...) to remake only those; none: all of them.
    wanted = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        for spec in make_tiny_models.ALL:
            stem = pathlib.Path(spec["file"]).stem
            if wanted and stem not in wanted:
                continue
            f32_copy = pathlib.Path(tmp) / spec["file"]
            make_tiny_models.write_model(spec, f32_copy, f32=True)
            target = HERE / "golden" / f"{stem}_logits.json"
            target.write_text(json.dumps(golden(spec, f32_copy), ensure_ascii=False) + "\n")
            print(f"wrote {target}")


if __name__ == "__main__":
    main()
