#!/usr/bin/env bash
# Atelier's language-model speed beside llama.cpp's on the same GGUF and the same machine.
# Runs `atelier bench llm` and llama.cpp's `llama-bench` (CPU build, and the Vulkan build when given)
# one after another, round after round, so that a busy machine slows every engine alike; then prints
# one table of median tokens/s and Atelier's ratio to each anchor.
#
#   compute/bench/llm_vs_llama.sh --model GGUF [--pp 128] [--tg 32] [--rounds 3]
#       [--atelier build/bin/atelier] [--llama-cpu DIR/bin] [--llama-vk DIR/bin] [--threads N]
#
# The anchors come from ../shared/anchors/build-anchors.sh (llama-cpu/bin, llama-vk/bin). The Vulkan
# anchor runs with GGML_VK_VISIBLE_DEVICES=0: without it ggml-vulkan skips CPU devices (lavapipe)
# and quietly runs on its CPU backend.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
model="" pp=128 tg=32 rounds=3 threads="$(nproc)"
atelier="$here/../../build/bin/atelier" llama_cpu="" llama_vk=""
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2" ;;
    --pp) pp="$2" ;;
    --tg) tg="$2" ;;
    --rounds) rounds="$2" ;;
    --atelier) atelier="$2" ;;
    --llama-cpu) llama_cpu="$2" ;;
    --llama-vk) llama_vk="$2" ;;
    --threads) threads="$2" ;;
    *) echo "llm_vs_llama.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
[ -f "$model" ] || { echo "llm_vs_llama.sh: --model GGUF is required" >&2; exit 2; }

results="$(mktemp)"

# atelier-bench (app/bench_main.cpp) is `atelier bench` on its own.
bench=("$atelier" bench)
[ "$(basename "$atelier")" = atelier-bench ] && bench=("$atelier")
device_line="$(mktemp)"
trap 'rm -f "$results" "$device_line"' EXIT

# One line per measurement: engine test tokens/s
atelier_round() {
  "${bench[@]}" llm --model "$model" --pp "$pp" --tg "$tg" --reps 1 2>/dev/null |
    awk -v pp="pp$pp" -v tg="tg$tg" -v device="$device_line" '($1 == pp || $1 == tg) && NF == 2 { print "atelier", $1, $2 }
      /^device: / { sub(/^device: /, ""); print > device }
      /^per generated token|^generation reads/ { print "atelier: " $0 > "/dev/stderr" }'
}
llama_round() { # name bin-dir extra-args...
  local name="$1" bin="$2"
  shift 2
  "$bin/llama-bench" -m "$model" -p "$pp" -n "$tg" -r 1 -t "$threads" -o csv "$@" 2>/dev/null |
    python3 -c '
import csv, sys
for row in csv.DictReader(sys.stdin):
    test = ("pp" + row["n_prompt"]) if int(row["n_prompt"]) > 0 else ("tg" + row["n_gen"])
    print(sys.argv[1], test, row["avg_ts"])' "$name"
}

for ((r = 1; r <= rounds; ++r)); do
  echo "round $r of $rounds" >&2
  atelier_round >>"$results"
  [ -n "$llama_cpu" ] && llama_round llama.cpp-cpu "$llama_cpu" >>"$results"
  [ -n "$llama_vk" ] && GGML_VK_VISIBLE_DEVICES=0 llama_round llama.cpp-vulkan "$llama_vk" -ngl 99 >>"$results"
done
device="$(cat "$device_line")"

python3 - "$results" "$pp" "$tg" "$(basename "$model")" "$device" "$threads" <<'EOF'
import statistics, sys
path, pp, tg, model, device, threads = sys.argv[1:]
rates = {}
for line in open(path):
    engine, test, value = line.split()
    rates.setdefault((engine, test), []).append(float(value))
tests = ["pp" + pp, "tg" + tg]
engines = [e for e in ["atelier", "llama.cpp-cpu", "llama.cpp-vulkan"] if (e, tests[0]) in rates]
median = {k: statistics.median(v) for k, v in rates.items()}
print(f"model: {model}; Atelier on {device or 'its default device'}; llama.cpp CPU with {threads} threads")
print(f"{'engine':<18}" + "".join(f"{t + ' tok/s':>14}" for t in tests) + "   runs")
for e in engines:
    print(f"{e:<18}" + "".join(f"{median.get((e, t), float('nan')):>14.2f}" for t in tests) +
          f"   {len(rates.get((e, tests[0]), []))}")
for e in engines[1:]:
    print(f"{'atelier / ' + e.split('-')[1]:<18}" +
          "".join(f"{median[('atelier', t)] / median[(e, t)]:>13.2f}x" for t in tests))
EOF
