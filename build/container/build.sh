#!/usr/bin/env bash
# Builds geojobs' container image as an archive, without a container engine:
#   build/container/build.sh            → build/container/out/geojobs-image.tar (OCI layout)
#   FORMAT=docker build/container/build.sh  (docker-save tarball, for old docker)
# Load it with `podman load -i …`, `docker load -i …` (docker ≥ 25 for OCI), or
# `skopeo copy oci-archive:… docker://registry/geojobs:TAG`.
# Environment: VERSION (default git describe), GOARCH (amd64), TAG (geojobs:$VERSION),
# OUT (build/container/out), FORMAT (oci|docker), SOURCE_DATE_EPOCH (last commit time).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
GOARCH=${GOARCH:-amd64}
TAG=${TAG:-geojobs:${VERSION//[^A-Za-z0-9_.-]/-}}
OUT=${OUT:-$here/out}
FORMAT=${FORMAT:-oci}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
CERTS=${CERTS:-/etc/ssl/certs/ca-certificates.crt}
export SOURCE_DATE_EPOCH

if [ ! -r "$CERTS" ]; then
	echo "build.sh: $CERTS missing: install the ca-certificates package" >&2
	exit 1
fi
mkdir -p "$OUT"

echo "building the static binary ($VERSION, linux/$GOARCH)" >&2
CGO_ENABLED=0 GOOS=linux GOARCH=$GOARCH go build -trimpath -buildvcs=false \
	-ldflags "-s -w -buildid= -X github.com/geojobs/geojobs/cmd.Version=$VERSION" \
	-o "$OUT/geojobs" .

echo "assembling the image $TAG" >&2
(cd "$here" && go run ./mkimage -binary "$OUT/geojobs" -certs "$CERTS" -out "$OUT/geojobs-image.tar" \
	-tag "$TAG" -version "$VERSION" -arch "$GOARCH" -format "$FORMAT")
