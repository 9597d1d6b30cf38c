#!/usr/bin/env bash
# Many-files download benchmark: geojobs (`geojobs download` of a one-item ItemCollection
# whose assets are the files, with file:size and file:checksum, so every file is verified)
# against `aria2c -j16 -x16 -i list` (each file with its sha-256 checksum, so aria2c verifies
# too) and `rclone copy` over HTTP (Debian's rclone; its http backend reads the index page;
# it checks sizes, it cannot hash over HTTP), all in one run, from a local server capped like
# object storage (BENCH_RATE per connection, BENCH_LATENCY before the first byte).
# Every timing ends after `sync -f` of the output folder: the files are on disk.
#
# Settings (environment): BENCH_SETS (default "200x5M 2000x100K"), BENCH_RATE (default
# 25000000), BENCH_LATENCY (default 20ms), BENCH_REPEAT (default 2, best time reported),
# BENCH_DIR (default /tmp/geojobs-bench-many), BENCH_PORT (default 8766),
# BENCH_TOOLS (default "geojobs aria2c rclone"), BENCH_GEOJOBS_FLAGS (extra flags for geojobs).
# Needs: go, curl, aria2c, rclone, /usr/bin/time (Debian: apt-get install -y aria2 rclone curl time).
set -euo pipefail

SETS=${BENCH_SETS:-200x5M 2000x100K}
RATE=${BENCH_RATE:-25000000}
LATENCY=${BENCH_LATENCY:-20ms}
REPEAT=${BENCH_REPEAT:-2}
DIR=${BENCH_DIR:-/tmp/geojobs-bench-many}
PORT=${BENCH_PORT:-8766}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
read -r -a tools <<<"${BENCH_TOOLS:-geojobs aria2c rclone}"

for tool in curl aria2c rclone /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y aria2 rclone curl time)" >&2; exit 1; }
done
mkdir -p "$DIR/bin"
(cd "$ROOT" && go build -o "$DIR/bin/server" ./bench/download/server && go build -o "$DIR/bin/geojobs" .)

SERVER_PID=
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; fi; }
trap 'stop_server; rm -rf "$DIR/out"' EXIT

printf 'capped: %s B/s per connection, %s before the first byte; best of %s\n' "$RATE" "$LATENCY" "$REPEAT"
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
	declare -A T=() M=()
	for rep in $(seq 1 "$REPEAT"); do
		order=("${tools[@]:$(((rep - 1) % ${#tools[@]}))}" "${tools[@]:0:$(((rep - 1) % ${#tools[@]}))}")
		for t in "${order[@]}"; do
			out="$DIR/out"
			case $t in
			geojobs) cmd=("$DIR/bin/geojobs" download "$DIR/fc.json" -d "$out" -q ${BENCH_GEOJOBS_FLAGS:-}); got="$out/bench" ;;
			aria2c) cmd=(aria2c -j16 -x16 -i "$DIR/aria2.list" -d "$out" --file-allocation=falloc --allow-overwrite=true
				--auto-file-renaming=false --console-log-level=warn --summary-interval=0); got="$out" ;;
			rclone) cmd=(rclone copy --http-url "http://127.0.0.1:$PORT/many/" :http: "$out" --transfers 16
				--checkers 16 --no-check-dest --config /dev/null -q); got="$out" ;;
			esac
			rm -rf "$out"; mkdir -p "$out"; sync; sleep 1
			if ! /usr/bin/time -f "%e %M" -o "$DIR/time.txt" sh -c '"$@" && sync -f "$0"' "$out" "${cmd[@]}" >"$DIR/$t.log" 2>&1; then
				echo "$t failed:" >&2; tail -5 "$DIR/$t.log" >&2; continue
			fi
			files=$(find "$got" -name 'f*.bin' -size "${each}c" | wc -l)
			if [ "$files" != "$n" ]; then echo "$t: $files complete files of $n" >&2; continue; fi
			read -r secs rss <"$DIR/time.txt"
			echo "  $set run $rep: $t ${secs}s $((rss / 1024)) MB" >&2
			if [ -z "${T[$t]:-}" ] || awk -v a="$secs" -v b="${T[$t]}" 'BEGIN { exit !(a < b) }'; then T[$t]=$secs; fi
			if [ "${M[$t]:-0}" -lt "$rss" ]; then M[$t]=$rss; fi
		done
	done
	stop_server
	echo
	echo "== $n files x $(numfmt --to=iec "$each")"
	printf '%-10s %9s %10s %9s %16s\n' tool seconds MB/s RSS_MB geojobs_speedup
	for t in "${tools[@]}"; do
		awk -v t="$t" -v s="${T[$t]:-nan}" -v m="${M[$t]:-0}" -v g="${T[geojobs]:-nan}" -v size="$((n * each))" 'BEGIN {
			if (s == "nan") { printf "%-10s %9s\n", t, "failed"; exit }
			r = (g == "nan") ? "-" : sprintf("%.2fx", s/g)
			printf "%-10s %9.2f %10.1f %9.1f %16s\n", t, s, size/s/1e6, m/1024, r }'
	done
	unset T M
done
