# geojobs — common tasks. `make test` is the one command that runs every test.
GO        ?= go
TEMPL_VER := v0.3.1020
TEMPL     := $(shell $(GO) env GOPATH)/bin/templ
STATICCHECK_VER := 0.8.2
STATICCHECK     := $(shell $(GO) env GOPATH)/bin/staticcheck
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/geojobs/geojobs/cmd.Version=$(VERSION)

.PHONY: run build test generate check-generated vet lint cross unit bench map map-test

run:
	$(GO) run .

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o geojobs .

$(TEMPL):
	$(GO) install github.com/a-h/templ/cmd/templ@$(TEMPL_VER)

generate: $(TEMPL)
	$(TEMPL) generate

# Generated templ code is committed; fail when it is stale.
check-generated: $(TEMPL)
	$(TEMPL) generate
	@git diff --exit-code -- '*_templ.go' || (echo "templ output is stale: run 'make generate' and commit" && exit 1)

# The map bundle (OpenLayers) is committed too; rebuild it and fail on a diff.
map:
	frontend/mapsrc/build.sh
	@git diff --exit-code --stat -- frontend/static/map || (echo "map bundle is stale: run 'make map' and commit" && exit 1)

map-test:
	frontend/mapsrc/test.sh

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet ./...

# staticcheck, pinned: installed into GOPATH/bin when missing or of another version.
lint:
	@$(STATICCHECK) -version 2>/dev/null | grep -qF '($(STATICCHECK_VER))' || $(GO) install honnef.co/go/tools/cmd/staticcheck@v$(STATICCHECK_VER)
	$(STATICCHECK) ./...

# Windows and macOS breaks are caught here before they land: every package, its tests
# included, type-checked for windows/amd64 and darwin/arm64 (the desktop exe for Windows too,
# with the shell's and the command line's tests under the desktop tags).
cross:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet ./...
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet -tags desktop,production . ./app/... ./cmd/...
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet ./...

unit:
	CGO_ENABLED=0 $(GO) build -o /dev/null .
	$(GO) test -count=1 -timeout 20m ./...

test: check-generated map vet lint cross unit map-test

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Desktop builds and installers (Linux binary, .deb, .rpm, Windows exe and NSIS installer,
# SHA256SUMS) into build/bin; macOS is built by .github/workflows/release.yml.
.PHONY: dist dist-linux dist-windows desktop-test
dist:
	VERSION=$(VERSION) bash build/dist.sh linux windows

dist-linux:
	VERSION=$(VERSION) bash build/dist.sh linux

dist-windows:
	VERSION=$(VERSION) bash build/dist.sh windows

# The desktop window under Xvfb: self-test, screenshot, .deb install (see .ci/desktop.sh).
desktop-test:
	bash .ci/desktop.sh
