package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/stac"
)

func TestNormalizeRunArgs(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"run", "-api", "u", "-pid", "p", "-e", "f"}, []string{"run", "--api-endpoint", "u", "--process-id", "p", "-e", "f"}},
		{[]string{"--data-dir", "run", "ogc-api-processes-client", "-api=u"}, []string{"--data-dir", "run", "ogc-api-processes-client", "--api-endpoint=u"}},
		{[]string{"run", "--", "-api"}, []string{"run", "--", "-api"}},
		{[]string{"keys", "-api"}, []string{"keys", "-api"}},
		{[]string{"--log-level=debug", "run", "-pid", "x"}, []string{"--log-level=debug", "run", "--process-id", "x"}},
	}
	for _, tt := range tests {
		if got := NormalizeRunArgs(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("NormalizeRunArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := CommandArgs([]string{"/usr/local/bin/ogc-api-processes-client", "-api", "u"})
	if want := []string{"run", "--api-endpoint", "u"}; !reflect.DeepEqual(got, want) {
		t.Errorf("CommandArgs = %q, want %q", got, want)
	}
	if got := CommandArgs([]string{"geojobs", "version"}); !reflect.DeepEqual(got, []string{"version"}) {
		t.Errorf("CommandArgs = %q", got)
	}
}

// runCLI runs the command line as main would and returns the exit status and stderr.
func runCLI(t *testing.T, argv ...string) (int, string) {
	t.Helper()
	root, opts := newRoot()
	var stderr, stdout bytes.Buffer
	root.SetErr(&stderr)
	root.SetOut(&stdout)
	root.SetArgs(CommandArgs(argv))
	code := execute(root, opts) // prints the error on stderr, as main does
	return code, stderr.String()
}

func TestRunCommand(t *testing.T) {
	ts := localeptest.Start(t, localep.Options{})
	dir := t.TempDir()
	req := filepath.Join(dir, "req.yaml")
	os.WriteFile(req, []byte("process_id: echo\ninputs:\n  stringInput: hello\n"), 0o644)
	out := filepath.Join(dir, "fc.json")

	code, stderr := runCLI(t, "/bin/ogc-api-processes-client", "-api", ts.URL+"/", "-e", req, "-o", out, "-H", "X-Api-Key: sekret")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || stac.Validate(b) != nil {
		t.Fatalf("output: %v", err)
	}
	if !strings.Contains(stderr, " successful") || strings.Contains(stderr, "sekret") {
		t.Errorf("stderr:\n%s", stderr)
	}

	failReq := filepath.Join(dir, "fail.json")
	os.WriteFile(failReq, []byte(`{"inputs":{"message":"no water today"}}`), 0o644)
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"geojobs", "run", "--api-endpoint", ts.URL, "--process-id", "fail", "-e", failReq, "-o", out, "-q"}, 1, "no water today"},
		{[]string{"geojobs", "run", "--api-endpoint", ts.URL, "-e", filepath.Join(dir, "missing.json")}, 2, "does not exist"},
		{[]string{"geojobs", "run", "--api-endpoint", ts.URL, "--process-id", "nope", "-e", failReq, "-o", out}, 2, "available: countdown, echo, fail, synthetic-scene"},
		{[]string{"geojobs", "run", "--bogus"}, 2, "unknown flag"},
		{[]string{"geojobs", "run", "-e", req}, 2, "--api-endpoint is required"},
		{[]string{"geojobs", "run", "--api-endpoint", ts.URL, "-e", req, "--sync", "--async"}, 2, "--sync and --async exclude each other"},
		{[]string{"geojobs", "run", "--api-endpoint", ts.URL, "-e", req, "-H", "token-without-name"}, 2, `header 1: want "Name: value"`},
	} {
		code, stderr := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, want %d; output %q does not contain %q", tt.args[1:], code, tt.code, stderr, tt.want)
		}
	}
}

func TestRunHelpListsExitCodes(t *testing.T) {
	root := NewRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"run", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Exit status:", "130", "ogc-api-processes-client", "--dismiss-on-interrupt"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
