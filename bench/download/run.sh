#!/usr/bin/env bash
# Download benchmark: geojobs (`geojobs download`, the built binary) against curl,
# wget and aria2c, from a local server in two modes:
#   capped   - each response paced to BENCH_RATE with BENCH_LATENCY before the first
#              byte (like object storage), where parallel ranges pay off;
#   uncapped - loopback at full speed (sendfile), where one stream is hard to beat.
# Prints per tool: seconds, MB/s, peak RSS, and geojobs' speed-up over it. Every timing
# ends after `sync -f` of the output folder (the file is on disk) unless BENCH_SYNC=0.
#
# Settings (environment): BENCH_SIZE (default 2G; e.g. 512M), BENCH_RATE (bytes/s per
# connection, default 25000000), BENCH_LATENCY (default 30ms), BENCH_DIR (work folder,
# default /tmp/geojobs-bench), BENCH_PORT (default 8765), BENCH_MODES ("capped uncapped"),
# BENCH_TOOLS (default "geojobs geojobs+verify curl wget aria2c"; geojobs must be in it),
# BENCH_REPEAT (default 3: the best of 3 runs, interleaved, is reported; capped curl and
# wget run once, their time is size/rate).
# Needs: go, curl, wget, aria2c, /usr/bin/time (Debian: apt-get install -y aria2 wget curl time).
set -euo pipefail

SIZE=$(numfmt --from=iec "${BENCH_SIZE:-2G}")
RATE=${BENCH_RATE:-25000000}
LATENCY=${BENCH_LATENCY:-30ms}
DIR=${BENCH_DIR:-/tmp/geojobs-bench}
PORT=${BENCH_PORT:-8765}
MODES=${BENCH_MODES:-capped uncapped}
export BENCH_SYNC=${BENCH_SYNC:-1}
REPEAT=${BENCH_REPEAT:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

for tool in curl wget aria2c /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y aria2 wget curl time)" >&2; exit 1; }
done
mkdir -p "$DIR/bin" "$DIR/out"
(cd "$ROOT" && go build -o "$DIR/bin/server" ./bench/download/server && go build -o "$DIR/bin/geojobs" .)

SERVER_PID=
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; fi; }
trap 'stop_server; rm -rf "$DIR/out"' EXIT

start_server() { # rate latency
	"$DIR/bin/server" -addr "127.0.0.1:$PORT" -file "$DIR/data.bin" -size "$SIZE" -rate "$1" -latency "$2" 2>"$DIR/server.log" &
	SERVER_PID=$!
	for _ in $(seq 1 600); do
		curl -sf -o /dev/null "http://127.0.0.1:$PORT/checksum" && return 0
		sleep 0.5
	done
	echo "server did not start" >&2; cat "$DIR/server.log" >&2; exit 1
}

URL="http://127.0.0.1:$PORT/data.bin"
OUT="$DIR/out/data.bin"

# fc FILE CHECKSUM: a one-item ItemCollection with the served file as its asset, for
# `geojobs download`, which puts it in out/bench/data.bin (and writes a local catalog).
fc() {
	local sum=""
	if [ -n "$2" ]; then sum=",\"file:checksum\":\"$2\""; fi
	printf '{"type":"FeatureCollection","features":[{"type":"Feature","stac_version":"1.0.0","id":"bench","geometry":null,"properties":{"datetime":"2026-01-01T00:00:00Z"},"links":[],"assets":{"data":{"href":"%s","file:size":%s%s}}}]}\n' "$URL" "$SIZE" "$sum" >"$1"
}

# run NAME CMD...: times CMD, checks the output ($OUT, or out/bench/data.bin for
# geojobs), prints "seconds rss_kb".
run() {
	local name=$1; shift
	local OUT=$OUT
	case $name in geojobs*) OUT="$DIR/out/bench/data.bin" ;; esac
	rm -rf "$DIR/out"; mkdir -p "$DIR/out"; sync; sleep 1 # let the file system settle after the previous run
	if ! /usr/bin/time -f "%e %M" -o "$DIR/time.txt" sh -c '"$@" && if [ "$BENCH_SYNC" != 0 ]; then sync -f "$0"; fi' "$DIR/out" "$@" >"$DIR/$name.log" 2>&1; then
		echo "$name failed:" >&2; tail -5 "$DIR/$name.log" >&2; echo "nan 0"; return
	fi
	local got; got=$(stat -c %s "$OUT" 2>/dev/null || echo 0)
	if [ "$got" != "$SIZE" ]; then echo "$name: wrote $got bytes, want $SIZE" >&2; echo "nan 0"; return; fi
	tail -1 "$DIR/time.txt"
}

printf 'file %s bytes (%s); capped: %s B/s per connection, %s latency\n' "$SIZE" "$(numfmt --to=iec "$SIZE")" "$RATE" "$LATENCY"
for mode in $MODES; do
	if [ "$mode" = capped ]; then start_server "$RATE" "$LATENCY"; else start_server 0 0s; fi
	SUM=$(curl -sf "http://127.0.0.1:$PORT/checksum")
	fc "$DIR/fc.json" ""
	fc "$DIR/fc-verify.json" "$SUM"
	cat "$DIR/data.bin" >/dev/null # every tool reads the served file from the page cache
	declare -A T=() M=()
	read -r -a tools <<<"${BENCH_TOOLS:-geojobs geojobs+verify curl wget aria2c}"
	for rep in $(seq 1 "$REPEAT"); do # best time of REPEAT runs, highest RSS
		# Each round starts with another tool, so that no tool always follows the same one.
		order=("${tools[@]:$(((rep - 1) % ${#tools[@]}))}" "${tools[@]:0:$(((rep - 1) % ${#tools[@]}))}")
		for t in "${order[@]}"; do
			if [ "$mode" = capped ] && [ "$rep" -gt 1 ] && { [ "$t" = curl ] || [ "$t" = wget ]; }; then
				continue # one paced stream: the time is size/rate every time
			fi
			case $t in
			geojobs) cmd=("$DIR/bin/geojobs" download "$DIR/fc.json" -d "$DIR/out" -q) ;;
			geojobs+verify) cmd=("$DIR/bin/geojobs" download "$DIR/fc-verify.json" -d "$DIR/out" -q) ;;
			curl) cmd=(curl -sS -o "$OUT" "$URL") ;;
			wget) cmd=(wget -q -O "$OUT" "$URL") ;;
			aria2c) cmd=(aria2c -x16 -s16 --file-allocation=falloc --allow-overwrite=true --auto-file-renaming=false
				--console-log-level=warn --summary-interval=0 -d "$DIR/out" -o data.bin "$URL") ;;
			esac
			read -r secs rss < <(run "$t" "${cmd[@]}")
			echo "  $mode run $rep: $t ${secs}s $((rss / 1024)) MB" >&2
			if [ -z "${T[$t]:-}" ] || awk -v a="$secs" -v b="${T[$t]}" 'BEGIN { exit !(a != "nan" && (b == "nan" || a < b)) }'; then
				T[$t]=$secs
			fi
			if [ "${M[$t]:-0}" -lt "$rss" ]; then M[$t]=$rss; fi
		done
	done
	stop_server
	echo
	echo "== $mode"
	printf '%-16s %9s %10s %9s %16s %16s\n' tool seconds MB/s RSS_MB geojobs_speedup verify_speedup
	for t in "${tools[@]}"; do
		awk -v t="$t" -v s="${T[$t]}" -v m="${M[$t]}" -v g="${T[geojobs]:-nan}" -v gv="${T[geojobs+verify]:-nan}" -v size="$SIZE" 'BEGIN {
			if (s == "nan") { printf "%-16s %9s\n", t, "failed"; exit }
			r1 = (g == "nan") ? "-" : sprintf("%.2fx", s/g); r2 = (gv == "nan") ? "-" : sprintf("%.2fx", s/gv)
			printf "%-16s %9.2f %10.1f %9.1f %16s %16s\n", t, s, size/s/1e6, m/1024, r1, r2 }'
	done
done
