#!/usr/bin/env bash
# CWL checks for `geojobs run` (issue 8): validates cwl/*.cwl, runs cwl/geojobs-run.cwl and
# the eoap-api-cli workflow (discovery skipped) with cwltool --no-container against a
# `geojobs local-endpoint` started here, checks the STAC ItemCollections they produce and
# that a failing job fails the step, then builds the container image archive and prints
# its user, entrypoint and size. Exits non-zero on any failure.
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
"$work/bin/geojobs" --data-dir "$work/data" local-endpoint --addr 127.0.0.1:0 > "$work/server.out" 2> "$work/server.err" &
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
