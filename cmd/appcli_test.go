package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/config"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
)

// TestMain doubles as the geojobs binary: with GEOJOBS_CMD_CHILD set, the test binary
// runs the command line given after it and exits (a real second process).
//
// With GEOJOBS_TEST_BROWSER set it is the browser of `keys login --browser`: it
// signs in at the oidctest provider on the page given as its last argument.
func TestMain(m *testing.M) {
	if os.Getenv("GEOJOBS_TEST_BROWSER") != "" {
		if _, err := oidctest.Browse(os.Args[len(os.Args)-1]); err != nil {
			fmt.Fprintln(os.Stderr, "test browser:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv("GEOJOBS_CMD_CHILD") != "" {
		os.Args = append([]string{"geojobs"}, os.Args[1:]...)
		os.Exit(Execute())
	}
	os.Exit(m.Run())
}

// startApp runs `geojobs serve` on dataDir as another process and returns when it has
// printed its link.
func startApp(t *testing.T, dataDir string) (base string, stop func()) {
	t.Helper()
	c := exec.Command(os.Args[0], "serve", "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--log-level", "warn")
	c.Env = append(os.Environ(), "GEOJOBS_CMD_CHILD=1")
	out, _ := c.StdoutPipe()
	c.Stderr = os.Stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "http://127.0.0.1:") {
			base = l[:strings.Index(l, "?")]
			break
		}
	}
	if base == "" {
		c.Process.Kill()
		t.Fatalf("the app printed no link: %v", sc.Err())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		c.Process.Signal(syscall.SIGINT)
		c.Wait()
	}
	t.Cleanup(stop)
	return base, stop
}

// The job page's "geojobs run" snippet and `geojobs download <job id prefix>` work
// against the running app's built-in endpoint for the user who owns the data folder:
// the CLI reads the app's token from the data folder (0600), never from a command line.
func TestCLIWorksWithTheRunningApp(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	base, stop := startApp(t, data)

	fi, err := os.Stat(filepath.Join(data, server.CredentialsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	// A second app on the same folder is refused, naming the first.
	if code, msg := runCLI(t, "geojobs", "serve", "--data-dir", data); code == 0 || !strings.Contains(msg, "geojobs serve") {
		t.Fatalf("second app: exit %d: %s", code, msg)
	}

	// The snippet, as the job page shows it for a built-in-endpoint job (it exited 3 with 401).
	req := filepath.Join(dir, "synthetic-scene.execute.json")
	os.WriteFile(req, []byte(`{"inputs":{"aoi":{"bbox":[5.9,45.8,6.4,46.2]},"size":64}}`), 0o644)
	out := filepath.Join(dir, "synthetic-scene-results.json")
	endpoint := base + "local/ogcapi/"
	code, stderr := runCLI(t, "geojobs", "--data-dir", data, "run", "--api-endpoint", endpoint,
		"--process-id", "synthetic-scene", "--execute-request", req, "--output", out, "-q")
	if code != 0 {
		t.Fatalf("geojobs run against the app: exit %d: %s", code, stderr)
	}

	// A job of the app whose results point to the built-in endpoint's outputs.
	b, _ := os.ReadFile(out)
	ic := new(stac.ItemCollection)
	if err := json.Unmarshal(b, ic); err != nil || len(ic.Features) == 0 {
		t.Fatalf("results: %v", err)
	}
	st, err := store.Open(config.Paths{Root: data}.Database())
	if err != nil {
		t.Fatal(err)
	}
	j, err := st.CreateJob(context.Background(), store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "synthetic-scene"})
	if err == nil {
		err = st.SetItems(context.Background(), j.ID, b, time.Now())
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	files := filepath.Join(dir, "dl")
	code, stderr = runCLI(t, "geojobs", "--data-dir", data, "download", j.ID[:8], "-d", files, "-q")
	if code != 0 {
		t.Fatalf("geojobs download %s: exit %d: %s", j.ID[:8], code, stderr)
	}
	if strings.Contains(stderr, "keystore") {
		t.Errorf("a needless keystore warning: %s", stderr)
	}
	for _, it := range ic.Features {
		for key := range it.Assets {
			if _, err := os.Stat(filepath.Join(files, it.ID)); err != nil {
				t.Errorf("asset %s/%s not downloaded: %v", it.ID, key, err)
			}
		}
	}

	// Once the app stops, its credentials go with it.
	stop()
	if _, err := os.Stat(filepath.Join(data, server.CredentialsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("credentials left behind: %v", err)
	}
}
