#!/usr/bin/env bash
# Idle memory of the desktop window (issue 18 §3): the geojobs process and each WebKit
# process (WebKitWebProcess, WebKitNetworkProcess), PSS from /proc/PID/smaps_rollup
# (shared pages split between the processes that map them, so the sum counts each shared
# library once) and RSS.
#
# Usage: bench/desktop/memory.sh [BINARY]   (default: build/bin/geojobs-linux-amd64; build
#   one with `go build -tags desktop,production,webkit2_41 -o BIN .` or `make dist-linux`)
# Env:  BENCH_LOG=FILE    keep the app's log (debug level); BENCH_SMAPS=DIR  keep each process's smaps
#       BENCH_SETTLE  seconds the figures must stay still (±2 MiB) to be called idle (default 6)
#       BENCH_TIMEOUT seconds to wait for the page and for idle (default 180)
# Runs under its own Xvfb and session bus, with a fresh data folder and fresh XDG folders
# (no WebKit cache from an earlier run). Needs xvfb, x11-utils, dbus.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="$(realpath "${1:-build/bin/geojobs-linux-amd64}")"
SETTLE="${BENCH_SETTLE:-6}"
TIMEOUT="${BENCH_TIMEOUT:-180}"
[ -x "$BIN" ] || { echo "memory: no desktop binary at $BIN" >&2; exit 2; }

tmp=$(mktemp -d)
pids=()
app=""
cleanup() {
  # The window first: dbus-run-session then ends its bus (and the accessibility bus goes
  # with it); killing dbus-run-session itself would leave both running.
  if [ -n "${session:-}" ]; then
    if [ -n "$app" ]; then kill "$app" 2>/dev/null || true; else kill "$session" 2>/dev/null || true; fi
    wait "$session" 2>/dev/null || true
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

source bench/desktop/xvfb.sh
start_xvfb 121 160 "$tmp/xvfb.log" || { echo "memory: no X server" >&2; exit 1; }

mkdir -p "$tmp/home" "$tmp/cache" "$tmp/config" "$tmp/share" "$tmp/state" "$tmp/run"
chmod 700 "$tmp/run"
env HOME="$tmp/home" XDG_CACHE_HOME="$tmp/cache" XDG_CONFIG_HOME="$tmp/config" \
  XDG_DATA_HOME="$tmp/share" XDG_STATE_HOME="$tmp/state" XDG_RUNTIME_DIR="$tmp/run" \
  dbus-run-session -- "$BIN" --data-dir "$tmp/data" --log-level debug >"$tmp/app.log" 2>&1 &
session=$!

# The geojobs process and the WebKit processes under it.
app_pid() { pgrep -P "$session" -x "$(basename "$BIN" | cut -c1-15)" | head -1; }
descendants() {
  local all=("$1") i=0 c
  while [ $i -lt ${#all[@]} ]; do
    for c in $(pgrep -P "${all[$i]}" || true); do all+=("$c"); done
    i=$((i + 1))
  done
  echo "${all[@]}"
}
field() { awk -v f="$2:" '$1 == f {v = $2} END {print v + 0}' "$1" 2>/dev/null || echo 0; }

deadline=$((SECONDS + TIMEOUT))
until [ -n "$app" ]; do
  app=$(app_pid || true)
  [ $SECONDS -lt $deadline ] && kill -0 "$session" 2>/dev/null || { echo "memory: the app did not start" >&2; tail -30 "$tmp/app.log" >&2; exit 1; }
  [ -n "$app" ] || sleep 0.2
done
# The page is loaded when the window says so (its DOMReady, logged at debug level) or, for
# a build that does not log it, when the page's WebSocket to the loopback listener is up.
loaded() {
  grep -q 'msg="page loaded"' "$tmp/app.log" && return 0
  local port
  port=$(grep -o 'loopback=http://127.0.0.1:[0-9]*' "$tmp/app.log" | head -1 | cut -d: -f3)
  [ -n "$port" ] || return 1
  # /proc/net/tcp: local address HEX_IP:HEX_PORT, state 01 = established.
  awk -v p="$(printf ':%04X' "$port")" '$4 == "01" && substr($2, length($2) - 4) == p {f = 1} END {exit !f}' "/proc/$app/net/tcp"
}
until loaded; do
  [ $SECONDS -lt $deadline ] && kill -0 "$app" 2>/dev/null || { echo "memory: the page did not load" >&2; tail -30 "$tmp/app.log" >&2; exit 1; }
  sleep 0.5
done
total() { local t=0 p; for p in $(descendants "$app"); do t=$((t + $(field "/proc/$p/smaps_rollup" Pss))); done; echo $t; }
# Idle: the total PSS stays within 2 MiB for SETTLE seconds.
last=$(total); still=0
while [ $still -lt "$SETTLE" ]; do
  sleep 1
  now=$(total)
  if [ $((now - last)) -le 2048 ] && [ $((last - now)) -le 2048 ]; then still=$((still + 1)); else still=0; last=$now; fi
  [ $SECONDS -lt $deadline ] || { echo "memory: no idle within ${TIMEOUT}s" >&2; break; }
done

mib() { awk -v n="$1" -v p="$2" -v a="$3" -v b="$4" 'BEGIN {printf "%-22s %8s %10.1f %10.1f\n", n, p, a/1024, b/1024}'; }
[ -z "${BENCH_LOG:-}" ] || cp "$tmp/app.log" "$BENCH_LOG"
if [ -n "${BENCH_SMAPS:-}" ]; then # each process's mappings, to see what holds the memory
  mkdir -p "$BENCH_SMAPS"
  for p in $(descendants "$app"); do cp "/proc/$p/smaps" "$BENCH_SMAPS/$(cat "/proc/$p/comm").$p.smaps" 2>/dev/null || true; done
fi
printf '%-22s %8s %10s %10s\n' process pid "PSS MiB" "RSS MiB"
tp=0; tr=0
for p in $(descendants "$app"); do
  name=$(cat "/proc/$p/comm" 2>/dev/null) || continue
  pss=$(field "/proc/$p/smaps_rollup" Pss); rss=$(field "/proc/$p/status" VmRSS)
  tp=$((tp + pss)); tr=$((tr + rss))
  mib "$name" "$p" "$pss" "$rss"
done
mib total "" "$tp" "$tr"
# The GL driver (Mesa's DRI driver and the libLLVM it links) belongs in the web process
# only: the app keeps it out of its own (app/webkit_linux.go, noGLDriver).
gl=$(awk '$6 ~ /\/dri\/|libLLVM|libgallium/ {n = split($6, a, "/"); print a[n]}' "/proc/$app/maps" 2>/dev/null | sort -u | tr '\n' ' ')
echo "GL driver in the geojobs process: ${gl:-none}"
rss_app=$(field "/proc/$app/status" VmRSS)
awk -v r="$rss_app" -v p="$tp" 'BEGIN {printf "geojobs process RSS: %.0f MB (%.0f MiB); all: PSS %.0f MiB\n", r * 1.024 / 1000, r / 1024, p / 1024}'
# The Go runtime's share (at page load): the rest of the geojobs process is GTK, WebKit's
# UI side and the GL driver WebKit opens, plus the program's own code mapped from the file.
exe=$(awk -v f="$(readlink "/proc/$app/exe")" '$6 == f {on=1; next} /^[0-9a-f]+-/ {on=0} on && $1 == "Rss:" {t += $2} END {print t+0}' "/proc/$app/smaps" 2>/dev/null || echo 0)
[ -z "$(grep -o 'go_runtime_mib=[0-9.]*' "$tmp/app.log")" ] || echo "of which: Go runtime $(grep -o 'go_runtime_mib=[0-9.]*' "$tmp/app.log" | tail -1 | cut -d= -f2) MiB (heap objects $(grep -o 'go_heap_objects_mib=[0-9.]*' "$tmp/app.log" | tail -1 | cut -d= -f2) MiB), the program's code and data mapped $((exe / 1024)) MiB"
