#!/usr/bin/env bash
# Many-files download benchmark: geojobs (`geojobs download` of a one-item ItemCollection
# whose assets are the files, with file:size and file:checksum, so every file is verified)
# against `aria2c -j16 -x16 -i list` (each file with its sha-256 checksum, so aria2c verifies
# too) and `rclone copy` over HTTP (Debian's rclone; its http backend reads the index page;
# it checks sizes, it cannot hash over HTTP), all in one run, from a local server capped like
# object storage (BENCH_RATE per connection, BENCH_LATENCY before the first byte).
# Every timing ends after `sync -f` of the output folder: the files are on disk. (rclone
# calls no fsync of its own, aria2c neither by default; geojobs starts each large file's
# writeback as it closes it and ends with one syncfs per folder.) Also printed, as "raw",
# the time to the tool's exit, before that sync: files written, not necessarily on disk.
#
# Settings (environment): BENCH_SETS (default "200x5M 2000x100K"), BENCH_RATE (default
# 25000000), BENCH_LATENCY (default 20ms), BENCH_REPEAT (rounds, default 3),
# BENCH_DIR (default /tmp/geojobs-bench-many), BENCH_PORT (default 8766),
# BENCH_TOOLS (default "geojobs aria2c rclone"), BENCH_GEOJOBS_FLAGS (extra flags for geojobs),
# BENCH_BEFORE (another geojobs binary, e.g. built from an older commit: the tool "before"
# in BENCH_TOOLS runs it, for a before/after comparison in the same run).
# Each round runs every tool once (a different one first each round); printed are medians
# over the rounds of wall time and CPU time (user+sys, less sensitive to other load), the
# highest RSS, and the median of the rounds' ratios peer/geojobs (above 1: geojobs faster).
# Needs: go, curl, aria2c, rclone, /usr/bin/time (Debian: apt-get install -y aria2 rclone curl time).
set -euo pipefail

SETS=${BENCH_SETS:-200x5M 2000x100K}
RATE=${BENCH_RATE:-25000000}
LATENCY=${BENCH_LATENCY:-20ms}
REPEAT=${BENCH_REPEAT:-3}
DIR=${BENCH_DIR:-/tmp/geojobs-bench-many}
PORT=${BENCH_PORT:-8766}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
read -r -a tools <<<"${BENCH_TOOLS:-geojobs aria2c rclone}"

for tool in curl aria2c rclone /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y aria2 rclone curl time)" >&2; exit 1; }
done
mkdir -p "$DIR/bin"
(cd "$ROOT" && go build -o "$DIR/bin/server" ./bench/download/server && go build -o "$DIR/bin/geojobs" .)

# median of the numbers given
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

SERVER_PID=
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; fi; }
trap 'stop_server; rm -rf "$DIR/out" "$DIR/out.t0" "$DIR/out.t1"' EXIT

printf 'capped: %s B/s per connection, %s before the first byte; %s rounds, tools interleaved\n' "$RATE" "$LATENCY" "$REPEAT"
for set in $SETS; do
	n=${set%x*}
	each=$(numfmt --from=iec "${set#*x}")
	data="$DIR/data-$set.bin"
	"$DIR/bin/server" -addr "127.0.0.1:$PORT" -file "$data" -size 1 -many "$n" -each "$each" -rate "$RATE" -latency "$LATENCY" 2>"$DIR/server.log" &
	SERVER_PID=$!
	for _ in $(seq 1 1200); do
		curl -sf -o /dev/null "http://127.0.0.1:$PORT/many.sums" && break
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
		sleep 0.5
	done
	curl -sf "http://127.0.0.1:$PORT/many.sums" >"$DIR/sums.txt"
	cat "$data.many"/* >/dev/null # every tool reads the served files from the page cache
	# the ItemCollection for geojobs and the input list for aria2c
	python3 - "$DIR/sums.txt" "$PORT" "$each" "$DIR/fc.json" "$DIR/aria2.list" <<'PY'
import json, sys
sums, port, each, fc, lst = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
assets, lines = {}, []
for line in open(sums):
    name, mh, hexsum = line.split()
    url = "http://127.0.0.1:%s/many/%s" % (port, name)
    assets[name[:-4]] = {"href": url, "file:size": each, "file:checksum": mh}
    lines.append("%s\n  out=%s\n  checksum=sha-256=%s\n" % (url, name, hexsum))
json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "stac_version": "1.0.0", "id": "bench",
    "geometry": None, "properties": {"datetime": "2026-01-01T00:00:00Z"}, "links": [], "assets": assets}]}, open(fc, "w"))
open(lst, "w").write("".join(lines))
PY
	declare -A W=() C=() M=() R=() RC=() X=() RX=()
	for rep in $(seq 1 "$REPEAT"); do
		order=("${tools[@]:$(((rep - 1) % ${#tools[@]}))}" "${tools[@]:0:$(((rep - 1) % ${#tools[@]}))}")
		declare -A w=() c=() x=()
		for t in "${order[@]}"; do
			out="$DIR/out"
			case $t in
			geojobs) cmd=("$DIR/bin/geojobs" download "$DIR/fc.json" -d "$out" -q ${BENCH_GEOJOBS_FLAGS:-}); got="$out/bench" ;;
			before) cmd=("${BENCH_BEFORE:?BENCH_BEFORE: a geojobs binary}" download "$DIR/fc.json" -d "$out" -q); got="$out/bench" ;;
			aria2c) cmd=(aria2c -j16 -x16 -i "$DIR/aria2.list" -d "$out" --file-allocation=falloc --allow-overwrite=true
				--auto-file-renaming=false --console-log-level=warn --summary-interval=0); got="$out" ;;
			rclone) cmd=(rclone copy --http-url "http://127.0.0.1:$PORT/many/" :http: "$out" --transfers 16
				--checkers 16 --no-check-dest --config /dev/null -q); got="$out" ;;
			esac
			rm -rf "$out"; mkdir -p "$out"; sync; sleep 1
			if ! /usr/bin/time -f "%e %U %S %M" -o "$DIR/time.txt" sh -c 'date +%s.%N >"$0.t0" && "$@" && date +%s.%N >"$0.t1" && sync -f "$0"' "$out" "${cmd[@]}" >"$DIR/$t.log" 2>&1; then
				echo "$t failed:" >&2; tail -5 "$DIR/$t.log" >&2; continue
			fi
			files=$(find "$got" -name 'f*.bin' -size "${each}c" | wc -l)
			if [ "$files" != "$n" ]; then echo "$t: $files complete files of $n" >&2; continue; fi
			read -r secs usr sys rss <"$DIR/time.txt"
			raw=$(awk -v a="$(cat "$out.t0")" -v b="$(cat "$out.t1")" 'BEGIN { printf "%.2f", b - a }')
			cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
			echo "  $set round $rep: $t ${secs}s wall (${raw}s before the sync), ${cpu}s CPU, $((rss / 1024)) MB" >&2
			w[$t]=$secs; c[$t]=$cpu; x[$t]=$raw
			W[$t]+="$secs "; C[$t]+="$cpu "; X[$t]+="$raw "
			if [ "${M[$t]:-0}" -lt "$rss" ]; then M[$t]=$rss; fi
		done
		# this round's ratios: the peer's time over geojobs' (above 1: geojobs is faster)
		for t in "${tools[@]}"; do
			if [ -n "${w[$t]:-}" ] && [ -n "${w[geojobs]:-}" ]; then
				R[$t]+="$(awk -v a="${w[$t]}" -v b="${w[geojobs]}" 'BEGIN { printf "%.3f", a / b }') "
				RC[$t]+="$(awk -v a="${c[$t]}" -v b="${c[geojobs]}" 'BEGIN { printf "%.3f", a / b }') "
				RX[$t]+="$(awk -v a="${x[$t]}" -v b="${x[geojobs]}" 'BEGIN { printf "%.3f", a / b }') "
			fi
		done
		unset w c x
	done
	stop_server
	echo
	echo "== $n files x $(numfmt --to=iec "$each"): medians of $REPEAT rounds; speedup = the peer's time / geojobs' in the same round"
	printf '%-8s %8s %8s %7s %8s %13s %12s %8s %12s\n' tool wall_s MB/s CPU_s RSS_MB wall_speedup CPU_ratio raw_s raw_speedup
	for t in "${tools[@]}"; do
		if [ -z "${W[$t]:-}" ]; then printf '%-8s %8s\n' "$t" failed; continue; fi
		printf '%-8s %8.2f %8.1f %7.2f %8.1f %13s %12s %8.2f %12s\n' "$t" "$(median ${W[$t]})" \
			"$(awk -v s="$(median ${W[$t]})" -v size="$((n * each))" 'BEGIN { print size / s / 1e6 }')" \
			"$(median ${C[$t]})" "$(awk -v m="${M[$t]}" 'BEGIN { print m / 1024 }')" \
			"$(median ${R[$t]:-nan})x" "$(median ${RC[$t]:-nan})x" "$(median ${X[$t]})" "$(median ${RX[$t]:-nan})x"
	done
	echo "  per round, wall speedup:"; for t in "${tools[@]}"; do echo "    $t: ${R[$t]:-}"; done
	echo "  per round, raw speedup (to the tool's exit, before the sync):"; for t in "${tools[@]}"; do echo "    $t: ${RX[$t]:-}"; done
	unset W C M R RC X RX
done
