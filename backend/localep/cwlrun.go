package localep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/geojobs/geojobs/backend/cwlexec"
	"github.com/geojobs/geojobs/backend/localep/cwl"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
	"github.com/spf13/afero"
)

// Settings of the runs of deployed packages (Options.CWL).
const (
	KeepFailed = "failed" // keep the working folders of failed runs (the default)
	KeepAll    = "all"
	KeepNone   = "none"
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

// cwlRuns runs deployed packages.
type cwlRuns struct {
	runner cwlexec.Runner
	dir    string
	keep   string
	sem    chan struct{}
}

func newCWLRuns(opts Options) (*cwlRuns, error) {
	o := opts.CWL
	containers, err := cwlexec.ParseContainers(o.Containers)
	if err != nil {
		return nil, fmt.Errorf("localep: %w", err)
	}
	dir := o.WorkDir
	if dir == "" {
		if _, osfs := opts.Fs.(*afero.OsFs); osfs {
			dir = filepath.Join(opts.DataDir, "cwl-runs")
		} else {
			dir = filepath.Join(os.TempDir(), "geojobs-cwl-runs")
		}
	}
	switch o.Keep {
	case "":
		o.Keep = KeepFailed
	case KeepFailed, KeepAll, KeepNone:
	default:
		return nil, fmt.Errorf("localep: CWL.Keep must be %q, %q or %q, got %q", KeepFailed, KeepAll, KeepNone, o.Keep)
	}
	if o.MaxRuns <= 0 {
		o.MaxRuns = 2
	}
	return &cwlRuns{
		runner: cwlexec.Runner{Cwltool: o.Cwltool, Containers: containers},
		dir:    dir, keep: o.Keep, sem: make(chan struct{}, o.MaxRuns),
	}, nil
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
	if err := runs.runner.Check(); err != nil {
		rc.Logf("%v", err)
		return nil, err
	}
	choice, err := runs.runner.Choose(doc.HasDockerRequirement())
	if err != nil {
		rc.Logf("%v", err)
		return nil, err
	}
	rc.Logf("containers: cwltool %s, because %s", choice.Flag, choice.Reason)
	rc.Progress(0, fmt.Sprintf("waiting to run (cwltool %s: %s)", choice.Flag, choice.Reason))
	select {
	case runs.sem <- struct{}{}:
		defer func() { <-runs.sem }()
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	dir := filepath.Join(runs.dir, rc.JobID())
	defer func() {
		if runs.keep == KeepAll || runs.keep == KeepFailed && err != nil {
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
	out, err := runs.runner.Run(ctx, cwlexec.Job{
		Dir: dir, Package: pkg.CWL, Target: target, Order: order, Choice: choice, Steps: doc.StepCount(),
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
			b, err := json.Marshal(map[string]any{"value": o.STAC})
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
