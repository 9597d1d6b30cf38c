//go:build unix

package cmd

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/geojobs/geojobs/backend/config"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// startEndpoint runs `geojobs local-endpoint` on dataDir as another process.
func startEndpoint(t *testing.T, dataDir string) (base string, proc *exec.Cmd) {
	t.Helper()
	c := exec.Command(os.Args[0], "--data-dir", dataDir, "--log-level", "warn", "local-endpoint", "--addr", "127.0.0.1:0",
		"--cwl-containers", "none", "--cwl-keep", "none")
	c.Env = append(os.Environ(), "GEOJOBS_CMD_CHILD=1")
	out, _ := c.StdoutPipe()
	c.Stderr = os.Stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "geojobs local endpoint: "); ok {
			return strings.TrimSuffix(u, "/"), c
		}
	}
	t.Fatalf("the endpoint printed no address: %v", sc.Err())
	return "", nil
}

func jobStatus(t *testing.T, base, id string) ogcapi.StatusInfo {
	t.Helper()
	r, err := http.Get(base + "/jobs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var st ogcapi.StatusInfo
	json.NewDecoder(r.Body).Decode(&st)
	return st
}

// When geojobs is killed (kill -9, a crash) while a package runs, cwltool and its tools
// go on; the next start fails the job as cut off, stops what was left running and
// removes the working folder (--cwl-keep none).
func TestCrashedPackageRunIsStoppedOnRestart(t *testing.T) {
	data := t.TempDir()
	base, proc := startEndpoint(t, data)
	pkg := "cwlVersion: v1.2\nclass: CommandLineTool\nid: sleeper\n" +
		"baseCommand: [sh, -c, 'sleep 600 & echo $! > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"; wait']\n" +
		"inputs:\n  pidfile: {type: string, inputBinding: {position: 1}}\noutputs: {}\n"
	resp, err := http.Post(base+"/processes", "application/cwl+yaml", strings.NewReader(pkg))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("deploy: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	pidfile := filepath.Join(t.TempDir(), "tool.pid")
	body, _ := json.Marshal(map[string]any{"inputs": map[string]any{"pidfile": pidfile}})
	req, _ := http.NewRequest("POST", base+"/processes/sleeper/execution", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Prefer", "respond-async")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st ogcapi.StatusInfo
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	tool := 0 // written by the tool, another process: polled
	if !waitfor.PollOK(func() bool {
		if b, err := os.ReadFile(pidfile); err == nil {
			tool, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return tool != 0
	}) {
		t.Fatalf("the tool did not start: %+v", jobStatus(t, base, st.JobID))
	}
	t.Cleanup(func() { syscall.Kill(tool, syscall.SIGKILL) }) // should the test fail: its shell and cwltool then end
	proc.Process.Kill()
	proc.Wait()
	if syscall.Kill(tool, 0) != nil {
		t.Fatal("the tool ended with geojobs: nothing to test")
	}
	work := filepath.Join(config.Paths{Root: data}.LocalEndpoint(), "cwl-runs", st.JobID)
	if _, err := os.Stat(work); err != nil {
		t.Fatalf("no working folder: %v", err)
	}

	base, _ = startEndpoint(t, data)
	if got := jobStatus(t, base, st.JobID); got.Status != ogcapi.StatusFailed || !strings.Contains(got.Message, "interrupted") {
		t.Errorf("after the restart: %s %q", got.Status, got.Message)
	}
	waitfor.Poll(t, "the tool left by the killed geojobs to end", func() bool { return syscall.Kill(tool, 0) != nil })
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("the working folder is still there: %v", err)
	}
}
