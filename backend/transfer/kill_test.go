package transfer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/geojobs/geojobs/backend/transfer"
)

// When TRANSFER_TEST_CHILD is set, the test binary is the downloader of
// TestResumeAfterKill: it downloads and is killed by the parent.
func TestMain(m *testing.M) {
	if u := os.Getenv("TRANSFER_TEST_CHILD"); u != "" {
		opts := fastOpts()
		opts.Connections = 3
		_, err := transfer.Download(context.Background(), transfer.Request{URL: u, Dest: os.Getenv("TRANSFER_TEST_DEST"), Name: "big.bin"}, opts)
		fmt.Fprintln(os.Stderr, "child finished:", err)
		os.Exit(3) // the parent expects to kill us before this
	}
	os.Exit(m.Run())
}

func TestResumeAfterKill(t *testing.T) {
	content := randomBytes(8 << 20)
	srv := newServer(t, content)
	srv.hold(4 << 20) // the child cannot finish before it is killed
	dir := t.TempDir()
	state := filepath.Join(dir, "big.bin.part.json")

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TRANSFER_TEST_CHILD="+srv.URL+"/big.bin", "TRANSFER_TEST_DEST="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitState(t, state, 2<<20)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs in the child
		t.Fatal(err)
	}
	cmd.Wait()
	waitIdle(t, srv)
	done := readState(t, state)
	if n := doneBytes(done); n >= int64(len(content)) {
		t.Fatalf("child finished before it was killed (%d bytes)", n)
	}
	before := len(srv.requested())

	srv.release()
	opts := fastOpts()
	opts.Connections = 3
	res, err := transfer.Download(context.Background(), transfer.Request{URL: srv.URL + "/big.bin", Dest: dir, Name: "big.bin",
		Checksum: sha256Multihash(content)}, opts)
	if err != nil || !res.Verified {
		t.Fatalf("resume after kill: %+v, %v", res, err)
	}
	assertFile(t, dir, "big.bin", content)
	// No range requested after the restart overlaps what the killed process recorded.
	for _, r := range srv.requested()[before:] {
		for _, d := range done {
			if r[0] < d[1] && d[0] < r[1] {
				t.Errorf("refetched [%d, %d), recorded complete in [%d, %d)", r[0], r[1], d[0], d[1])
			}
		}
	}
}
