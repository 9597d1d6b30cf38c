//go:build unix

package localep

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/spf13/afero"
)

// cwlEnv is an endpoint that runs packages with the real cwltool, without containers.
func cwlEnv(t *testing.T, fs afero.Fs, work string) *env {
	t.Helper()
	return newEnv(t, fs, func(o *Options) {
		o.CWL = CWLOptions{Containers: "none", WorkDir: work, Keep: KeepNone}
	})
}

func deployFile(t *testing.T, e *env, name string) {
	t.Helper()
	r := e.do("POST", "/processes", readTestdata(t, "cwlrun/"+name), "Content-Type", "application/cwl+yaml")
	expectStatus(t, r, 201)
}

type stacResult struct {
	Value struct {
		Type     string `json:"type"`
		Features []struct {
			ID     string `json:"id"`
			Assets map[string]struct {
				Href string `json:"href"`
				Type string `json:"type"`
				Size int64  `json:"file:size"`
			} `json:"assets"`
		} `json:"features"`
	} `json:"value"`
}

// A Workflow + CommandLineTool package runs through the endpoint with cwltool
// --no-container: strings, integers, booleans, enums, arrays and an uploaded File go
// in; the File output comes back as a STAC item whose asset downloads, with Range and
// ETag, and the string output as a value.
func TestDeployedPackageRuns(t *testing.T) {
	work := t.TempDir()
	e := cwlEnv(t, nil, work)
	deployFile(t, e, "greet.cwl")
	id := e.submit("greet", map[string]any{"response": "document", "inputs": map[string]any{
		"name": "Ada", "times": 3, "loud": true, "tone": "fancy", "words": []string{"x", "y"},
		"note": map[string]any{"value": "a note from the form\n", "mediaType": "text/plain"},
	}})
	st := e.waitJob(id)
	log := string(e.do("GET", "/jobs/"+id+"/log", nil).body)
	if st.Status != ogcapi.StatusSuccessful {
		t.Fatalf("job %s: %s\n%s", st.Status, st.Message, log)
	}
	for _, want := range []string{"containers: cwltool --no-container", "[step say] completed success", "step say: greeting Ada", "Final process status is success"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	r := e.do("GET", "/jobs/"+id+"/results", nil)
	expectStatus(t, r, 200)
	var res struct {
		Greeting stacResult `json:"greeting"`
		Message  string     `json:"message"`
	}
	r.json(t, &res)
	if res.Message != "greeted Ada" {
		t.Errorf("message %q: %s", res.Message, r.body)
	}
	fc := res.Greeting.Value
	if fc.Type != "FeatureCollection" || len(fc.Features) != 1 || len(fc.Features[0].Assets) != 1 {
		t.Fatalf("greeting: %s", r.body)
	}
	var href string
	for _, a := range fc.Features[0].Assets {
		href = a.Href
	}
	got := e.do("GET", strings.TrimPrefix(href, e.base), nil)
	want := "hello Ada (fancy)\nhello Ada (fancy)\nhello Ada (fancy)\nLOUD\na note from the form\nwords: x y\n"
	if got.status != 200 || string(got.body) != want || got.header.Get("ETag") == "" {
		t.Fatalf("GET %s: %d %q %v", href, got.status, got.body, got.header)
	}
	part := e.do("GET", strings.TrimPrefix(href, e.base), nil, "Range", "bytes=6-8")
	if part.status != 206 || string(part.body) != "Ada" {
		t.Errorf("range: %d %q", part.status, part.body)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Errorf("the working folder was not cleaned: %v", entries)
	}

	// A File given by reference is downloaded first.
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a note by reference\n")
	}))
	defer files.Close()
	id = e.submit("greet", map[string]any{"inputs": map[string]any{
		"name": "Bob", "note": map[string]any{"href": files.URL + "/notes/note.txt"},
	}})
	if st := e.waitJob(id); st.Status != ogcapi.StatusSuccessful {
		t.Fatalf("job %s: %s\n%s", st.Status, st.Message, e.do("GET", "/jobs/"+id+"/log", nil).body)
	}
	var res2 struct {
		Greeting stacResult `json:"greeting"`
	}
	r = e.do("GET", "/jobs/"+id+"/results/greeting", nil)
	r.json(t, &res2.Greeting.Value)
	for _, a := range res2.Greeting.Value.Features[0].Assets {
		body := string(e.do("GET", strings.TrimPrefix(a.Href, e.base), nil).body)
		if !strings.Contains(body, "hello Bob (plain)\nhello Bob (plain)\na note by reference\n") {
			t.Errorf("greeting %q", body)
		}
	}
}

// waitPID waits until cwltool's tool has written its process id (another process: no
// signal but the file).
func waitPID(t *testing.T, pidfile string) int {
	t.Helper()
	pid := 0
	waitfor.Poll(t, "the tool to start", func() bool {
		if b, err := os.ReadFile(pidfile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return pid != 0
	})
	return pid
}

// waitGone waits until a process (cwltool's tool, not our child) has ended.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	waitfor.Poll(t, fmt.Sprintf("process %d to end", pid), func() bool { return syscall.Kill(pid, 0) != nil })
}

// Dismissing a running package stops cwltool and the tool it started.
func TestDismissStopsTheRun(t *testing.T) {
	e := cwlEnv(t, nil, t.TempDir())
	deployFile(t, e, "sleeper.cwl")
	pidfile := filepath.Join(t.TempDir(), "pid")
	id := e.submit("sleeper", map[string]any{"inputs": map[string]any{"pidfile": pidfile}})
	pid := waitPID(t, pidfile)
	expectStatus(t, e.do("DELETE", "/jobs/"+id, nil), 200)
	waitGone(t, pid)
	if st := e.waitJob(id); st.Status != ogcapi.StatusDismissed {
		t.Fatalf("status %s", st.Status)
	}
}

// A run cut off by a restart of geojobs is failed with that reason, and its tool is
// stopped.
func TestRestartFailsACutOffRun(t *testing.T) {
	fs := afero.NewMemMapFs()
	work := t.TempDir()
	e := cwlEnv(t, fs, work)
	deployFile(t, e, "sleeper.cwl")
	pidfile := filepath.Join(t.TempDir(), "pid")
	id := e.submit("sleeper", map[string]any{"inputs": map[string]any{"pidfile": pidfile}})
	pid := waitPID(t, pidfile)
	e.close()
	waitGone(t, pid)
	e2 := cwlEnv(t, fs, work)
	st := e2.waitJob(id)
	if st.Status != ogcapi.StatusFailed || !strings.Contains(st.Message, "interrupted") {
		t.Fatalf("after restart: %s %q", st.Status, st.Message)
	}
}

// Runs beyond CWL.MaxRuns wait for a slot, and say so.
func TestPackageRunsAreLimited(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) {
		o.CWL = CWLOptions{Containers: "none", WorkDir: t.TempDir(), Keep: KeepNone, MaxRuns: 1}
	})
	deployFile(t, e, "sleeper.cwl")
	dir := t.TempDir()
	first := e.submit("sleeper", map[string]any{"inputs": map[string]any{"pidfile": filepath.Join(dir, "first")}})
	pid := waitPID(t, filepath.Join(dir, "first"))
	second := e.submit("sleeper", map[string]any{"inputs": map[string]any{"pidfile": filepath.Join(dir, "second")}})
	e.waitFor(second, func(st ogcapi.StatusInfo) bool { return strings.HasPrefix(st.Message, "waiting to run") })
	if _, err := os.Stat(filepath.Join(dir, "second")); err == nil {
		t.Fatal("the second run started while the first one held the only slot")
	}
	// Raising the limit (Settings) lets the waiting run start at once.
	if err := e.srv.ApplyPackageRuns(prefs.PackageRuns{Containers: "none", Keep: KeepNone, MaxRuns: 2}); err != nil {
		t.Fatal(err)
	}
	pid2 := waitPID(t, filepath.Join(dir, "second"))
	third := e.submit("sleeper", map[string]any{"inputs": map[string]any{"pidfile": filepath.Join(dir, "third")}})
	e.waitFor(third, func(st ogcapi.StatusInfo) bool { return strings.HasPrefix(st.Message, "waiting to run") })
	expectStatus(t, e.do("DELETE", "/jobs/"+first, nil), 200)
	waitGone(t, pid)
	pid3 := waitPID(t, filepath.Join(dir, "third"))
	for id, pid := range map[string]int{second: pid2, third: pid3} {
		expectStatus(t, e.do("DELETE", "/jobs/"+id, nil), 200)
		waitGone(t, pid)
	}
	if err := e.srv.ApplyPackageRuns(prefs.PackageRuns{Containers: "docker"}); err == nil {
		t.Error("a wrong containers setting was accepted")
	}
}

// Working folders are kept per the setting, which applies to the next run: failed
// runs' only (the default), all, or none.
func TestWorkingFoldersKept(t *testing.T) {
	work := t.TempDir()
	e := newEnv(t, nil, func(o *Options) { o.CWL = CWLOptions{Containers: "none", WorkDir: work} })
	deployFile(t, e, "greet.cwl")
	deployFile(t, e, "sleeper.cwl")
	run := func(process string, inputs map[string]any, want string) string {
		t.Helper()
		id := e.submit(process, map[string]any{"inputs": inputs})
		if st := e.waitJob(id); st.Status != want {
			t.Fatalf("%s: %s %q", process, st.Status, st.Message)
		}
		return id
	}
	kept := func(id string) bool {
		_, err := os.Stat(filepath.Join(work, id, "job.json"))
		return err == nil
	}
	ok := run("greet", map[string]any{"name": "Ada"}, ogcapi.StatusSuccessful)
	// The sleeper fails at once when its pidfile cannot be written.
	failed := run("sleeper", map[string]any{"pidfile": filepath.Join(work, "no-such-folder", "pid")}, ogcapi.StatusFailed)
	if kept(ok) || !kept(failed) {
		t.Errorf("keep failed: successful kept %v, failed kept %v", kept(ok), kept(failed))
	}
	if log := string(e.do("GET", "/jobs/"+failed+"/log", nil).body); !strings.Contains(log, "working folder kept: "+filepath.Join(work, failed)) {
		t.Errorf("the log does not say where the folder is:\n%s", log)
	}
	if err := e.srv.ApplyPackageRuns(prefs.PackageRuns{Containers: "none", Keep: KeepAll}); err != nil {
		t.Fatal(err)
	}
	if ok := run("greet", map[string]any{"name": "Bob"}, ogcapi.StatusSuccessful); !kept(ok) {
		t.Error("keep all: the successful run's folder was removed")
	}
	if err := e.srv.ApplyPackageRuns(prefs.PackageRuns{Containers: "none", Keep: KeepNone}); err != nil {
		t.Fatal(err)
	}
	if failed := run("sleeper", map[string]any{"pidfile": filepath.Join(work, "no-such-folder", "pid")}, ogcapi.StatusFailed); kept(failed) {
		t.Error("keep none: the failed run's folder was kept")
	}
}

// The containers setting is explained as the Settings page shows it: podman found or
// not, a setting without containers, cwltool missing.
func TestExplainContainers(t *testing.T) {
	bin := t.TempDir()
	if err := os.Symlink("/usr/bin/cwltool", filepath.Join(bin, "cwltool")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	e := newEnv(t, nil)
	check := func(setting, want string) {
		t.Helper()
		how, err := e.srv.ExplainContainers(setting)
		if err != nil || !strings.Contains(how, want) {
			t.Errorf("%s: %q %v, want %q", setting, how, err, want)
		}
	}
	check("auto", "podman not found: running the tools installed on this computer instead of the package's containers (cwltool --no-container)")
	check("none", "set to run without containers: running the tools installed on this computer (cwltool --no-container)")
	if _, err := e.srv.ExplainContainers("podman"); err == nil || !strings.Contains(err.Error(), "Debian package podman") {
		t.Errorf("podman missing: %v", err)
	}
	if err := os.Symlink("/bin/true", filepath.Join(bin, "podman")); err != nil {
		t.Fatal(err)
	}
	check("auto", "podman found ("+filepath.Join(bin, "podman")+"): running the package's containers (DockerRequirement) with podman (cwltool --podman)")
	check("podman", "(cwltool --podman)")
	check("none", "(cwltool --no-container)")
	if err := os.Remove(filepath.Join(bin, "cwltool")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.ExplainContainers("auto"); err == nil || !strings.Contains(err.Error(), "apt install cwltool") {
		t.Errorf("cwltool missing: %v", err)
	}
}

// Packages waiting for a run slot do not hold up the built-in processes.
func TestWaitingPackagesLeaveJobSlots(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) {
		o.MaxConcurrent = 1
		o.CWL = CWLOptions{Containers: "none", WorkDir: t.TempDir(), Keep: KeepNone, MaxRuns: 1}
	})
	deployFile(t, e, "sleeper.cwl")
	dir := t.TempDir()
	first := e.submit("sleeper", map[string]any{"inputs": map[string]any{"pidfile": filepath.Join(dir, "first")}})
	pid := waitPID(t, filepath.Join(dir, "first"))
	second := e.submit("sleeper", map[string]any{"inputs": map[string]any{"pidfile": filepath.Join(dir, "second")}})
	e.waitFor(second, func(st ogcapi.StatusInfo) bool { return strings.HasPrefix(st.Message, "waiting to run") })
	echo := e.submit("echo", map[string]any{"inputs": map[string]any{"stringInput": "still served"}})
	if st := e.waitJob(echo); st.Status != ogcapi.StatusSuccessful {
		t.Errorf("echo behind waiting packages: %s %q", st.Status, st.Message)
	}
	expectStatus(t, e.do("DELETE", "/jobs/"+second, nil), 200)
	expectStatus(t, e.do("DELETE", "/jobs/"+first, nil), 200)
	waitGone(t, pid)
}
