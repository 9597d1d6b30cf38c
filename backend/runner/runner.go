// Package runner runs one process on an OGC API – Processes endpoint without a user
// interface: it submits an execute request read from a file, follows the job to its
// end and writes the results as one STAC ItemCollection file. It is the engine of
// `geojobs run` (alias ogc-api-processes-client, the EOAP tutorial client's name), the
// step geojobs plays in CWL workflows.
//
// It keeps no state: no data dir, no database. It reads the keystore only to pick
// an endpoint's credentials (EndpointKey), when the caller has one unlocked. Long-lived monitoring of
// many jobs is the jobs package's work; this package follows one job and exits.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/spf13/afero"
)

// Defaults of Options.
const (
	DefaultPollMin = 500 * time.Millisecond
	DefaultPollMax = 30 * time.Second
	// DefaultMaxOutage is how long status polling may keep failing with transient
	// errors (server restart, network blip) before the run gives up.
	DefaultMaxOutage = 5 * time.Minute
	// dismissTimeout bounds the dismiss request sent after an interrupt.
	dismissTimeout = 15 * time.Second
)

// Options configure one Run.
type Options struct {
	// Endpoint is the API's landing page URL, with or without a trailing slash.
	Endpoint string
	// ProcessID is the process to run; when empty, Request.ProcessID is used. When both
	// are given they must agree.
	ProcessID string
	Request   *Request
	// Output is the ItemCollection file to write ("-": Stdout). Inline outputs that are
	// not STAC are saved as files in the same folder (for "-", the current folder).
	Output string
	Fs     afero.Fs  // where Output is written; default the OS file system
	Stdout io.Writer // for Output "-"

	// Headers are sent with every request to the endpoint (auth); their values are
	// secrets: never logged, never in errors, never sent to other origins.
	Headers http.Header
	// Credentials authorise requests to the endpoint too (the keystore's); may be nil.
	Credentials ogcapi.Credentials

	// Mode: ogcapi.Auto (async when the process allows it), Async or Sync.
	Mode ogcapi.Mode
	// Timeout bounds the whole run (submit, follow, results); 0 means no limit.
	Timeout time.Duration
	// PollMin and PollMax bound the interval between two status requests: polling
	// starts at PollMin and slows down by half each time up to PollMax.
	PollMin, PollMax time.Duration
	// MaxOutage: see DefaultMaxOutage.
	MaxOutage time.Duration
	// DismissOnInterrupt dismisses the job when ctx is cancelled (Ctrl-C) while following it.
	DismissOnInterrupt bool

	// Progress receives one line per status change ("2026-11-21T10:00:01Z running 40%
	// step 4 of 10"); nil for none.
	Progress io.Writer
	// HTTPClient is the client for the endpoint and for STAC documents the results link
	// to; default a new http.Client.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock for status lines and made-up job times; default time.Now.
	Now func() time.Time
}

// Result says what a successful Run did.
type Result struct {
	JobID  string
	JobURL string // empty for a sync run without a job
	Async  bool
	Status string // the job's final status (successful)
	// STAC is true when the process returned STAC (its items are written); false when
	// the file holds one Item made from the job's outputs.
	STAC  bool
	Items int
}

// errTimedOut is the cause of the run context when Options.Timeout passes.
var errTimedOut = errors.New("run timed out")

// Run executes the request, follows the job and writes the ItemCollection. Every error
// is an *Error whose Status is one of the Exit* codes; cancelling ctx (Ctrl-C) gives
// ExitInterrupted.
func Run(ctx context.Context, o Options) (*Result, error) {
	r, err := newRun(o)
	if err != nil {
		return nil, err
	}
	runCtx := ctx
	if r.o.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(ctx, r.o.Timeout, errTimedOut)
		defer cancel()
	}
	res, err := r.do(runCtx)
	if err == nil {
		return res, nil
	}
	switch {
	case ctx.Err() != nil:
		return nil, r.interrupted(ctx)
	case errors.Is(context.Cause(runCtx), errTimedOut):
		return nil, r.timedOut()
	}
	var e *Error
	if errors.As(err, &e) {
		return nil, e
	}
	return nil, errorf(ExitServer, err, "")
}

// run is the state of one Run.
type run struct {
	o      Options
	pid    string
	client *ogcapi.Client
	log    *slog.Logger
	creds  ogcapi.Credentials

	// Known once the job exists.
	jobID, jobURL string
	last          *ogcapi.StatusInfo
}

func newRun(o Options) (*run, error) {
	if o.Request == nil {
		return nil, errorf(ExitUsage, nil, "no execute request")
	}
	if strings.TrimSpace(o.Endpoint) == "" {
		return nil, errorf(ExitUsage, nil, "no API endpoint (--api-endpoint)")
	}
	pid := strings.TrimSpace(o.ProcessID)
	switch {
	case pid == "" && o.Request.ProcessID == "":
		return nil, errorf(ExitUsage, nil, "no process id: give --process-id or process_id in the request file")
	case pid == "":
		pid = o.Request.ProcessID
	case o.Request.ProcessID != "" && o.Request.ProcessID != pid:
		return nil, errorf(ExitUsage, nil, "--process-id %q and the request file's process_id %q differ", truncate(pid, 80), truncate(o.Request.ProcessID, 80))
	}
	if o.Output == "" {
		return nil, errorf(ExitUsage, nil, "no output file (--output)")
	}
	if o.Fs == nil {
		o.Fs = afero.NewOsFs()
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.PollMin <= 0 {
		o.PollMin = DefaultPollMin
	}
	if o.PollMax <= 0 {
		o.PollMax = DefaultPollMax
	}
	o.PollMax = max(o.PollMax, o.PollMin)
	if o.MaxOutage <= 0 {
		o.MaxOutage = DefaultMaxOutage
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &run{o: o, pid: pid, log: o.Logger, creds: credentials(o.Headers, o.Credentials)}
	opts := []ogcapi.Option{ogcapi.WithHTTPClient(o.HTTPClient), ogcapi.WithLogger(o.Logger)}
	if r.creds != nil {
		opts = append(opts, ogcapi.WithCredentials(r.creds))
	}
	c, err := ogcapi.New(o.Endpoint, opts...)
	if err != nil {
		return nil, errorf(ExitUsage, nil, "API endpoint: %s", strings.TrimPrefix(err.Error(), "ogcapi: endpoint: "))
	}
	r.client = c
	return r, nil
}

func (r *run) do(ctx context.Context) (*Result, error) {
	proc, err := r.describe(ctx)
	if err != nil {
		return nil, err
	}
	ex, err := r.submit(ctx, proc)
	if err != nil {
		return nil, err
	}
	res := &Result{Async: ex.Async(), JobURL: ex.JobURL}
	results := ex.Results
	var final *ogcapi.StatusInfo
	if ex.Async() {
		r.jobID, r.jobURL = ex.Job.JobID, ex.JobURL
		r.printf("job %s %s", clean(r.jobID, 120), clean(r.jobURL, 300))
		final, err = r.follow(ctx, ex.Job)
		if err != nil {
			return nil, err
		}
		results, err = r.results(ctx, proc)
		if err != nil {
			return nil, err
		}
	} else {
		r.jobURL = ex.JobURL
		r.jobID = syncJobID(r.pid, ex.JobURL, r.o.Now())
		now := r.o.Now()
		final = &ogcapi.StatusInfo{JobID: r.jobID, ProcessID: r.pid, Status: ogcapi.StatusSuccessful, Finished: &now}
		r.printf("%s (sync)", ogcapi.StatusSuccessful)
	}
	res.JobID, res.Status = r.jobID, final.Status
	ic, isSTAC, err := r.collect(ctx, proc, final, results)
	if err != nil {
		return nil, err
	}
	if err := writeCollection(r.o.Fs, r.o.Output, r.o.Stdout, ic); err != nil {
		return nil, err
	}
	res.STAC, res.Items = isSTAC, len(ic.Features)
	if r.o.Output != "-" {
		r.printf("wrote %d item(s) to %s", res.Items, r.o.Output)
	}
	return res, nil
}

// describe reads the process description. An unknown process ends the run with the
// list of the ones the server has; any other failure only costs the description
// (the run goes on and lets the execute request tell).
func (r *run) describe(ctx context.Context) (*ogcapi.Process, error) {
	p, err := r.client.Process(ctx, r.pid)
	if err == nil {
		return p, nil
	}
	switch ogcapi.CodeOf(err) {
	case ogcapi.NoSuchProcess, ogcapi.NotFound:
		return nil, r.notFound(ctx)
	case ogcapi.Canceled, ogcapi.Timeout:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	r.log.Warn("could not read the process description; submitting anyway", "process", r.pid, "err", err)
	return nil, nil
}

// notFound builds the "process X not found" error with a few of the processes the
// endpoint offers.
func (r *run) notFound(ctx context.Context) error {
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	list, err := r.client.Processes(lctx)
	ep := r.client.Endpoint()
	if err != nil {
		return errorf(ExitUsage, nil, "process %q not found on %s (the process list could not be read either: %v; is the endpoint URL right?)",
			truncate(r.pid, 80), ep, ogcapi.CodeOf(err))
	}
	if len(list) == 0 {
		return errorf(ExitUsage, nil, "process %q not found on %s, which offers no processes", truncate(r.pid, 80), ep)
	}
	ids := make([]string, len(list))
	for i, p := range list {
		ids[i] = clean(p.ID, 60)
	}
	const shown = 10
	more := ""
	if len(ids) > shown {
		more = fmt.Sprintf(", … (%d in all)", len(ids))
		ids = ids[:shown]
	}
	return errorf(ExitUsage, nil, "process %q not found on %s; available: %s%s", truncate(r.pid, 80), ep, strings.Join(ids, ", "), more)
}

// submit sends the execute request. Without a description it still asks for async
// execution (Prefer: respond-async) unless Sync was chosen: the server decides anyway.
func (r *run) submit(ctx context.Context, proc *ogcapi.Process) (*ogcapi.Execution, error) {
	opt := ogcapi.ExecOptions{Mode: r.o.Mode, Process: proc}
	if proc == nil && r.o.Mode != ogcapi.Sync {
		// A description without jobControlOptions allows both modes, so Execute
		// neither fetches it again nor refuses async.
		opt.Process = &ogcapi.Process{ProcessSummary: ogcapi.ProcessSummary{ID: r.pid}}
	}
	if proc != nil && r.o.Mode == ogcapi.Sync && !proc.Allows(ogcapi.SyncExecute) {
		return nil, errorf(ExitUsage, nil, "process %q runs only asynchronously (jobControlOptions %s); drop --sync", truncate(r.pid, 80), strings.Join(proc.JobControlOptions, ", "))
	}
	req := r.o.Request.Execute
	// The form's checks — inputs against the description's schemas and occurrences,
	// areas (bbox order and ranges, geometry validity): a request that is certainly
	// wrong is refused here, with the input and the reason, before anything is sent.
	// Without a description there is nothing to check against.
	var probs forms.Problems
	if proc != nil {
		probs = forms.Validate(proc, &req)
	}
	areaProbs, notes := forms.CheckAreas(proc, &req)
	probs = append(probs, areaProbs...)
	if len(probs) > 0 {
		return nil, errorf(ExitUsage, nil, "inputs refused before sending: %s", probs.Error())
	}
	notes = append(notes, forms.EncodingNotes(proc, &req)...)
	for _, n := range notes {
		r.printf("note: %s", n)
	}
	ex, err := r.client.Execute(ctx, r.pid, &req, opt)
	if err != nil {
		switch ogcapi.CodeOf(err) {
		case ogcapi.NoSuchProcess:
			return nil, r.notFound(ctx)
		case ogcapi.InvalidInput, ogcapi.UnsupportedMedia:
			return nil, errorf(ExitUsage, err, "the server rejected the execute request")
		}
		return nil, errorf(serverStatus(err), err, "execute %s on %s", truncate(r.pid, 80), r.client.Endpoint())
	}
	return ex, nil
}

// syncJobID names a sync run: the job the server created for it if it said so,
// else the process id and the time.
func syncJobID(pid, jobURL string, now time.Time) string {
	if jobURL != "" {
		p := strings.TrimRight(jobURL, "/")
		if i := strings.LastIndexByte(p, '/'); i >= 0 && i < len(p)-1 {
			return p[i+1:]
		}
	}
	return pid + "-" + now.UTC().Format("20060102T150405Z")
}

// printf writes a status line: the time, then the text.
func (r *run) printf(format string, args ...any) {
	if r.o.Progress == nil {
		return
	}
	fmt.Fprintf(r.o.Progress, "%s %s\n", r.o.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

// interrupted ends a run whose context was cancelled, dismissing the job if asked.
func (r *run) interrupted(ctx context.Context) error {
	if r.jobID == "" {
		return errorf(ExitInterrupted, nil, "interrupted before the job was created")
	}
	where := r.jobRef()
	if !r.o.DismissOnInterrupt {
		return errorf(ExitInterrupted, nil, "interrupted; job %s goes on running on the server (%s)", clean(r.jobID, 120), where)
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dismissTimeout)
	defer cancel()
	if _, err := r.client.Dismiss(dctx, r.dismissTarget()); err != nil {
		return errorf(ExitInterrupted, err, "interrupted; dismissing job %s failed", clean(r.jobID, 120))
	}
	r.printf("%s", ogcapi.StatusDismissed)
	return errorf(ExitInterrupted, nil, "interrupted; job %s dismissed", clean(r.jobID, 120))
}

func (r *run) timedOut() error {
	if r.jobID == "" {
		return errorf(ExitTimeout, nil, "timed out after %s before the job was created", r.o.Timeout)
	}
	state := ""
	if r.last != nil {
		state = " (last status " + statusText(r.last) + ")"
	}
	return errorf(ExitTimeout, nil, "timed out after %s following job %s%s; it may go on running on the server (%s)",
		r.o.Timeout, clean(r.jobID, 120), state, r.jobRef())
}

func (r *run) jobRef() string {
	if r.jobURL != "" {
		return clean(r.jobURL, 300)
	}
	return r.client.Endpoint() + "jobs/" + clean(r.jobID, 120)
}

func (r *run) dismissTarget() string {
	if r.jobURL != "" {
		return r.jobURL
	}
	return r.jobID
}
