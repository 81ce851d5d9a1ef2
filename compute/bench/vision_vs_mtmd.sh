#!/usr/bin/env bash
# One picture tile through a vision projector: `atelier bench vision` and llama.cpp's
# llama-mtmd-cli (CPU) alternately on the same mmproj, medians of the rounds and the ratio.
#   compute/bench/vision_vs_mtmd.sh --atelier build/bin/atelier --mtmd-cli DIR/llama-mtmd-cli \
#       --mmproj MMPROJ.gguf --text-model TEXT.gguf [--rounds 2] [--threads 2]
# make_random_vision.py writes a Gemma 3 projector of real size and the text model mtmd needs
# beside it. llama-mtmd-cli comes from llama.cpp's tools (the llama-cpp-python sdist, built with
# -DLLAMA_BUILD_TOOLS=ON, target llama-mtmd-cli); it reports "mtmd batch encoding done in N ms".
set -euo pipefail
rounds=2 threads=2 atelier= cli= mmproj= text=
while [ $# -gt 0 ]; do
  case "$1" in
    --atelier) atelier=$2; shift 2 ;;
    --mtmd-cli) cli=$2; shift 2 ;;
    --mmproj) mmproj=$2; shift 2 ;;
    --text-model) text=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$atelier" ] && [ -n "$cli" ] && [ -n "$mmproj" ] && [ -n "$text" ] || { sed -n 2,8p "$0" >&2; exit 2; }
picture=$(mktemp --suffix=.ppm)
trap 'rm -f "$picture"' EXIT
python3 - "$picture" <<'PY'
import sys
w = h = 896
rows = bytearray()
for y in range(h):
    for x in range(w):
        inside = w // 3 < x < 2 * w // 3 and h // 3 < y < 2 * h // 3
        rows += bytes((220, 30, 128)) if inside else bytes((x * 255 // w, y * 255 // h, 128))
open(sys.argv[1], "wb").write(b"P6 %d %d 255\n" % (w, h) + rows)
PY
ours=() theirs=()
for r in $(seq "$rounds"); do
  a=$("$atelier" bench vision --mmproj "$mmproj" --reps 1 | sed -n 's/^encode one tile: \([0-9.]*\) s.*/\1/p')
  b=$("$cli" -m "$text" --mmproj "$mmproj" --image "$picture" -p hi -n 1 -t "$threads" --chat-template gemma 2>&1 |
      sed -n 's/.*encoding done in \([0-9.]*\) ms.*/\1/p' | awk '{print $1 / 1000}')
  echo "round $r: atelier $a s, llama.cpp $b s"
  ours+=("$a"); theirs+=("$b")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2)}'; }
m1=$(median "${ours[@]}"); m2=$(median "${theirs[@]}")
echo "median: atelier $m1 s, llama.cpp CPU ($threads threads) $m2 s; atelier's time / llama.cpp's: $(awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%.2f", a / b}')x"
