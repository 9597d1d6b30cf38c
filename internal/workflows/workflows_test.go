package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// A workflow that is not valid YAML never runs, and GitHub says so only on its own page:
// platforms.yml had a step name with ": " in it, so the Windows and macOS tests never ran.
func TestWorkflowsParse(t *testing.T) {
	files, err := filepath.Glob("../../.github/workflows/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found: %v", err)
	}
	jobs := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w struct {
			On   any                       `yaml:"on"`
			Jobs map[string]map[string]any `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if w.On == nil || len(w.Jobs) == 0 {
			t.Errorf("%s: no triggers or no jobs", filepath.Base(f))
		}
		for name, j := range w.Jobs {
			if _, ok := j["runs-on"]; !ok {
				t.Errorf("%s: job %s has no runs-on", filepath.Base(f), name)
			}
			jobs[strings.TrimSuffix(filepath.Base(f), ".yml")+"/"+name] = true
		}
	}
	// The Windows and macOS Go tests (issue 18 §4) run on every pull request.
	if !jobs["platforms/go-test"] {
		t.Errorf("platforms.yml has no go-test job; jobs: %v", jobs)
	}
}

// The check sees the mistake platforms.yml had.
func TestWorkflowsParseCatchesColonInName(t *testing.T) {
	bad := "jobs:\n  a:\n    steps:\n      - name: Desktop tags compile (Windows: the GUI exe)\n        run: go vet .\n"
	var w map[string]any
	if err := yaml.Unmarshal([]byte(bad), &w); err == nil {
		t.Fatal("a plain scalar with ': ' inside parsed; the workflow check would miss it")
	}
}
