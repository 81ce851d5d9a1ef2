#!/usr/bin/env bash
# package_test.sh BUILD_DIR SCRATCH_DIR VERSION SOURCE_DIR
# Builds the .deb and the tar.gz with cpack, unpacks the .deb into SCRATCH_DIR/root as dpkg would
# install it, checks what a desktop needs is there, then runs the installed atelier.
set -euo pipefail
build="$1" scratch="$2" version="$3" source="$4"
id=io.github.atelier.Atelier
fail() { echo "package: FAIL: $*" >&2; exit 1; }

# Up to date after a full build; after `ninja atelier` alone this renders the PNG icons.
cmake --build "$build" --target atelier atelier_package_icons >/dev/null

rm -rf "$scratch/out" "$scratch/root" "$scratch/control" "$scratch/portable"
mkdir -p "$scratch/out" "$scratch/root" "$scratch/control" "$scratch/portable" "$scratch/data"
(cd "$scratch/out" && cpack --config "$build/CPackConfig.cmake" -B "$scratch/out" >cpack.log 2>&1) ||
  { cat "$scratch/out/cpack.log" >&2; fail "cpack failed"; }

deb=("$scratch"/out/atelier_"$version"_*.deb)
tgz=("$scratch"/out/atelier-"$version"-linux-*.tar.gz)
[ -f "${deb[0]}" ] || fail "no atelier_${version}_*.deb in $scratch/out"
[ -f "${tgz[0]}" ] || fail "no atelier-${version}-linux-*.tar.gz in $scratch/out"
echo "package: built $(basename "${deb[0]}") and $(basename "${tgz[0]}")"

# The control file: dependencies from dpkg-shlibdeps plus the Qt plugins it cannot see.
dpkg-deb -x "${deb[0]}" "$scratch/root"
dpkg-deb -e "${deb[0]}" "$scratch/control"
control="$scratch/control/control"
grep -q "^Package: atelier$" "$control" || fail "control: Package"
grep -q "^Version: $version$" "$control" || fail "control: Version is not $version"
grep -q "^Section: graphics$" "$control" || fail "control: Section"
depends="$(sed -n 's/^Depends: //p' "$control")"
echo "package: Depends: $depends"
for dep in libqt6sql6-sqlite libqt6svg6 libvulkan1 libqt6widgets6 libqt6core6 libc6; do
  [[ ", $depends," == *", $dep"[\ ,]* ]] || fail "control: Depends lacks $dep"
done
grep -q "^Recommends: .*mesa-vulkan-drivers" "$control" || fail "control: Recommends lacks mesa-vulkan-drivers"
# No maintainer scripts: removing the package touches nothing outside what it installed, so the
# user's data (~/.local/share/Atelier, ~/.config/Atelier, ~/.cache/Atelier) stays.
for script in preinst postinst prerm postrm; do
  [ ! -e "$scratch/control/$script" ] || fail "the package has a $script script"
done
outside="$(dpkg-deb -c "${deb[0]}" | awk '{print $6}' | grep -v '^\./$' | grep -v '^\./usr/' || true)"
[ -z "$outside" ] || fail "files outside /usr: $outside"

# The files a desktop needs to list Atelier in its application menu.
root="$scratch/root"
[ -x "$root/usr/bin/atelier" ] || fail "usr/bin/atelier missing or not executable"
! readelf -d "$root/usr/bin/atelier" | grep -q -E "RPATH|RUNPATH" || fail "usr/bin/atelier has a RUNPATH"
desktop="$root/usr/share/applications/$id.desktop"
metainfo="$root/usr/share/metainfo/$id.metainfo.xml"
[ -f "$desktop" ] || fail "desktop file missing"
grep -q "^Exec=atelier" "$desktop" || fail "desktop file: Exec"
grep -q "^Icon=$id$" "$desktop" || fail "desktop file: Icon"
[ -f "$metainfo" ] || fail "metainfo missing"
grep -q "<release version=\"$version\"" "$metainfo" || fail "metainfo: release $version"
grep -q "<launchable type=\"desktop-id\">$id.desktop</launchable>" "$metainfo" || fail "metainfo: launchable"
[ -f "$root/usr/share/icons/hicolor/scalable/apps/$id.svg" ] || fail "scalable icon missing"
for size in 48 128 256; do
  png="$root/usr/share/icons/hicolor/${size}x${size}/apps/$id.png"
  [ -f "$png" ] || fail "${size}x${size} icon missing"
  # PNG signature, then IHDR's width and height (big-endian, bytes 16-23).
  [ "$(od -An -tx1 -N8 "$png" | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$png is not a PNG"
  dims="$(od -An -tu1 -j16 -N8 "$png" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')"
  [ "$dims" = "${size}x${size}" ] || fail "$png is $dims, not ${size}x${size}"
done
[ -x "$root/usr/share/atelier/models.sh" ] || fail "usr/share/atelier/models.sh missing"
# The default image model ships in the package; its models.sh copies it into the models folder.
shipped_model="$root/usr/share/atelier/atelier-shapes-sd1.safetensors"
cmp -s "$shipped_model" "$source/resources/shapes_model/atelier-shapes-sd1.safetensors" ||
  fail "usr/share/atelier lacks the default image model (or ships another one)"
models_home="$(mktemp -d)"
ATELIER_DATA_DIR="$models_home" bash "$root/usr/share/atelier/models.sh" image >/dev/null ||
  fail "the packaged models.sh image failed"
cmp -s "$shipped_model" "$models_home/models/atelier-shapes-sd1.safetensors" ||
  fail "the packaged models.sh did not install the image model"
rm -rf "$models_home"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$desktop" || fail "desktop-file-validate"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net --pedantic "$metainfo" || fail "appstreamcli validate"
fi

# The installed executable runs on the system's own libraries, its resources compiled in.
run() { env -u LD_LIBRARY_PATH "$@"; }
out="$(run "$root/usr/bin/atelier" --version)" || fail "installed atelier --version failed"
[[ "$out" == "atelier $version"* ]] || fail "installed atelier --version said: $out"
echo "package: installed $out"
out="$(run "$root/usr/bin/atelier" devices 2>&1)" || { echo "$out" >&2; fail "installed atelier devices failed"; }
[[ "$out" == *"Atelier uses this device"* ]] || { echo "$out" >&2; fail "installed atelier devices chose no device"; }
echo "package: installed atelier devices: $(grep -m1 -i 'uses this device' <<<"$out")"

# The portable tar.gz: one folder with bin/atelier and share/.
tar -xzf "${tgz[0]}" -C "$scratch/portable"
portable=("$scratch"/portable/atelier-"$version"-linux-*/bin/atelier)
[ -x "${portable[0]}" ] || fail "the tar.gz has no atelier-$version-linux-*/bin/atelier"
out="$(run "${portable[0]}" --version)" || fail "portable atelier --version failed"
[[ "$out" == "atelier $version"* ]] || fail "portable atelier --version said: $out"
[ -f "$(dirname "${portable[0]}")/../share/applications/$id.desktop" ] || fail "the tar.gz lacks the desktop file"
echo "package: portable $out"

echo "package: all checks passed"
