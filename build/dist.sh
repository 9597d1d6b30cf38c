#!/usr/bin/env bash
# Desktop builds and installers into build/bin:
#   linux:   geojobs-linux-amd64 (Wails window, webkit2gtk-4.1), geojobs_<v>_amd64.deb, geojobs-<v>.x86_64.rpm
#   windows: geojobs-windows-amd64.exe (WebView2, cross-compiled: no cgo on Windows) and
#            geojobs-<v>-windows-amd64-setup.exe (NSIS)
#   SHA256SUMS over everything above.
# Usage: build/dist.sh [linux] [windows]   (default: both). macOS: .github/workflows/release.yml.
# Needs (Debian): libgtk-3-dev libwebkit2gtk-4.1-dev nsis librsvg2-bin; installs the pinned
# wails and nfpm CLIs with `go install` when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

WAILS_VER=v2.16.0
NFPM_VER=v2.45.2
GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux windows)

VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
# Package managers want a version that starts with a digit and has no dashes.
if [[ "$VERSION" =~ ^v?([0-9]+\.[0-9]+\.[0-9]+)(-(.*))?$ ]]; then
  PKGVER="${BASH_REMATCH[1]}"
  [ -z "${BASH_REMATCH[3]:-}" ] || PKGVER="$PKGVER~${BASH_REMATCH[3]//-/.}"
  PRODVER="${BASH_REMATCH[1]}"
else
  PKGVER="0.0.0~git.${VERSION//-/.}"
  PRODVER="0.0.0"
fi
LDFLAGS="-X github.com/geojobs/geojobs/cmd.Version=$VERSION"
OUT=build/bin
WORK="$(mktemp -d)"
NSH=build/windows/installer/wails_tools.nsh # wails rewrites it with this build's version
restore() {
  [ -f "$WORK.wails.json" ] && mv "$WORK.wails.json" wails.json
  [ -f "$WORK.nsh" ] && mv "$WORK.nsh" "$NSH"
  rm -rf "$WORK"
}
trap restore EXIT
mkdir -p "$OUT"

need_tool() { # name module version (a CLI already on PATH is used as it is)
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "dist: installing $1 $3"
    go install "$2@$3"
  fi
}
need_tool wails github.com/wailsapp/wails/v2/cmd/wails "$WAILS_VER"

# The Windows resource and the installer show the product version from wails.json.
cp wails.json "$WORK.wails.json"
[ ! -f "$NSH" ] || cp "$NSH" "$WORK.nsh"
sed -i "s/\"productVersion\": *\"[^\"]*\"/\"productVersion\": \"$PRODVER\"/" wails.json

# wails build = go build -tags desktop,production (+ the Windows resources, the NSIS
# installer, the macOS bundle); bindings are skipped (the window binds no Go methods:
# the page talks HTTP to the same handlers as in the browser) and so is the frontend
# step (the UI is templ, embedded by go build).
wails_build() { wails build -skipbindings -s -trimpath -ldflags "$LDFLAGS" "$@"; }

icons() { # hicolor PNGs from the SVG
  for s in 16 24 32 48 64 128 256 512; do
    mkdir -p "$WORK/icons/${s}x${s}/apps"
    rsvg-convert -w "$s" -h "$s" build/appicon.svg -o "$WORK/icons/${s}x${s}/apps/geojobs.png"
  done
}

for t in "${targets[@]}"; do
  case "$t" in
  linux)
    need_tool nfpm github.com/goreleaser/nfpm/v2/cmd/nfpm "$NFPM_VER"
    wails_build -platform linux/amd64 -tags webkit2_41 -o geojobs-linux-amd64
    cp "$OUT/geojobs-linux-amd64" "$WORK/geojobs"
    icons
    rm -f "$OUT"/geojobs_*.deb "$OUT"/geojobs-*.rpm
    # nfpm expands variables in version and arch only: the staging paths are filled in here.
    sed "s|\${WORK}|$WORK|g" build/linux/nfpm.yaml > "$WORK/nfpm.yaml"
    for p in deb rpm; do
      VERSION="$PKGVER" ARCH=amd64 nfpm package --config "$WORK/nfpm.yaml" --packager "$p" --target "$OUT/"
    done
    ;;
  windows)
    rm -f "$OUT"/geojobs-*-setup.exe
    wails_build -platform windows/amd64 -nsis -o geojobs-windows-amd64.exe
    mv "$OUT/geojobs-amd64-installer.exe" "$OUT/geojobs-$PKGVER-windows-amd64-setup.exe"
    rm -rf build/windows/installer/tmp
    ;;
  *) echo "dist: unknown target $t (linux, windows)" >&2; exit 2 ;;
  esac
done

(cd "$OUT" && rm -f SHA256SUMS && shopt -s nullglob &&
  sha256sum -- geojobs-linux-amd6[4] geojobs_*.deb geojobs-*.rpm geojobs-windows-amd64.ex[e] geojobs-*-setup.exe > SHA256SUMS.tmp &&
  mv SHA256SUMS.tmp SHA256SUMS)
echo "dist: $VERSION ($PKGVER)"
ls -l "$OUT"
