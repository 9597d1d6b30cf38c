#!/usr/bin/env bash
# Desktop checks (issue: desktop app and installers). Exits non-zero on any failure.
#  1. go vet with the desktop tags; the app package's tests.
#  2. The Linux desktop binary and its .deb/.rpm (build/dist.sh linux).
#  3. The window under Xvfb with a temp data dir and GEOJOBS_DESKTOP_SELFTEST: the page is
#     served through the AssetServer, receives push messages over the loopback WebSocket and
#     shows a countdown job advancing; a screenshot goes to docs/screenshots/desktop.png.
#  3b. The same self-test under Wayland (weston's headless backend): the geojobs process runs
#     without a GL driver (app/webkit_linux.go), which must hold on Wayland too.
#  4. Idle memory of the window (app + WebKit processes: bench/desktop/memory.sh), under a
#     300 MiB PSS ceiling.
#  5. The .deb installs with apt-get, `geojobs version` runs, the installed window starts.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH)/bin"
export DEBIAN_FRONTEND=noninteractive

need=()
for pkg in libgtk-3-dev libwebkit2gtk-4.1-dev xvfb nsis librsvg2-bin imagemagick dbus dbus-x11 x11-utils weston; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "desktop: installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

TAGS=desktop,production,webkit2_41
echo "desktop: go vet -tags $TAGS"
go vet -tags "$TAGS" ./app/... ./cmd/... .
go test -count=1 ./app/...

echo "desktop: build"
bash build/dist.sh linux
BIN=build/bin/geojobs-linux-amd64
DEB=$(ls -t build/bin/geojobs_*_amd64.deb | head -1)

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# An X server of our own (displays :91-:120; memory.sh takes :121-:160).
source bench/desktop/xvfb.sh
start_xvfb 91 120 "$tmp/xvfb.log" || { echo "desktop: no X server"; exit 1; }

echo "desktop: self-test in the window ($DISPLAY)"
result="$tmp/selftest.json"
GEOJOBS_DESKTOP_SELFTEST="$result" dbus-run-session -- "$BIN" --data-dir "$tmp/data" >"$tmp/app.log" 2>&1 &
app=$!
pids+=($app)
for _ in $(seq 600); do [ -s "$result" ] && break; kill -0 "$app" 2>/dev/null || break; sleep 0.2; done
if [ -s "$result" ]; then
  mkdir -p docs/screenshots
  import -display "$DISPLAY" -window root docs/screenshots/desktop.png
fi
wait "$app" && rc=0 || rc=$?
cat "$result" 2>/dev/null || true
ok=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("ok") is True)' "$result" 2>/dev/null || echo False)
if [ "$ok" != True ] || [ "$rc" -ne 0 ]; then
  echo "desktop: self-test FAILED (exit $rc)"; tail -50 "$tmp/app.log"; exit 1
fi
echo "desktop: self-test passed; screenshot docs/screenshots/desktop.png"

echo "desktop: self-test under Wayland (weston, headless)"
mkdir -p "$tmp/wl-run" && chmod 700 "$tmp/wl-run"
XDG_RUNTIME_DIR="$tmp/wl-run" weston --backend=headless-backend.so --use-pixman --socket=wl-geojobs \
  --width=1440 --height=900 >"$tmp/weston.log" 2>&1 &
weston=$!
pids+=($weston)
for _ in $(seq 100); do [ -S "$tmp/wl-run/wl-geojobs" ] && break; sleep 0.1; done
[ -S "$tmp/wl-run/wl-geojobs" ] || { echo "desktop: weston did not start"; tail -20 "$tmp/weston.log"; exit 1; }
result="$tmp/selftest-wayland.json"
env -u DISPLAY XDG_RUNTIME_DIR="$tmp/wl-run" WAYLAND_DISPLAY=wl-geojobs GDK_BACKEND=wayland \
  GEOJOBS_DESKTOP_SELFTEST="$result" dbus-run-session -- "$BIN" --data-dir "$tmp/data-wayland" >"$tmp/app-wayland.log" 2>&1 &
app=$!
pids+=($app)
wait "$app" && rc=0 || rc=$?
ok=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("ok") is True)' "$result" 2>/dev/null || echo False)
if [ "$ok" != True ] || [ "$rc" -ne 0 ]; then
  echo "desktop: self-test under Wayland FAILED (exit $rc)"; cat "$result" 2>/dev/null; tail -50 "$tmp/app-wayland.log"; exit 1
fi
echo "desktop: self-test under Wayland passed"
kill "$weston" 2>/dev/null || true; wait "$weston" 2>/dev/null || true

echo "desktop: idle memory (bench/desktop/memory.sh: own Xvfb, fresh data and XDG folders)"
mem="$tmp/memory.txt"
bash bench/desktop/memory.sh "$BIN" | tee "$mem"
# A ceiling with a wide margin (idle is ~225 MiB PSS; with accelerated compositing, as
# before issue 18, it was ~345): it catches the web view's settings going back, not noise.
pss=$(awk '$1 == "total" {printf "%d", $2}' "$mem")
[ -n "$pss" ] && [ "$pss" -le 300 ] || { echo "desktop: idle memory ${pss:-?} MiB PSS is over the 300 MiB ceiling"; exit 1; }
# The GL driver (libLLVM and Mesa: 53 MiB RSS) stays out of the geojobs process.
grep -q '^GL driver in the geojobs process: none$' "$mem" || { echo "desktop: the geojobs process maps the GL driver"; exit 1; }

echo "desktop: install $DEB"
apt-get install -y -qq --allow-downgrades "./$DEB" >/dev/null
test -x /usr/bin/geojobs && test -f /usr/share/applications/geojobs.desktop && test -f /usr/share/icons/hicolor/256x256/apps/geojobs.png
/usr/bin/geojobs version
/usr/bin/ogc-api-processes-client --help >/dev/null
dbus-run-session -- /usr/bin/geojobs --data-dir "$tmp/installed" >"$tmp/installed.log" 2>&1 &
inst=$!
pids+=($inst)
sleep 8
kill -0 "$inst" || { echo "desktop: the installed window did not stay up"; tail -30 "$tmp/installed.log"; exit 1; }
# The window, not dbus-run-session: killed itself, that would leave its bus running.
kill "$(pgrep -P "$inst" -x geojobs || echo "$inst")"; wait "$inst" 2>/dev/null || true
grep -q "desktop window opening" "$tmp/installed.log" || { echo "desktop: installed window did not open"; exit 1; }
echo "desktop: 6 passed, 0 failed"
