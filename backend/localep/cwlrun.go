package localep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/cwlexec"
	"github.com/geojobs/geojobs/backend/localep/cwl"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
	"github.com/spf13/afero"
)

// Settings of the runs of deployed packages (Options.CWL): the working folders kept.
const (
	KeepFailed = prefs.KeepFailed // keep the working folders of failed runs (the default)
	KeepAll    = prefs.KeepAll
	KeepNone   = prefs.KeepNone
)

// CWLOptions configures how deployed CWL packages run.
type CWLOptions struct {
	Cwltool string // command or path, default "cwltool" (Debian package cwltool)
	// Containers: "auto" (podman when installed, for packages with a
	// DockerRequirement), "podman" or "none" (cwltool --no-container).
	Containers string
	// WorkDir holds a working folder per run, on the OS file system (cwltool needs
	// real files); default <DataDir>/cwl-runs when Fs is an OsFs, a temporary folder
	// otherwise.
	WorkDir string
	Keep    string // KeepFailed (default), KeepAll or KeepNone
	MaxRuns int    // cwltool runs at once, default 2
}

// cwlRuns runs deployed packages. Its settings change with ApplyPackageRuns and
// apply to the next run.
type cwlRuns struct {
	cwltool string
	dir     string

	mu         sync.Mutex
	containers cwlexec.Containers
	keep       string
	max        int
	running    int
	changed    chan struct{} // closed when a slot frees or the limit changes
}

func newCWLRuns(opts Options) (*cwlRuns, error) {
	o := opts.CWL
	dir := o.WorkDir
	if dir == "" {
		if _, osfs := opts.Fs.(*afero.OsFs); osfs {
			dir = filepath.Join(opts.DataDir, "cwl-runs")
		} else {
			dir = filepath.Join(os.TempDir(), "geojobs-cwl-runs")
		}
	}
	r := &cwlRuns{cwltool: o.Cwltool, dir: dir, changed: make(chan struct{})}
	if err := r.set(prefs.PackageRuns{Containers: o.Containers, Keep: o.Keep, MaxRuns: o.MaxRuns}); err != nil {
		return nil, fmt.Errorf("localep: %w", err)
	}
	return r, nil
}

// set validates and applies p ("" and 0 are the defaults).
func (r *cwlRuns) set(p prefs.PackageRuns) error {
	containers, err := cwlexec.ParseContainers(p.Containers)
	if err != nil {
		return err
	}
	switch p.Keep {
	case "":
		p.Keep = KeepFailed
	case KeepFailed, KeepAll, KeepNone:
	default:
		return fmt.Errorf("working folders to keep must be %q, %q or %q, got %q", KeepFailed, KeepAll, KeepNone, p.Keep)
	}
	if p.MaxRuns <= 0 {
		p.MaxRuns = prefs.DefaultMaxRuns
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.containers, r.keep, r.max = containers, p.Keep, p.MaxRuns
	r.wakeLocked()
	return nil
}

func (r *cwlRuns) wakeLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// runner is a cwltool runner with the current settings.
func (r *cwlRuns) runner() *cwlexec.Runner {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &cwlexec.Runner{Cwltool: r.cwltool, Containers: r.containers}
}

func (r *cwlRuns) keeps(failed bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keep == KeepAll || r.keep == KeepFailed && failed
}

// acquire waits for a run slot (at most max runs at once).
func (r *cwlRuns) acquire(ctx context.Context) error {
	for {
		r.mu.Lock()
		if r.running < r.max {
			r.running++
			r.mu.Unlock()
			return nil
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

func (r *cwlRuns) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running--
	r.wakeLocked()
}

// cutOff stops what the package run of job id left running when geojobs ended
// without stopping it (a crash), and removes its working folder unless the settings
// keep failed runs'. A job without a working folder is left alone.
func (r *cwlRuns) cutOff(id string, log *slog.Logger) {
	dir := filepath.Join(r.dir, id)
	if _, err := os.Stat(dir); err != nil {
		return
	}
	if cwlexec.StopLeftover(dir, 5*time.Second) {
		log.Warn("local endpoint: stopped a package run left by geojobs' last exit", "job", id)
	}
	if !r.keeps(true) {
		_ = os.RemoveAll(dir)
	}
}

// ApplyPackageRuns changes how deployed packages run (containers, working folders
// kept, runs at once); runs that have started keep their settings, the next ones use
// these.
func (s *Server) ApplyPackageRuns(p prefs.PackageRuns) error {
	if err := s.cwl.set(p); err != nil {
		return fmt.Errorf("localep: %w", err)
	}
	return nil
}

// ExplainContainers says how a package that asks for containers (DockerRequirement)
// would run with the containers setting ("auto", "podman", "none"), and why; the
// error says why it could not run (cwltool or podman missing).
func (s *Server) ExplainContainers(setting string) (string, error) {
	c, err := cwlexec.ParseContainers(setting)
	if err != nil {
		return "", err
	}
	r := cwlexec.Runner{Cwltool: s.cwl.cwltool, Containers: c}
	if err := r.Check(); err != nil {
		return "", err
	}
	ch, err := r.Choose(true)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (cwltool %s)", ch.Reason, ch.Flag), nil
}

// runPackage runs a deployed package with cwltool for one job.
func (s *Server) runPackage(ctx context.Context, rc *runContext, pkg *deployedPackage, inputs map[string]json.RawMessage) (_ map[string]outputValue, err error) {
	doc, err := cwl.Parse(pkg.CWL)
	if err != nil {
		return nil, err
	}
	wf, err := doc.Workflow(pkg.Workflow)
	if err != nil {
		return nil, err
	}
	runs := s.cwl
	runner := runs.runner()
	if err := runner.Check(); err != nil {
		rc.Logf("%v", err)
		return nil, err
	}
	choice, err := runner.Choose(doc.HasDockerRequirement())
	if err != nil {
		rc.Logf("%v", err)
		return nil, err
	}
	rc.Logf("containers: cwltool %s, because %s", choice.Flag, choice.Reason)
	rc.Progress(0, fmt.Sprintf("waiting to run (cwltool %s: %s)", choice.Flag, choice.Reason))
	if err := runs.acquire(ctx); err != nil {
		return nil, err
	}
	defer runs.release()
	dir := filepath.Join(runs.dir, rc.JobID())
	defer func() {
		if runs.keeps(err != nil) {
			rc.Logf("working folder kept: %s", dir)
			return
		}
		if rerr := os.RemoveAll(dir); rerr != nil {
			rc.Logf("cannot remove the working folder %s: %v", dir, rerr)
		}
	}()
	rc.Progress(0, fmt.Sprintf("preparing the inputs (cwltool %s: %s)", choice.Flag, choice.Reason))
	order, err := cwlexec.Order(ctx, inputs, wf.Inputs, dir, &cwlexec.Transfer{Sources: s.inputs})
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, invalidParameter("%v", err)
	}
	target := ""
	if doc.InGraph() {
		target = wf.ID
	}
	body := pkg.CWL
	if choice.Flag == "--no-container" {
		var moved bool
		if body, moved = doc.ContainersAsHints(); moved {
			rc.Logf("the package requires containers (DockerRequirement under requirements): without containers, they are taken as hints")
		}
	}
	out, err := runner.Run(ctx, cwlexec.Job{
		Dir: dir, Package: body, Target: target, Order: order, Choice: choice, Steps: doc.StepCount(),
		Log:      func(line string) { rc.Logf("%s", line) },
		Progress: func(pct int, msg string) { rc.Progress(pct*95/100, msg) },
	})
	if err != nil {
		return nil, err
	}
	rc.Progress(96, "publishing the outputs")
	outs, err := cwlexec.Outputs(out, func(local, name, mediaType string) (string, error) {
		_, err := rc.writeOutput(ctx, name, mediaType, func(w io.Writer) error {
			f, err := os.Open(local)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		})
		return basePlaceholder + "jobs/" + rc.JobID() + "/outputs/" + name, err
	})
	if err != nil {
		return nil, err
	}
	results := map[string]outputValue{}
	for id, o := range outs {
		if o.STAC != nil {
			b, err := json.Marshal(map[string]any{"value": zooShaped(o.STAC, rc.JobID())})
			if err != nil {
				return nil, err
			}
			results[id] = outputValue{Doc: b, MediaType: "application/geo+json", Rebase: true}
			continue
		}
		b, err := json.Marshal(o.Value)
		if err != nil {
			return nil, err
		}
		results[id] = outputValue{Doc: b}
	}
	return results, nil
}

// inputSources is Options.Inputs, or by default http(s) through Options.HTTPClient's
// transport (no overall timeout: the job's context bounds a download).
func inputSources(opts Options) *transfer.Mux {
	if opts.Inputs != nil {
		return opts.Inputs
	}
	m := transfer.NewMux()
	h := httpget.New(httpget.Options{Client: &http.Client{Transport: opts.HTTPClient.Transport}, UserAgent: "geojobs"})
	m.Register("http", h)
	m.Register("https", h)
	return m
}
