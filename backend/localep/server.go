// Package localep is geojobs' built-in OGC API – Processes server (Part 1 Core 1.0 with
// the job-list and dismiss classes, and Part 2 deploy/replace/undeploy for CWL
// application packages). It is the endpoint a new user runs everything against
// offline, and the peer the project's tests talk to.
//
// It also serves a STAC API of synthetic scenes at /stac/ (package synthstac).
//
// It offers the processes echo, countdown, fail, synthetic-scene (a GeoTIFF, a PNG
// thumbnail and a STAC ItemCollection of them) and water-bodies. Deployed CWL
// packages are described, stored and run with cwltool (package cwlexec; see
// CWLOptions), their File and Directory outputs returned as STAC.
//
// State lives under Options.DataDir in Options.Fs (see store for the layout) and
// survives a restart. Output files are written through the same Fs: production must
// pass afero.NewOsFs(), because synthetic-scene outputs reach several GiB and a
// MemMapFs would hold them in memory; tests use a MemMapFs with small sizes.
//
// The handler builds absolute links from the request (scheme, Host) and
// Options.BasePath, the prefix under which it is mounted (it is used behind
// http.StripPrefix(BasePath, …)). X-Forwarded-* headers are ignored.
package localep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"runtime"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/synthstac"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/spf13/afero"
)

// Options configures a Server.
type Options struct {
	DataDir string   // state lives under DataDir (jobs, outputs, deployed packages); required
	Fs      afero.Fs // file access for state; default afero.NewOsFs() (see the package doc)
	Logger  *slog.Logger
	Title   string // landing page title, default "geojobs local endpoint"
	// MaxConcurrent is the number of jobs of built-in processes running at once,
	// default max(2, NumCPU); deployed packages have a limit of their own
	// (CWLOptions.MaxRuns).
	MaxConcurrent int
	// BasePath is the path prefix under which Handler is mounted ("/local"); links are
	// built with it. Empty when mounted at the root.
	BasePath string
	// HTTPClient fetches the CWL that an application/ogcapppkg+json package links to;
	// default a client with a 30 s timeout.
	HTTPClient *http.Client
	// MaxPackageBytes caps a deployed package and a fetched CWL; default 4 MiB.
	MaxPackageBytes int64
	// CWL configures the runs of deployed packages with cwltool.
	CWL CWLOptions
	// Inputs reads the File and Directory inputs of deployed packages given by
	// reference (see cwlexec.Transfer): the app passes its download drivers, with the
	// keystore's keys (http(s), s3://, dav://, davs://). Default: http(s) through
	// HTTPClient's transport.
	Inputs *transfer.Mux
}

// Server is the local endpoint. Create it with New; it is safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	st       *store
	title    string
	basePath string
	client   *http.Client
	maxPkg   int64

	stac   *synthstac.API // the STAC API of synthetic scenes at /stac/
	cwl    *cwlRuns       // runs deployed packages
	inputs *transfer.Mux  // reads package inputs given by reference

	ctx    context.Context // cancelled with errShutdown by Close
	cancel context.CancelCauseFunc
	sem    chan struct{}
	wg     sync.WaitGroup

	mu        sync.RWMutex
	jobs      map[string]*job
	processes map[string]*process
	closed    bool
}

// New creates the server, loads deployed packages and persisted jobs, and resumes or
// fails the jobs that were accepted or running when geojobs last stopped: accepted
// asynchronous jobs start again, running ones of a resumable process (countdown)
// continue from their checkpoint, the others are marked failed with msgInterrupted.
func New(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("localep: Options.DataDir is required")
	}
	if opts.Fs == nil {
		opts.Fs = afero.NewOsFs()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Title == "" {
		opts.Title = "geojobs local endpoint"
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = max(2, runtime.NumCPU())
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.MaxPackageBytes <= 0 {
		opts.MaxPackageBytes = 4 << 20
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		st:        &store{fs: opts.Fs, dir: path.Clean(opts.DataDir)},
		title:     opts.Title,
		basePath:  cleanBasePath(opts.BasePath),
		client:    opts.HTTPClient,
		maxPkg:    opts.MaxPackageBytes,
		sem:       make(chan struct{}, opts.MaxConcurrent),
		jobs:      map[string]*job{},
		processes: map[string]*process{},
	}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	s.inputs = inputSources(opts)
	s.stac = synthstac.New(func(r *http.Request) string { return s.baseURL(r) + "/stac" })
	var err error
	if s.cwl, err = newCWLRuns(opts); err != nil {
		return nil, err
	}
	for _, p := range builtins() {
		p, err := prepare(p)
		if err != nil {
			return nil, fmt.Errorf("localep: built-in %w", err)
		}
		s.processes[p.desc.ID] = p
	}
	for _, dir := range []string{"jobs", "processes"} {
		if err := s.st.fs.MkdirAll(s.st.path(dir), 0o755); err != nil {
			return nil, fmt.Errorf("localep: create data directory: %w", err)
		}
	}
	if err := s.loadPackages(); err != nil {
		return nil, err
	}
	if err := s.loadJobs(); err != nil {
		return nil, err
	}
	return s, nil
}

// loadJobs reads jobs/*/job.json and restarts or fails unfinished jobs.
func (s *Server) loadJobs() error {
	entries, err := afero.ReadDir(s.st.fs, s.st.path("jobs"))
	if err != nil {
		return fmt.Errorf("localep: read jobs: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		j := &job{id: e.Name()}
		if err := s.st.readJSON(s.st.jobRecordPath(j.id), &j.rec); err != nil {
			s.log.Warn("local endpoint: skipping unreadable job", "job", j.id, "err", err)
			continue
		}
		if j.rec.Status.JobID != j.id {
			s.log.Warn("local endpoint: skipping job whose record names another id", "job", j.id)
			continue
		}
		s.jobs[j.id] = j
		if ogcapi.Terminal(j.rec.Status.Status) {
			continue
		}
		p := s.processes[j.rec.Status.ProcessID]
		if !j.rec.Sync && j.rec.Status.Status == ogcapi.StatusAccepted && p != nil {
			// queued: started again below, nothing of it ran
		} else if p == nil || !p.resumable {
			s.cwl.cutOff(j.id, s.log) // a package run this geojobs did not stop: stop it now
		}
		switch {
		case p == nil:
			s.failNow(j, newProblem(http.StatusInternalServerError, excJobFailed, "Job failed", "%s (its process %q no longer exists)", msgInterrupted, j.rec.Status.ProcessID))
		case j.rec.Sync:
			s.failNow(j, newProblem(http.StatusInternalServerError, excJobFailed, "Job failed", msgInterrupted))
		case j.rec.Status.Status == ogcapi.StatusAccepted:
			s.log.Info("local endpoint: starting a job queued before the restart", "job", j.id)
			s.launch(s.ctx, j, p)
		case p.resumable:
			s.log.Info("local endpoint: resuming a job", "job", j.id, "process", p.desc.ID)
			s.update(j, func(r *jobRecord) {
				r.Status.Status = ogcapi.StatusAccepted
				r.Status.Message = "resuming after a restart of geojobs"
			})
			s.launch(s.ctx, j, p)
		default:
			s.failNow(j, newProblem(http.StatusInternalServerError, excJobFailed, "Job failed", msgInterrupted))
		}
	}
	return nil
}

// Close stops running jobs (they are resumed or failed by the next New on the same
// DataDir), waits for them to save their state, and refuses new executions. It
// returns ctx's error if the jobs do not stop in time.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel(errShutdown)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("localep: jobs did not stop in time: %w", ctx.Err())
	}
}

// Handler returns the HTTP handler of the endpoint.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handle(s.landing))
	mux.HandleFunc("GET /api", s.handle(s.apiDoc))
	mux.HandleFunc("GET /conformance", s.handle(s.conformance))
	mux.HandleFunc("GET /processes", s.handle(s.listProcesses))
	mux.HandleFunc("POST /processes", s.handle(s.deploy))
	mux.HandleFunc("GET /processes/{id}", s.handle(s.describeProcess))
	mux.HandleFunc("PUT /processes/{id}", s.handle(s.replace))
	mux.HandleFunc("DELETE /processes/{id}", s.handle(s.undeploy))
	mux.HandleFunc("GET /processes/{id}/package", s.handle(s.getPackage))
	mux.HandleFunc("POST /processes/{id}/execution", s.handle(s.execute))
	mux.HandleFunc("GET /jobs", s.handle(s.listJobs))
	mux.HandleFunc("GET /jobs/{id}", s.handle(s.getJob))
	mux.HandleFunc("DELETE /jobs/{id}", s.handle(s.dismiss))
	mux.HandleFunc("GET /jobs/{id}/results", s.handle(s.getResults))
	mux.HandleFunc("GET /jobs/{id}/results/{output}", s.handle(s.getResult))
	mux.HandleFunc("GET /jobs/{id}/log", s.handle(s.getLog))
	mux.HandleFunc("GET /jobs/{id}/outputs/{name}", s.handle(s.getOutput))
	mux.Handle("/stac/", http.StripPrefix("/stac", s.stac.Handler()))
	// Middleware chain, outermost first: security headers on every answer.
	return securityHeaders(mux)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) error {
	base := s.baseURL(r)
	return writeJSON(w, http.StatusOK, ogcapi.LandingPage{
		Title:       s.title,
		Description: "geojobs' built-in OGC API – Processes server: demo processes that run on this computer, and a place to deploy CWL application packages.",
		Links: ogcapi.Links{
			{Href: base + "/", Rel: "self", Type: "application/json", Title: "This document"},
			{Href: base + "/api", Rel: "service-desc", Type: "application/vnd.oai.openapi+json;version=3.0", Title: "The API definition"},
			{Href: base + "/conformance", Rel: ogcapi.RelConformance, Type: "application/json", Title: "Conformance classes"},
			{Href: base + "/processes", Rel: ogcapi.RelProcesses, Type: "application/json", Title: "Processes"},
			{Href: base + "/jobs", Rel: ogcapi.RelJobList, Type: "application/json", Title: "Jobs"},
			{Href: base + "/stac/", Rel: "data", Type: "application/json", Title: "STAC API of synthetic scenes (collection synthetic-s2)"},
		},
	})
}

// conformanceClasses are the classes the endpoint implements.
var conformanceClasses = []string{
	ogcapi.ConfCore, ogcapi.ConfProcessDescription, ogcapi.ConfJSON,
	ogcapi.ConfJobList, ogcapi.ConfDismiss,
	ogcapi.ConfDRU, ogcapi.ConfOGCAppPkg, ogcapi.ConfCWL,
}

func (s *Server) conformance(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, ogcapi.ConfClasses{ConformsTo: conformanceClasses})
}

// lookupProcess returns the process id or a 404 no-such-process problem.
func (s *Server) lookupProcess(id string) (*process, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p, ok := s.processes[id]; ok {
		return p, nil
	}
	return nil, noSuchProcess(id)
}

func (s *Server) lookupJob(id string) (*job, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if j, ok := s.jobs[id]; ok {
		return j, nil
	}
	return nil, noSuchJob(id)
}

func (s *Server) describeProcess(w http.ResponseWriter, r *http.Request) error {
	p, err := s.lookupProcess(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.description(r, p))
}
