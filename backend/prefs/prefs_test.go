package prefs

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/geojobs/geojobs/backend/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDefaultsAndRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if p := Load(ctx, s); p != Defaults() {
		t.Fatalf("fresh store: %+v", p)
	}
	dir := filepath.Join(t.TempDir(), "dl")
	errs, err := Save(ctx, s, Input{TilesURL: "none", WarnKm2: "1,000", DownloadsDir: dir})
	if err != nil || errs != nil {
		t.Fatalf("Save: %v %v", errs, err)
	}
	p := Load(ctx, s)
	if p.TilesURL != TilesNone || p.WarnKm2 != 1000 || p.DownloadsDir != dir || p.WarnKm2Attr() != "1000" {
		t.Fatalf("after save: %+v", p)
	}
	// Empty fields go back to the defaults.
	if errs, err := Save(ctx, s, Input{}); err != nil || errs != nil {
		t.Fatal(errs, err)
	}
	if p := Load(ctx, s); p != Defaults() {
		t.Fatalf("after reset: %+v", p)
	}
}

func TestSaveRefusesAndKeepsOldValues(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if errs, _ := Save(ctx, s, Input{WarnKm2: "5000"}); errs != nil {
		t.Fatal(errs)
	}
	errs, err := Save(ctx, s, Input{TilesURL: "http://tiles.example/{z}/{x}/{y}.png", WarnKm2: "-3", DownloadsDir: "rel/dir"})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field] = true
	}
	if !fields["tiles_url"] || !fields["warn_km2"] || !fields["downloads_dir"] || len(errs) != 3 {
		t.Fatalf("errors: %v", errs)
	}
	if p := Load(ctx, s); p.WarnKm2 != 5000 {
		t.Fatalf("a refused save changed the stored value: %+v", p)
	}
}

func TestCheckTilesURL(t *testing.T) {
	good := []string{"none", DefaultTilesURL, "http://127.0.0.1:8080/{z}/{x}/{y}.png", "https://{s}.tile.example/{z}/{x}/{y}@2x.png"}
	bad := []string{"", "https://tile.example/{z}/{x}.png", "javascript:{z}{x}{y}", "ftp://h/{z}/{x}/{y}", "http://evil.example/{z}/{x}/{y}"}
	for _, v := range good {
		if err := CheckTilesURL(v); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
	for _, v := range bad {
		if err := CheckTilesURL(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}

// The package-run settings round-trip, refuse bad values as a whole, and fall back to
// their defaults.
func TestPackageRuns(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if p := LoadPackageRuns(ctx, s); p != DefaultPackageRuns() || p.Containers != ContainersAuto || p.Keep != KeepFailed || p.MaxRuns != 2 {
		t.Fatalf("fresh store: %+v", p)
	}
	if errs, err := SavePackageRuns(ctx, s, PackageRunsInput{Containers: "none", Keep: "all", MaxRuns: " 3 "}); err != nil || errs != nil {
		t.Fatal(errs, err)
	}
	if p := LoadPackageRuns(ctx, s); p != (PackageRuns{ContainersNone, KeepAll, 3}) {
		t.Fatalf("after save: %+v", p)
	}
	errs, err := SavePackageRuns(ctx, s, PackageRunsInput{Containers: "docker", Keep: "none", MaxRuns: "0"})
	if err != nil || len(errs) != 2 || errs[0].Field != "cwl_containers" || errs[1].Field != "cwl_max_runs" {
		t.Fatalf("refused: %v %v", errs, err)
	}
	if p := LoadPackageRuns(ctx, s); p != (PackageRuns{ContainersNone, KeepAll, 3}) {
		t.Fatalf("a refused save changed: %+v", p)
	}
	if errs, err := SavePackageRuns(ctx, s, PackageRunsInput{}); err != nil || errs != nil {
		t.Fatal(errs, err)
	}
	if p := LoadPackageRuns(ctx, s); p != DefaultPackageRuns() {
		t.Fatalf("empty: %+v", p)
	}
	_ = s.SetSetting(ctx, KeyCWLContainers, "docker")
	if p := LoadPackageRuns(ctx, s); p.Containers != ContainersAuto {
		t.Fatalf("invalid stored value: %+v", p)
	}
}
