#!/usr/bin/env bash
# Installs the Debian 12 packages Atelier builds, tests and runs with. Idempotent: does nothing
# when every package is already there. Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev qt6-pdf-dev libqt6sql6-sqlite libqt6svg6 libqt6opengl6-dev libgl-dev
  qt6-image-formats-plugins
  libvulkan-dev glslc vulkan-validationlayers mesa-vulkan-drivers vulkan-tools
  libspdlog-dev libfmt-dev glslang-dev spirv-tools
  python3 python3-pip
  xvfb xauth
)
# Only VkFFT comes from bookworm-backports. Its Mesa 25.0 lavapipe was measured and left out: the
# language model ran slower on it (compute/bench/README.md, "Mesa 25.0").
BACKPORTS_PACKAGES=(libvkfft-dev)

missing=()
for p in "${PACKAGES[@]}" "${BACKPORTS_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "atelier: installing missing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# VkFFT 1.3.4 lives in bookworm-backports; bookworm's own 1.2.26 does not build with glslang 12.
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" |
    $SUDO tee /etc/apt/sources.list.d/atelier-backports.list >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${BACKPORTS_PACKAGES[@]}"
