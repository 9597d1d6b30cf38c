//go:build unix

package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// shout asks for a container; without one it needs sh and tr on this computer.
const shout = `cwlVersion: v1.2
class: CommandLineTool
id: shout
requirements:
  DockerRequirement: {dockerPull: docker.io/library/alpine:3}
baseCommand: [sh, -c, 'tr a-z A-Z < "$0" > out.txt']
inputs:
  note: {type: File, inputBinding: {position: 1}}
outputs:
  out: {type: File, outputBinding: {glob: out.txt}}
`

// The app wires the built-in endpoint to Settings and to the keystore: the Settings
// page explains the containers choice (here podman is not installed), a change applies
// to the next run, and a package's s3:// input is read with the keystore's key.
func TestPackagesFollowSettingsAndKeys(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"/usr/bin/cwltool", "/bin/sh", "/usr/bin/tr"} {
		if err := os.Symlink(tool, filepath.Join(bin, filepath.Base(tool))); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
	s := startKeys(t)
	s3srv, _ := s3Server(t, "inputs")
	expect(t, s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}, "passphrase2": {passphrase}}), 303)
	expect(t, s.post("/keystore", url.Values{"name": {"inputs"}, "kind": {"s3"}, "endpoint": {s3srv.URL}, "region": {s3Region},
		"bucket": {"inputs"}, "access_key": {s3AccessKey}, "secret": {s3Secret}, "path_style": {"on"}}), 303)
	k, _ := s.keys.Get("inputs")
	up, err := s3.New(k, s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Upload(context.Background(), "notes/note.txt", strings.NewReader("water ahead\n"), 12, "text/plain"); err != nil {
		t.Fatal(err)
	}

	r := s.get("/settings")
	expect(t, r, 200)
	if got := r.find("[data-testid=containers-choice]").Text(); !strings.Contains(got, "podman not found: running the tools installed on this computer") {
		t.Errorf("containers choice %q", got)
	}
	expect(t, s.do("POST", "/local/ogcapi/processes", strings.NewReader(shout), "application/cwl+yaml"), 201)
	run := func() ogcapi.StatusInfo {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"response": "document", "inputs": map[string]any{"note": map[string]any{"href": "s3://inputs/notes/note.txt"}}})
		r := s.do("POST", "/local/ogcapi/processes/shout/execution", strings.NewReader(string(body)), "application/json",
			func(r *http.Request) { r.Header.Set("Prefer", "respond-async") })
		expect(t, r, 201)
		var st ogcapi.StatusInfo
		json.Unmarshal([]byte(r.body), &st)
		deadline := time.Now().Add(waitfor.Guard)
		for !ogcapi.Terminal(st.Status) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			json.Unmarshal([]byte(s.do("GET", "/local/ogcapi/jobs/"+st.JobID, nil, "").body), &st)
		}
		return st
	}

	// Podman chosen, and not installed: the next run fails at once, saying so.
	expect(t, s.post("/settings/packages", url.Values{"cwl_containers": {"podman"}, "cwl_keep": {"none"}, "cwl_max_runs": {"2"}}), 303)
	if st := run(); st.Status != ogcapi.StatusFailed || !strings.Contains(st.Message, "podman is not installed (Debian package podman)") {
		t.Fatalf("with podman chosen: %s %q", st.Status, st.Message)
	}
	// No containers: the tools of this computer run, on the file read from S3 with the key.
	expect(t, s.post("/settings/packages", url.Values{"cwl_containers": {"none"}, "cwl_keep": {"none"}, "cwl_max_runs": {"2"}}), 303)
	st := run()
	log := s.do("GET", "/local/ogcapi/jobs/"+st.JobID+"/log", nil, "").body
	if st.Status != ogcapi.StatusSuccessful || !strings.Contains(log, "cwltool --no-container, because set to run without containers") {
		t.Fatalf("without containers: %s %q\n%s", st.Status, st.Message, log)
	}
	var res struct {
		Out struct {
			Value struct {
				Features []struct {
					Assets map[string]struct{ Href string }
				}
			}
		}
	}
	json.Unmarshal([]byte(s.do("GET", "/local/ogcapi/jobs/"+st.JobID+"/results", nil, "").body), &res)
	if len(res.Out.Value.Features) != 1 {
		t.Fatalf("results: %s", s.do("GET", "/local/ogcapi/jobs/"+st.JobID+"/results", nil, "").body)
	}
	for _, a := range res.Out.Value.Features[0].Assets {
		if got := s.do("GET", strings.TrimPrefix(a.Href, s.base), nil, "").body; got != "WATER AHEAD\n" {
			t.Errorf("output %q", got)
		}
	}
	s.noLeaks(t, nil)
}
