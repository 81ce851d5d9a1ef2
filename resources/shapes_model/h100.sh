#!/usr/bin/env bash
# The shapes model's training on one H100, in pieces that each fit the device tool's 10 minutes a
# command. A piece trains, scores the checkpoint with the PyTorch sampler (100 held-out prompts and
# 100 VAE round trips), and leaves in OUT the checkpoint cut into 15 MB parts (the tool's limit on
# a file it returns), the log, the scores and a contact sheet. The next piece starts from the
# checkpoint, joined again (cat OUT/model.part.* > model.safetensors).
#
#   bash h100.sh fresh  MINUTES OUT              # VAE, then text encoder + UNet, from scratch
#   bash h100.sh resume MINUTES OUT CHECKPOINT   # more text encoder + UNet from CHECKPOINT
#
# MINUTES counts training only; rendering 60,000 pictures, loading and scoring add about two.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=$1 minutes=$2 out=$3
run=/tmp/shapes-run
mkdir -p "$run" "$out"
common=(--device cuda --config default --size 128 --train-size 60000 --workers 16 --vae-batch 64
        --log-every 100 --budget-minutes "$minutes" --out "$run")
case $mode in
  fresh) python3 "$here/train.py" "${common[@]}" --batch 128 --lr 4e-4 --vae-share 0.45 ;;
  resume) python3 "$here/train.py" "${common[@]}" --batch 512 --lr 6e-4 --init "$4" ;;
  *) echo "usage: h100.sh fresh|resume MINUTES OUT [CHECKPOINT]" >&2; exit 2 ;;
esac
model=$run/atelier-shapes-sd1.safetensors
python3 "$here/evaluate.py" --model "$model" --config default --engine torch --device cuda \
  --count 100 --vae-check 100 --no-parity --sheet "$out/sheet.png" --json "$out/eval.json"
split -b 15M "$model" "$out/model.part."
sha256sum "$model"
