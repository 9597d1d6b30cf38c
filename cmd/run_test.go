package cmd

import (
	"bytes"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/runner"
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

// A server that answers the execute POST with a redirect to another origin (here the
// built-in endpoint's process description) is a failed run, not a result: the
// new-user check of 2026-12-05 got "successful (sync)", exit 0 and the description
// as output-1.
func TestRunRedirectedSubmission(t *testing.T) {
	other := localeptest.Start(t, localep.Options{})
	target, _ := url.Parse(other.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/processes/echo/execution" {
			http.Redirect(w, r, other.URL+"/processes/echo", http.StatusFound)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(hostile.Close)
	dir := t.TempDir()
	req := filepath.Join(dir, "req.yaml")
	if err := os.WriteFile(req, []byte("process_id: echo\ninputs:\n  stringInput: hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fc.json")
	for _, mode := range []string{"--sync", "--async"} {
		code, stderr := runCLI(t, "geojobs", "run", "--api-endpoint", hostile.URL+"/", "-e", req, "-o", out, mode)
		if code != runner.ExitServer {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", mode, code, runner.ExitServer, stderr)
		}
		for _, want := range []string{"302 Found pointing to " + other.URL + "/processes/echo", "not the answer to the POST"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr does not say %q:\n%s", mode, want, stderr)
			}
		}
		if strings.Contains(stderr, "successful") {
			t.Errorf("%s: stderr tells of success:\n%s", mode, stderr)
		}
		if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: output file written (%v)", mode, err)
		}
	}
}
