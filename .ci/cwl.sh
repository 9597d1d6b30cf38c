#!/usr/bin/env bash
# CWL checks for `geojobs run` (issue 8): validates cwl/*.cwl, runs cwl/geojobs-run.cwl and
# the eoap-api-cli workflow (discovery skipped) with cwltool --no-container against a
# `geojobs local-endpoint` started here, checks the STAC ItemCollections they produce and
# that a failing job fails the step; runs water-bodies on the endpoint's synthetic-s2
# scenes as cwl/water-bodies.cwl (cwltool --no-container), as that package deployed to the
# endpoint and run there by cwltool, as the built-in process and as `geojobs raster
# water-bodies`, each mask compared with the truth (IoU >= 0.95, bytes read < 1/8); then
# builds the container image archive and prints its user, entrypoint and size. Exits
# non-zero on any failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d "${TMPDIR:-/tmp}/geojobs-cwl.XXXXXX")
server_pid=""
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { echo "cwl.sh: FAIL: $*" >&2; exit 1; }

step "cwltool"
if ! command -v cwltool >/dev/null; then
	sudo_cmd=""
	[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq cwltool >/dev/null
fi
cwltool --version

step "validate"
cwltool --validate cwl/geojobs-run.cwl
cwltool --validate cwl/eoap-api-cli.cwl
cwltool --validate cwl/water-bodies.cwl

step "build geojobs"
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -o "$work/bin/geojobs" .
ln -s geojobs "$work/bin/ogc-api-processes-client"
# (read the whole help first: grep -q would close the pipe early, and pipefail would fail it)
client_help=$("$work/bin/ogc-api-processes-client" --help 2>&1 || true)
grep -q 'Exit status' <<<"$client_help" \
	|| fail "geojobs does not act as run when invoked as ogc-api-processes-client"
export PATH="$work/bin:$PATH"

step "local endpoint"
# --cwl-containers none: deployed packages run with the geojobs on the PATH (no image pull).
"$work/bin/geojobs" --data-dir "$work/data" local-endpoint --addr 127.0.0.1:0 --cwl-containers none > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
endpoint=""
for _ in $(seq 1 100); do
	endpoint=$(sed -n 's/^geojobs local endpoint: \(http[^ ]*\).*/\1/p' "$work/server.out" | head -1)
	[ -n "$endpoint" ] && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; fail "local endpoint exited"; }
	sleep 0.1
done
[ -n "$endpoint" ] || fail "local endpoint did not start"
echo "endpoint $endpoint"

# check_fc FILE MIN_ITEMS: FILE is a STAC ItemCollection with at least MIN_ITEMS items.
check_fc() {
	python3 - "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc.get("type") == "FeatureCollection", "not a FeatureCollection"
feats = doc.get("features")
assert isinstance(feats, list) and len(feats) >= int(sys.argv[2]), "too few features"
for f in feats:
    assert f.get("type") == "Feature" and f.get("stac_version") and f.get("id"), "feature is not a STAC Item"
    p = f.get("properties", {})
    assert p.get("datetime") or (p.get("start_datetime") and p.get("end_datetime")), "item without datetime"
    assert "links" in f and "assets" in f, "item without links or assets"
print("%s: ItemCollection of %d item(s)" % (sys.argv[1], len(feats)))
PY
}

step "geojobs-run.cwl: synthetic-scene"
cat > "$work/scene-request.yaml" <<'YAML'
inputs:
  aoi: {bbox: [5.9, 45.8, 6.2, 46.0]}
  size: 64
  seed: 3
YAML
cat > "$work/scene-job.yaml" <<YAML
api_endpoint: $endpoint
process_id: synthetic-scene
execute_request: {class: File, path: $work/scene-request.yaml}
headers:
- {key: X-Geojobs-Test, value: not-a-secret}
timeout: 5m
YAML
cwltool --no-container --outdir "$work/out-scene" cwl/geojobs-run.cwl "$work/scene-job.yaml" > "$work/scene.json"
check_fc "$work/out-scene/feature-collection.json" 1
grep -q 'not-a-secret' "$work/scene.json" && fail "a header value reached cwltool's output"

step "geojobs-run.cwl: countdown (async, inline literal outputs)"
printf '{"process_id": "countdown", "inputs": {"seconds": 1, "step": 0.25}}\n' > "$work/countdown-request.json"
cat > "$work/countdown-job.yaml" <<YAML
api_endpoint: $endpoint/
execute_request: {class: File, path: $work/countdown-request.json}
YAML
cwltool --no-container --outdir "$work/out-countdown" cwl/geojobs-run.cwl "$work/countdown-job.yaml" > /dev/null
check_fc "$work/out-countdown/feature-collection.json" 1

step "geojobs-run.cwl: a failing job fails the step"
printf '{"inputs": {"message": "planned failure"}}\n' > "$work/fail-request.json"
cat > "$work/fail-job.yaml" <<YAML
api_endpoint: $endpoint
process_id: fail
execute_request: {class: File, path: $work/fail-request.json}
YAML
if cwltool --no-container --outdir "$work/out-fail" cwl/geojobs-run.cwl "$work/fail-job.yaml" > /dev/null 2> "$work/fail.err"; then
	fail "the fail process did not fail the step"
fi
grep -q 'planned failure' "$work/fail.err" || fail "the failure reason is not in the step's log"
echo "failed as expected: $(grep -o 'job [^ ]* failed: planned failure' "$work/fail.err" | head -1)"

step "eoap-api-cli.cwl: discovery skipped (stac_items given)"
cat > "$work/wf-job.yaml" <<YAML
processes_api_endpoint:
  url: {value: $endpoint/}
  headers: []
stac_items:
- https://planetarycomputer.microsoft.com/api/stac/v1/collections/landsat-c2-l2/items/LC08_L2SP_044032_20231208_02_T1
- https://planetarycomputer.microsoft.com/api/stac/v1/collections/landsat-c2-l2/items/LC08_L2SP_043033_20231201_02_T1
items_input: multiStringInput
execute_request:
  process_id: echo
  inputs:
    stringInput: water-bodies stand-in
YAML
cwltool --no-container --outdir "$work/out-wf" cwl/eoap-api-cli.cwl#eoap-api "$work/wf-job.yaml" > "$work/wf.json"
check_fc "$work/out-wf/feature-collection.json" 1
grep -q 'LC08_L2SP_043033_20231201_02_T1' "$work/out-wf/feature-collection.json" || fail "the item URLs did not reach the process"

# water-bodies on the built-in STAC API's synthetic scenes, in its three forms; each
# mask is compared with the scene's truth asset (IoU >= 0.95).
ep=${endpoint%/}
items="$ep/stac/collections/synthetic-s2/items"
wb_ids="S2SYN_N45E006_20240106 S2SYN_N45E006_20240111"
wb_aoi="6.3,45.3,6.4,45.4"
# check_masks DIR: DIR/<id>/otsu.tif agrees with the truth of every item.
check_masks() {
	for id in $wb_ids; do
		[ -f "$work/truth-$id.tif" ] || geojobs raster crop --input-item "$items/$id" --aoi "$wb_aoi" --band truth -o "$work/truth-$id.tif" 2>/dev/null
		echo -n "$id: "
		geojobs raster iou "$1/$id/otsu.tif" "$work/truth-$id.tif" --min 0.95
	done
}

step "water-bodies.cwl: cwltool --no-container, geojobs raster subcommands"
{
	echo "aoi: \"$wb_aoi\""
	echo "epsg: \"EPSG:4326\""
	echo "stac_items:"
	for id in $wb_ids; do echo "- $items/$id"; done
} > "$work/wb-job.yaml"
start=$(date +%s.%N)
cwltool --no-container --outdir "$work/out-wb" cwl/water-bodies.cwl#water-bodies "$work/wb-job.yaml" > "$work/wb.json" 2> "$work/wb.err" \
	|| { tail -30 "$work/wb.err" >&2; fail "water-bodies.cwl failed"; }
echo "cwltool run: $(python3 -c "import sys; print('%.1f s' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")"
catalog=$(find "$work/out-wb" -name catalog.json | head -1)
[ -n "$catalog" ] || fail "no catalog.json in the stac_catalog Directory"
check_masks "$(dirname "$catalog")"

# fetch_masks FC DIR: downloads the data asset of each item of the ItemCollection FC to DIR/<id>/otsu.tif.
fetch_masks() {
	python3 - "$1" "$2" <<'PY'
import json, os, sys, urllib.request
fc = json.load(open(sys.argv[1]))
for f in fc["features"]:
    d = os.path.join(sys.argv[2], f["id"])
    os.makedirs(d, exist_ok=True)
    urllib.request.urlretrieve(f["assets"]["data"]["href"], os.path.join(d, "otsu.tif"))
print("%d mask(s) downloaded" % len(fc["features"]))
PY
}
wb_request() {
	python3 - "$wb_aoi" $wb_ids <<PY
import json, sys
print(json.dumps({"inputs": {"aoi": sys.argv[1], "epsg": "EPSG:4326", "bands": ["green", "nir"],
    "stac_items": ["$items/" + i for i in sys.argv[2:]]}}))
PY
}
wb_request > "$work/wb-request.json"

step "water-bodies.cwl deployed to the built-in endpoint and run there by cwltool"
code=$(curl -sS -o "$work/deploy.json" -w '%{http_code}' -X POST -H 'Content-Type: application/cwl+yaml' --data-binary @cwl/water-bodies.cwl "$ep/processes?w=water-bodies")
[ "$code" = 201 ] || { cat "$work/deploy.json" >&2; fail "deploying cwl/water-bodies.cwl answered $code"; }
start=$(date +%s.%N)
geojobs run --api-endpoint "$ep" --process-id water-bodies --execute-request "$work/wb-request.json" --output "$work/wb-deployed.json" \
	|| fail "the deployed water-bodies package failed"
# The package's Directory output became its catalog's items, assets named after the output.
grep -q '/outputs/stac_catalog-' "$work/wb-deployed.json" || fail "the results are not those of the deployed package"
echo "job: $(python3 -c "import sys; print('%.1f s' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")"
fetch_masks "$work/wb-deployed.json" "$work/masks-deployed"
check_masks "$work/masks-deployed"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$ep/processes/water-bodies")
[ "$code" = 204 ] || fail "undeploy answered $code"

step "water-bodies: the built-in process"
start=$(date +%s.%N)
geojobs run --api-endpoint "$ep" --process-id water-bodies --execute-request "$work/wb-request.json" --output "$work/wb-builtin.json" \
	|| fail "the built-in water-bodies process failed"
echo "job: $(python3 -c "import sys; print('%.1f s' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")"
fetch_masks "$work/wb-builtin.json" "$work/masks-builtin"
check_masks "$work/masks-builtin"

step "water-bodies: 1/16 of a 10980x10980 scene (geojobs raster water-bodies)"
geojobs raster water-bodies --aoi 6.25,45.25,6.5,45.5 --stac-item "$items/S2SYN_N45E006_20240106" --truth -o "$work/out-16" | tee "$work/wb16.txt"
python3 - "$work/wb16.txt" "$items/S2SYN_N45E006_20240106" <<'PY'
import re, sys, urllib.request
out = open(sys.argv[1]).read()
read = int(re.search(r"read (\d+) bytes", out).group(1))
size = 0
for band in ("green", "nir"):
    req = urllib.request.Request(sys.argv[2] + "/" + band + ".tif", method="HEAD")
    size += int(urllib.request.urlopen(req).headers["Content-Length"])
iou = float(re.search(r"IoU with truth ([0-9.]+)", out).group(1))
print("bytes read: %d of %d (%.2f%%)" % (read, size, 100.0 * read / size))
assert read * 8 < size, "read 1/8 of the files or more"
assert iou >= 0.95, "IoU below 0.95"
PY

step "container image"
OUT="$work/image" build/container/build.sh
python3 - "$work/image/geojobs-image.tar" <<'PY'
import json, sys, tarfile
path = sys.argv[1]
t = tarfile.open(path)
def blob(d):
    return json.load(t.extractfile("blobs/" + d.replace(":", "/")))
index = json.load(t.extractfile("index.json"))
manifest = blob(index["manifests"][0]["digest"])
config = blob(manifest["config"]["digest"])["config"]
layers = sum(l["size"] for l in manifest["layers"])
import os
print("image:      %s" % index["manifests"][0].get("annotations", {}).get("org.opencontainers.image.ref.name"))
print("user:       %s" % config.get("User"))
print("entrypoint: %s" % config.get("Entrypoint"))
print("layers:     %d, %.1f MiB compressed; archive %.1f MiB" % (len(manifest["layers"]), layers / 2**20, os.path.getsize(path) / 2**20))
assert config.get("User") == "1001:0", "user"
assert config.get("Entrypoint") == ["/usr/local/bin/geojobs"], "entrypoint"
layer = tarfile.open(fileobj=t.extractfile("blobs/" + manifest["layers"][0]["digest"].replace(":", "/")), mode="r:gz")
names = {m.name: m for m in layer.getmembers()}
for want in ("usr/local/bin/geojobs", "usr/local/bin/ogc-api-processes-client", "etc/ssl/certs/ca-certificates.crt", "tmp/"):
    assert want.rstrip("/") in names or want in names, "missing " + want
assert names["usr/local/bin/ogc-api-processes-client"].issym(), "the client name is not a symlink"
print("files:      " + ", ".join(sorted(names)))
PY

step "ok"
