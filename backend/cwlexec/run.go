// Package cwlexec runs a CWL application package with cwltool, as a platform
// (ZOO-Project-DRU, EOEPCA) runs it: the job's inputs become a CWL job file, cwltool
// runs in its own working folder and process group, its log is streamed line by line
// and read for progress (steps started and finished), and its output object is turned
// into STAC (File and Directory outputs) and values (the others).
//
// It runs Debian's cwltool (package cwltool) and, for packages with a
// DockerRequirement, podman when it is installed (--podman) or the tools installed
// locally (--no-container). It does not run CWL itself.
package cwlexec

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Containers says how a DockerRequirement is honoured.
type Containers string

// The container settings.
const (
	// Auto runs containers with podman when it is installed, and without containers
	// otherwise.
	Auto Containers = "auto"
	// Podman always runs containers with podman (a run fails when it is missing).
	Podman Containers = "podman"
	// NoContainer runs the tools installed on this computer (cwltool --no-container).
	NoContainer Containers = "none"
)

// ParseContainers reads a Containers setting ("" is Auto).
func ParseContainers(s string) (Containers, error) {
	switch c := Containers(strings.ToLower(strings.TrimSpace(s))); c {
	case "":
		return Auto, nil
	case Auto, Podman, NoContainer:
		return c, nil
	case "no-container":
		return NoContainer, nil
	}
	return "", fmt.Errorf("containers must be auto, podman or none, got %q", s)
}

// ErrNoCwltool is returned when cwltool cannot be found.
var ErrNoCwltool = errors.New("cwltool is not installed: install Debian's cwltool package (sudo apt install cwltool), or put cwltool on the PATH")

// Runner runs cwltool. The zero value looks cwltool and podman up on the PATH and
// uses Auto.
type Runner struct {
	Cwltool    string // command or path, default "cwltool"
	Containers Containers
	// LookPath finds commands; default exec.LookPath.
	LookPath func(string) (string, error)
	// KillGrace is how long cwltool's process group has after SIGTERM before SIGKILL;
	// default 5 s.
	KillGrace time.Duration
}

func (r *Runner) lookPath(name string) (string, error) {
	if r.LookPath != nil {
		return r.LookPath(name)
	}
	return exec.LookPath(name)
}

// Choice is how a package's containers are run, and why.
type Choice struct {
	Flag   string // --podman or --no-container
	Reason string
}

// Choose decides how to run a package that has (or has not) a DockerRequirement.
func (r *Runner) Choose(hasDocker bool) (Choice, error) {
	setting := r.Containers
	if setting == "" {
		setting = Auto
	}
	if !hasDocker {
		return Choice{"--no-container", "the package has no DockerRequirement: its tools run on this computer"}, nil
	}
	switch setting {
	case NoContainer:
		return Choice{"--no-container", "set to run without containers: running the tools installed on this computer"}, nil
	case Podman:
		path, err := r.lookPath("podman")
		if err != nil {
			return Choice{}, errors.New("set to run containers with podman, and podman is not installed (Debian package podman)")
		}
		return Choice{"--podman", "set to run containers with podman (" + path + ")"}, nil
	}
	if path, err := r.lookPath("podman"); err == nil {
		return Choice{"--podman", "podman found (" + path + "): running the package's containers (DockerRequirement) with podman"}, nil
	}
	return Choice{"--no-container", "podman not found: running the tools installed on this computer instead of the package's containers"}, nil
}

// Job is one run of a package.
type Job struct {
	Dir      string         // working folder, created by Run; holds the package, job file, outputs and temporaries
	Package  []byte         // the CWL document (JSON or YAML)
	Target   string         // the process to run in a $graph ("water-bodies"); "" for a lone process
	Order    map[string]any // the CWL job order (inputs)
	Choice   Choice
	Steps    int                       // steps of the package, for progress; at least 1
	Log      func(line string)         // every line cwltool writes to stderr, and the runner's own notes
	Progress func(pct int, msg string) // 0..99 as steps finish
}

// stepRE and jobRE match cwltool's log lines about steps and jobs.
var (
	stepStartRE = regexp.MustCompile(`\[step ([^\]]+)\] start`)
	stepDoneRE  = regexp.MustCompile(`\[step ([^\]]+)\] completed (\w+)`)
	jobDoneRE   = regexp.MustCompile(`\[job ([^\]]+)\] completed (\w+)`)
	finalRE     = regexp.MustCompile(`Final process status is (\w+)`)
)

// Check reports ErrNoCwltool when cwltool cannot be found.
func (r *Runner) Check() error {
	cwltool := r.Cwltool
	if cwltool == "" {
		cwltool = "cwltool"
	}
	if _, err := r.lookPath(cwltool); err != nil {
		return ErrNoCwltool
	}
	return nil
}

// Run runs cwltool on job and returns its output object (the JSON cwltool prints). A
// cancelled ctx stops the whole process group: SIGTERM, then SIGKILL after KillGrace.
func (r *Runner) Run(ctx context.Context, job Job) (map[string]any, error) {
	cwltool := r.Cwltool
	if cwltool == "" {
		cwltool = "cwltool"
	}
	path, err := r.lookPath(cwltool)
	if err != nil {
		return nil, ErrNoCwltool
	}
	if abs, err := filepath.Abs(job.Dir); err == nil {
		job.Dir = abs // cwltool's command line names it: StopLeftover recognises the run by it
	}
	for _, d := range []string{"", "out", "tmp"} {
		if err := os.MkdirAll(filepath.Join(job.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("cannot create the working folder: %w", err)
		}
	}
	pkgPath := filepath.Join(job.Dir, "package.cwl")
	if err := os.WriteFile(pkgPath, job.Package, 0o644); err != nil {
		return nil, err
	}
	order, err := json.MarshalIndent(job.Order, "", "  ")
	if err != nil {
		return nil, err
	}
	jobPath := filepath.Join(job.Dir, "job.json")
	if err := os.WriteFile(jobPath, order, 0o644); err != nil {
		return nil, err
	}
	target := pkgPath
	if job.Target != "" {
		target += "#" + job.Target
	}
	args := []string{job.Choice.Flag,
		"--outdir", filepath.Join(job.Dir, "out"),
		"--tmpdir-prefix", filepath.Join(job.Dir, "tmp") + string(filepath.Separator),
		"--tmp-outdir-prefix", filepath.Join(job.Dir, "tmp") + string(filepath.Separator),
		"--disable-color",
		target, jobPath}
	logf := func(format string, a ...any) {
		if job.Log != nil {
			job.Log(fmt.Sprintf(format, a...))
		}
	}
	logf("geojobs: %s (%s)", job.Choice.Flag, job.Choice.Reason)
	logf("geojobs: running %s %s", path, strings.Join(args, " "))
	cmd := exec.Command(path, args...)
	cmd.Dir = job.Dir
	cmd.Env = append(os.Environ(), "TMPDIR="+filepath.Join(job.Dir, "tmp"))
	setGroup(cmd)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start cwltool: %w", err)
	}
	// The process id stays in the working folder while cwltool runs, so that a
	// geojobs started after a crash can stop what this one left (StopLeftover).
	pidPath := filepath.Join(job.Dir, pidFile)
	if err := os.WriteFile(pidPath, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		logf("geojobs: cannot record cwltool's process id: %v", err)
	}
	defer os.Remove(pidPath)
	// Stop the process group when ctx is done.
	exited := make(chan struct{})
	var killWG sync.WaitGroup
	killWG.Add(1)
	go func() {
		defer killWG.Done()
		select {
		case <-exited:
			return
		case <-ctx.Done():
		}
		logf("geojobs: stopping cwltool and its children (%v)", context.Cause(ctx))
		killGroup(cmd, false)
		grace := r.KillGrace
		if grace <= 0 {
			grace = 5 * time.Second
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-exited:
		case <-t.C:
			killGroup(cmd, true)
		}
	}()

	// Progress is the share of steps finished. Scattered steps and sub-workflows run
	// more step instances (node_crop_2, …) than the document has steps, so the total
	// grows with the instances seen, and the progress never goes back.
	steps := max(job.Steps, 1)
	started, done := map[string]bool{}, map[string]bool{}
	last := 0
	report := func(msg string) {
		pct := min(99, max(last, len(done)*100/max(steps, len(started))))
		last = pct
		if job.Progress != nil {
			job.Progress(pct, msg)
		}
	}
	final := ""
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if job.Log != nil {
			job.Log(line)
		}
		switch {
		case stepStartRE.MatchString(line):
			m := stepStartRE.FindStringSubmatch(line)
			started[m[1]] = true
			report(fmt.Sprintf("step %s started (%d of %d steps done)", m[1], len(done), max(steps, len(started))))
		case stepDoneRE.MatchString(line):
			m := stepDoneRE.FindStringSubmatch(line)
			started[m[1]], done[m[1]] = true, true
			report(fmt.Sprintf("step %s %s (%d of %d steps done)", m[1], m[2], len(done), max(steps, len(started))))
		case len(started) == 0 && jobDoneRE.MatchString(line): // a lone CommandLineTool
			m := jobDoneRE.FindStringSubmatch(line)
			done[m[1]] = true
			report("tool " + m[1] + " " + m[2])
		case finalRE.MatchString(line):
			final = finalRE.FindStringSubmatch(line)[1]
		}
	}
	_, _ = io.Copy(io.Discard, stderr)
	werr := cmd.Wait()
	close(exited)
	killWG.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if werr != nil || final != "success" {
		status := final
		if status == "" {
			status = "unknown"
		}
		return nil, fmt.Errorf("cwltool failed (%v; final status %s): see the job log", werr, status)
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("cwltool's output is not a JSON object: %v", err)
	}
	return out, nil
}
