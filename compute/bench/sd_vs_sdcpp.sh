#!/usr/bin/env bash
# Atelier's Stable Diffusion speed beside stable-diffusion.cpp's on the same checkpoint, size and
# machine. Runs `atelier bench sd` and sd.cpp's `sd-cli -v` (CPU build, and the Vulkan build when
# given) one after another, round after round, so that a busy machine slows every engine alike;
# then prints one table of median seconds per stage and each anchor's time over Atelier's (above 1:
# Atelier is faster).
#
#   compute/bench/sd_vs_sdcpp.sh --model SAFETENSORS [--size 256] [--rounds 3] [--steps 2]
#       [--atelier build/bin/atelier] [--sd-cpu DIR/bin] [--sd-vk DIR/bin] [--threads N]
#
# Stages: the text encoder (prompt and negative prompt), one UNet step with classifier-free
# guidance (sd.cpp: its sampling time over --steps), and the VAE decode. sd.cpp cannot load
# Atelier's narrow shapes model: use an SD 1.5-shaped checkpoint (make_random_sd15.py). The anchors
# come from ../shared/anchors/build-anchors.sh (sd-cpu/bin, sd-vk/bin); the Vulkan one runs with
# GGML_VK_VISIBLE_DEVICES=0, without which ggml-vulkan skips CPU devices (lavapipe). A stage an
# engine did not finish (sd.cpp's Vulkan VAE decode has crashed on lavapipe) shows as nan.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
model="" size=256 rounds=3 steps=2 threads="$(nproc)"
atelier="$here/../../build/bin/atelier" sd_cpu="" sd_vk=""
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2" ;;
    --size) size="$2" ;;
    --rounds) rounds="$2" ;;
    --steps) steps="$2" ;;
    --atelier) atelier="$2" ;;
    --sd-cpu) sd_cpu="$2" ;;
    --sd-vk) sd_vk="$2" ;;
    --threads) threads="$2" ;;
    *) echo "sd_vs_sdcpp.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
[ -f "$model" ] || { echo "sd_vs_sdcpp.sh: --model SAFETENSORS is required" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
results="$work/results"
prompt="a photograph of an astronaut riding a horse on the moon"

# One line per measurement: engine stage seconds
atelier_round() {
  "$atelier" bench sd --model "$model" --size "$size" --iterations 1 2>/dev/null | tee "$work/atelier.log" |
    awk 'function seconds(   s) { match($0, /[0-9.]+ s[ ,(]/); s = substr($0, RSTART, RLENGTH); return s + 0 }
         /^text encoder/ { print "atelier text", seconds() }
         /^UNet/ { match($0, /\([0-9.]+ s per iteration/); print "atelier unet", substr($0, RSTART + 1, RLENGTH - 16) + 0 }
         /^VAE decode/ { print "atelier vae", seconds() }'
}
sdcpp_round() { # name bin-dir
  local name="$1" bin="$2"
  "$bin/sd-cli" -m "$model" -p "$prompt" -n "" -W "$size" -H "$size" --steps "$steps" --cfg-scale 7 \
    -t "$threads" -s 1 -o "$work/$name.png" -v >"$work/$name.log" 2>&1 || echo "$name: sd-cli exited with $?" >&2
  awk -v name="$name" -v steps="$steps" '
    /get_learned_condition completed, taking/ { t = $NF; sub(/s$/, "", t); print name, "text", t }
    /sampling completed, taking/ { t = $NF; sub(/s$/, "", t); print name, "unet", t / steps }
    /decode_first_stage completed, taking/ { t = $NF; sub(/s$/, "", t); print name, "vae", t }' "$work/$name.log"
}

device="$("$atelier" devices 2>/dev/null | awk '/^\[0\]/ { sub(/^\[0\] /, ""); print; exit }' || true)"
for ((r = 1; r <= rounds; ++r)); do
  echo "round $r of $rounds" >&2
  atelier_round >>"$results"
  [ -n "$sd_cpu" ] && sdcpp_round sd.cpp-cpu "$sd_cpu" >>"$results"
  [ -n "$sd_vk" ] && GGML_VK_VISIBLE_DEVICES=0 sdcpp_round sd.cpp-vulkan "$sd_vk" >>"$results"
done

python3 - "$results" "$size" "$(basename "$model")" "$device" "$threads" "$steps" <<'PY'
import math, statistics, sys
path, size, model, device, threads, steps = sys.argv[1:]
times = {}
for line in open(path):
    engine, stage, value = line.split()
    times.setdefault((engine, stage), []).append(float(value))
stages = [("text", "text encoder s"), ("unet", "UNet step s"), ("vae", "VAE decode s")]
engines = [e for e in ["atelier", "sd.cpp-cpu", "sd.cpp-vulkan"] if any((e, s) in times for s, _ in stages)]
median = {k: statistics.median(v) for k, v in times.items()}
get = lambda e, s: median.get((e, s), math.nan)
print(f"model: {model}, {size}x{size} with CFG; Atelier on {device or 'its default device'}; "
      f"sd.cpp with {threads} threads, {steps} steps")
print(f"{'engine':<22}" + "".join(f"{title:>16}" for _, title in stages) + "   runs")
for e in engines:
    print(f"{e:<22}" + "".join(f"{get(e, s):>16.2f}" for s, _ in stages) + f"   {len(times.get((e, 'unet'), []))}")
for e in engines[1:]:
    print(f"{e + ' / atelier':<22}" + "".join(f"{get(e, s) / get('atelier', s):>15.2f}x" for s, _ in stages))
PY
