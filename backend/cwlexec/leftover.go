package cwlexec

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// pidFile holds cwltool's process id in a run's working folder while it runs.
const pidFile = "cwltool.pid"

// StopLeftover stops what a run in the working folder dir left running when its
// geojobs ended without stopping it (a crash, a kill -9, a power cut): when
// dir/cwltool.pid names a process that is still that run's cwltool (its command line
// names dir), its process group gets SIGTERM, then SIGKILL after grace. It reports
// whether it found such a process. It does nothing on systems without process
// groups.
func StopLeftover(dir string, grace time.Duration) bool {
	b, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return false
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	// The process id may have been reused since: only a process whose command line
	// names this run's folder is stopped.
	if cmdline := commandLine(pid); !strings.Contains(cmdline, "cwltool") || !strings.Contains(cmdline, abs) {
		return false
	}
	stopGroup(pid, grace)
	_ = os.Remove(filepath.Join(dir, pidFile))
	return true
}
