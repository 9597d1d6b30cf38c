package folderlock

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestSecondAcquireSaysWhoHoldsIt(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir, "geojobs serve")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, "geojobs local-endpoint")
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d, geojobs serve", os.Getpid())) {
		t.Fatalf("second acquire: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(dir, "again")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

// TestMain doubles as the child process of TestOtherProcess: with FOLDERLOCK_DIR set
// it holds the lock until its stdin closes.
func TestMain(m *testing.M) {
	if dir := os.Getenv("FOLDERLOCK_DIR"); dir != "" {
		l, err := Acquire(dir, "child")
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(3)
		}
		fmt.Println("HELD")
		_, _ = os.Stdin.Read(make([]byte, 1))
		l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A lock held by another process is seen, and goes when that process ends.
func TestOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "FOLDERLOCK_DIR="+dir)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf) != "HELD\n" {
		t.Fatalf("child: %q %v", buf, err)
	}
	if _, err := Acquire(dir, "parent"); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d, child", cmd.Process.Pid)) {
		t.Fatalf("while the child holds it: %v", err)
	}
	in.Close()
	cmd.Wait()
	l, err := Acquire(dir, "parent")
	if err != nil {
		t.Fatalf("after the child ended: %v", err)
	}
	l.Release()
}
