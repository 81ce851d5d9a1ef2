#!/usr/bin/env bash
# Packs, here, what compute/bench/gpu_run.sh needs on a GPU machine that builds nothing and
# reaches nothing (the device tool: 64 MiB of files travel with the working tree, a few minutes of
# device time): atelier-bench, the op tests and the language-model tests (stripped), every library
# they load but the C and C++ runtimes (the machine's are newer), the Khronos validation layer,
# llama.cpp's Vulkan llama-bench, and the gguf wheel that make_random_llama.py needs. One xz
# tarball, .gpu/pack.tar.xz (.gpu/ is in .git/info/exclude; name it in the run's `carry`).
#
#   compute/bench/gpu_pack.sh --llama-vk ANCHORS/llama-vk/bin [--build build]
#   compute/bench/gpu_pack.sh --trim     # then: the files that need not travel, out of the tree
#
# --trim deletes from the working tree the tracked files the GPU run does not read and that would
# not fit in what travels (the shapes model, the diffusion golden checkpoints); `git checkout --
# resources tests` brings them back after the run. The llama.cpp anchor: build-anchors.sh with
# BUILDS=llama-vk EXTRA_CMAKE_ARGS=-DGGML_NATIVE=OFF (the GPU machine's CPU may lack this one's
# instructions).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$root/build" llama_vk="" trim=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --llama-vk) llama_vk="$2"; shift 2 ;;
    --trim) trim=1; shift ;;
    *) echo "gpu_pack.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$root"

if [ "$trim" = 1 ]; then
  git ls-files -z -- resources/shapes_model '*.safetensors' | xargs -0 -r rm -f --
  echo "trimmed; after the run: git checkout -- resources tests"
  echo "what travels: $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) bytes tracked, plus .gpu/"
  exit 0
fi

[ -x "$llama_vk/llama-bench" ] || { echo "gpu_pack.sh: --llama-vk DIR holding llama-bench is required" >&2; exit 2; }
grep -qxF "/.gpu/" .git/info/exclude 2>/dev/null || echo "/.gpu/" >>.git/info/exclude

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/layers" "$stage/wheels"
echo "$root" >"$stage/source-root" # where the op tests look for their fixtures
for b in atelier-bench tst_vk tst_ops tst_llm_ops tst_diffusion_ops tst_fft tst_llm tst_llm_lora; do
  strip -o "$stage/bin/$b" "$build/bin/$b"
done
strip -o "$stage/bin/llama-bench" "$llama_vk/llama-bench"

# Every library the programs load, but the C and C++ runtimes and the dynamic loader.
for b in "$stage"/bin/*; do ldd "$b"; done | awk '/=> \// { print $3 }' | sort -u |
  grep -v -E '/(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+)\.so|ld-linux' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done

# The validation layer, its manifest pointing beside itself.
layer=/usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so
cp -L "$layer" "$stage/layers/"
sed 's#"library_path": *"[^"]*"#"library_path": "./libVkLayer_khronos_validation.so"#' \
  /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json >"$stage/layers/VkLayer_khronos_validation.json"

python3 -m pip download -q --no-deps --only-binary=:all: -d "$stage/wheels" "gguf==$(python3 -c "import importlib.metadata as m; print(m.version('gguf'))")"

mkdir -p .gpu
tar -C "$stage" -cf - . | xz -T2 -6 >.gpu/pack.tar.xz
echo "packed .gpu/pack.tar.xz: $(du -b .gpu/pack.tar.xz | cut -f1) bytes"
echo "what travels: $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) bytes tracked (--trim to leave the large files behind), plus .gpu/"
