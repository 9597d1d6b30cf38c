//go:build !unix

package cwlexec

import (
	"os/exec"
	"time"
)

func setGroup(*exec.Cmd) {}

// killGroup kills cwltool (cwltool runs on Unix-like systems; this keeps the package
// building elsewhere).
func killGroup(cmd *exec.Cmd, _ bool) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func commandLine(int) string { return "" }

func stopGroup(int, time.Duration) {}
