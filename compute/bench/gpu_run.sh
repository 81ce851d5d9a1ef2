#!/usr/bin/env bash
# On a GPU machine lent for a few minutes (the device tool), from the repository root, with .gpu/
# carried (made here by gpu_pack.sh): the GPU op tests under validation, the device's copy
# bandwidth, then Atelier beside llama.cpp's Vulkan backend on random Llamas of 8B and 1B shapes
# (issue 16's GPU targets), each result written to $OUT as soon as it exists, so that a run cut
# short still returns what it measured. Builds nothing and reaches nothing.
#
#   bash compute/bench/gpu_run.sh [--rounds 3] [--models "8b 1b"] [--pp 512] [--tg 128] [--no-tests]
#
# $OUT gets at most 8 files (what the device tool returns): summary.txt, gpu.txt, tests.txt,
# llm.txt, profile.txt, ops.txt.
set -uo pipefail

rounds=3 models="8b 1b" pp=512 tg=128 tests=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --pp) pp="$2"; shift 2 ;;
    --tg) tg="$2"; shift 2 ;;
    --no-tests) tests=0; shift ;;
    *) echo "gpu_run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
repo="$(pwd)"
out="${OUT:-/tmp/atelier-gpu-out}"
pack=/tmp/atelier-gpu
mkdir -p "$out" "$pack"
log() { echo "[gpu_run $(date +%T)] $*" | tee -a "$out/summary.txt" >&2; }

[ -f .gpu/pack.tar.xz ] || { log "no .gpu/pack.tar.xz: run compute/bench/gpu_pack.sh here first and carry .gpu"; exit 2; }
tar -xJf .gpu/pack.tar.xz -C "$pack"
export LD_LIBRARY_PATH="$pack/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export VK_LAYER_PATH="$pack/layers"
# The NVIDIA driver's Vulkan manifest, where the loader would not find it by itself.
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$nvidia_icd" ] && ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES="$nvidia_icd" VK_ICD_FILENAMES="$nvidia_icd" # the second for loaders before 1.3.207
fi
# The op tests read their fixtures at the path they were built from.
source_root="$(cat "$pack/source-root")"
[ -e "$source_root" ] || { mkdir -p "$(dirname "$source_root")" && ln -s "$repo" "$source_root"; }
log "unpacked; VK_DRIVER_FILES=${VK_DRIVER_FILES:-(loader default)}"

{
  nvidia-smi --query-gpu=name,memory.total,clocks.max.memory,driver_version --format=csv 2>&1
  # The bound a decoded token can reach: bytes a device-to-device copy moves (read and written) a second.
  timeout 60 python3 - <<'EOF' 2>&1
import time
import torch
x = torch.empty(1 << 31, dtype=torch.uint8, device="cuda")
y = torch.empty_like(x)
for _ in range(3):
    y.copy_(x)
torch.cuda.synchronize()
t = time.time()
for _ in range(20):
    y.copy_(x)
torch.cuda.synchronize()
print(f"device-to-device copy: {2 * x.numel() * 20 / (time.time() - t) / 1e9:.0f} GB/s (bytes read and written)")
EOF
} >"$out/gpu.txt"
log "$(tr '\n' ' ' <"$out/gpu.txt")"

if [ "$tests" = 1 ]; then
  for t in tst_vk tst_ops tst_llm_ops tst_diffusion_ops tst_fft tst_llm tst_llm_lora; do
    ATELIER_VK_VALIDATION=1 QT_QPA_PLATFORM=offscreen ATELIER_DATA_DIR="/tmp/atelier-test-$t" \
      timeout 240 "$pack/bin/$t" >>"$out/tests.txt" 2>&1
    status=$?
    log "$t: exit $status, $(grep -c '^PASS' "$out/tests.txt") PASS lines so far, $(grep -c '^FAIL' "$out/tests.txt") FAIL"
  done
fi

python3 -m pip install -q --root-user-action=ignore --no-index --no-deps --no-compile --target /tmp/atelier-site "$pack"/wheels/*.whl &&
  export PYTHONPATH="/tmp/atelier-site${PYTHONPATH:+:$PYTHONPATH}"
for m in $models; do
  gguf="/tmp/random-llama-$m.gguf"
  timeout 120 python3 compute/bench/make_random_llama.py "$m" "$gguf" --random-blocks >/dev/null ||
    { log "could not write the $m model"; continue; }
  log "wrote $gguf ($(du -b "$gguf" | cut -f1) bytes)"
  timeout 300 bash compute/bench/llm_vs_llama.sh --model "$gguf" --pp "$pp" --tg "$tg" --rounds "$rounds" \
    --atelier "$pack/bin/atelier-bench" --llama-vk "$pack/bin" >>"$out/llm.txt" 2>&1
  log "$m: $(tail -n 4 "$out/llm.txt" | tr '\n' ' ')"
  ATELIER_PROFILE=1 timeout 120 "$pack/bin/atelier-bench" llm --model "$gguf" --pp "$pp" --tg 32 --reps 1 \
    >>"$out/profile.txt" 2>&1
  log "$m profile: $(grep 'reads' "$out/profile.txt" | tail -n 1)"
done

timeout 180 "$pack/bin/atelier-bench" ops >"$out/ops.txt" 2>&1
log "ops: exit $?, $(wc -l <"$out/ops.txt") lines"
