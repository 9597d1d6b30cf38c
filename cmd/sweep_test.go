package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/sweep"
)

func readMerged(t *testing.T, path string) []int {
	t.Helper()
	ic := readItems(t, path)
	var lines []int
	for _, it := range ic.Features {
		var n int
		if err := json.Unmarshal(it.Properties[sweep.PropLine], &n); err != nil {
			t.Fatalf("item %s has no %s", it.ID, sweep.PropLine)
		}
		lines = append(lines, n)
	}
	slices.Sort(lines)
	return lines
}

// 50 countdowns, 4 at a time: never more than 4 jobs in flight, all succeed, one
// merged ItemCollection with every line.
func TestRunSweepCountdowns(t *testing.T) {
	ts, count := localeptest.StartCounted(t, localep.Options{})
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	os.WriteFile(base, []byte(`{"inputs":{"seconds":0.05,"step":0.05}}`), 0o644)
	var jsonl strings.Builder
	for i := range 50 {
		fmt.Fprintf(&jsonl, `{"seconds": %v}`+"\n", 0.05*float64(i%3+1))
	}
	sweepFile := filepath.Join(dir, "sweep.jsonl")
	os.WriteFile(sweepFile, []byte(jsonl.String()), 0o644)
	out := filepath.Join(dir, "merged.json")
	code, stderr := runCLI(t, "geojobs", "run", "--api-endpoint", ts.URL, "--process-id", "countdown",
		"--execute-request", base, "--sweep", sweepFile, "--parallel", "4", "--output", out, "--poll-max", "100ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := readMerged(t, out)
	want := make([]int, 50)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(lines, want) {
		t.Errorf("merged lines %v", lines)
	}
	if most, created := count.Max(); created != 50 || most > 4 || most < 2 {
		t.Errorf("%d jobs created, at most %d in flight; want 50, 2..4", created, most)
	}
	if !strings.Contains(stderr, "50 of 50 jobs succeeded") || !strings.Contains(stderr, "line 17: ") {
		t.Errorf("stderr: %s", stderr)
	}
}

// A CSV sweep with one row the server rejects: exit 1, the others merged and kept.
func TestRunSweepCSVWithFailure(t *testing.T) {
	ts := localeptest.Start(t, localep.Options{})
	dir := t.TempDir()
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("inputs:\n  seconds: 0.05\n"), 0o644)
	sweepFile := filepath.Join(dir, "sweep.csv")
	os.WriteFile(sweepFile, []byte("seconds,step\n0.05,0.05\nlots,0.05\n0.1,\n"), 0o644)
	out := filepath.Join(dir, "merged.json")
	code, stderr := runCLI(t, "geojobs", "run", "--api-endpoint", ts.URL, "--process-id", "countdown",
		"--execute-request", base, "--sweep", sweepFile, "--output", out, "-q")
	if code != 1 || !strings.Contains(stderr, "1 of 3 jobs failed: line 3") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if lines := readMerged(t, out); !slices.Equal(lines, []int{2, 4}) {
		t.Errorf("merged lines %v, want [2 4]", lines)
	}
	for _, n := range []int{2, 4} {
		if _, err := os.Stat(filepath.Join(dir, "merged.members", fmt.Sprintf("line-%d", n), "items.json")); err != nil {
			t.Errorf("member %d's results: %v", n, err)
		}
	}
}

// A FeatureCollection sweep: each feature becomes the geometry input, wrapped as the
// base request wraps it.
func TestRunSweepGeoJSON(t *testing.T) {
	ts := localeptest.Start(t, localep.Options{})
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	os.WriteFile(base, []byte(`{"inputs":{"stringInput":"x","geometryInput":{"value":{"type":"Point","coordinates":[0,0]},"mediaType":"application/geo+json"}}}`), 0o644)
	fc := filepath.Join(dir, "areas.geojson")
	os.WriteFile(fc, []byte(`{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[7.1,46.2]}},
		{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}}]}`), 0o644)
	out := filepath.Join(dir, "merged.json")
	args := []string{"geojobs", "run", "--api-endpoint", ts.URL, "--process-id", "echo", "--execute-request", base, "--sweep", fc, "--output", out, "-q"}
	if code, stderr := runCLI(t, args...); code != 2 || !strings.Contains(stderr, "--sweep-input") {
		t.Fatalf("without --sweep-input: exit %d: %s", code, stderr)
	}
	code, stderr := runCLI(t, append(args, "--sweep-input", "geometryInput")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if lines := readMerged(t, out); !slices.Equal(lines, []int{1, 2}) {
		t.Errorf("merged lines %v", lines)
	}
	b, err := os.ReadFile(filepath.Join(dir, "merged.members", "line-1", "geometryOutput.geojson"))
	if err != nil || !strings.Contains(string(b), "7.1") {
		t.Errorf("the first feature's geometry is not in its results: %s %v", b, err)
	}
	if m, _ := os.ReadFile(out); !strings.Contains(string(m), `"merged.members/line-2/geometryOutput.geojson"`) {
		t.Errorf("member files are not referenced relative to the merged file")
	}
}
