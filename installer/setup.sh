#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   installer/setup.sh run    install what is missing (packages, default models), build, open the window
#   installer/setup.sh test   install what is missing, build, then run the whole test suite (ctest)
#   installer/setup.sh build  install what is missing and build
set -euo pipefail

mode="${1:-run}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ATELIER_BUILD_DIR:-$root/build}"
jobs="$(nproc)"

bash "$root/installer/deps.sh"
bash "$root/installer/models.sh"

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" --parallel "$jobs"

case "$mode" in
  build)
    ;;
  run)
    shift || true
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
      echo "atelier: no display found; starting under a virtual one (xvfb-run)." >&2
      exec xvfb-run -a -s "-screen 0 1600x1000x24" "$build/bin/atelier" "$@"
    fi
    exec "$build/bin/atelier" "$@"
    ;;
  test)
    cd "$build"
    # Tests run on whatever Vulkan device is present (lavapipe without a GPU), validation on.
    ctest --output-on-failure --parallel "$jobs" --timeout 1200
    ;;
  *)
    echo "usage: installer/setup.sh [run|test|build]" >&2
    exit 2
    ;;
esac
