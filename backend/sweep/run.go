package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/atomicfile"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/retry"
	"github.com/geojobs/geojobs/backend/runner"
	"github.com/geojobs/geojobs/backend/stac"
)

// PropLine is the item property that tags a merged item with its member's line.
const PropLine = "geojobs:sweep_line"

// Options configure a command-line sweep.
type Options struct {
	// Base is the run every member starts from; its Request's inputs are overridden
	// per member, its Output is the merged ItemCollection and its Progress receives
	// every member's lines prefixed with "line N:".
	Base    runner.Options
	Members []Member
	// Parallel is how many members run at a time (≥ 1).
	Parallel int
	// MaxSubmitRetries bounds the resubmissions of a member the server refused with
	// 429 or 503 (honouring Retry-After); default 8.
	MaxSubmitRetries int
}

// Outcome is what became of one member.
type Outcome struct {
	Member Member
	Output string // the member's own ItemCollection file (kept)
	Items  int
	Err    error // nil when the job succeeded
}

// Summary is the result of Run.
type Summary struct {
	Outcomes []Outcome // in member order
	Failed   int
	Items    int // in the merged ItemCollection
}

// MembersDir is the folder next to the merged output that keeps each member's results:
// "out.json" → "out.members".
func MembersDir(output string) string {
	ext := filepath.Ext(output)
	return output[:len(output)-len(ext)] + ".members"
}

// Run runs every member with the runner, Parallel at a time, writes each member's
// results under MembersDir(Base.Output)/line-N/, and then the merged ItemCollection of
// all successful members, items tagged with PropLine. A failed member does not stop the
// others; Summary.Failed counts them. The error is only for the merged file.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if o.MaxSubmitRetries <= 0 {
		o.MaxSubmitRetries = 8
	}
	fs := o.Base.Fs
	if fs == nil {
		fs = afero.NewOsFs()
		o.Base.Fs = fs
	}
	dir := MembersDir(o.Base.Output)
	progress := &prefixed{w: o.Base.Progress}
	sum := &Summary{Outcomes: make([]Outcome, len(o.Members))}
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i, m := range o.Members {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			sum.Outcomes[i] = Outcome{Member: m, Err: ctx.Err()}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			sum.Outcomes[i] = runMember(ctx, o, m, filepath.Join(dir, fmt.Sprintf("line-%d", m.Line), "items.json"), progress)
		})
	}
	wg.Wait()
	merged := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{}}
	for i, oc := range sum.Outcomes {
		if oc.Err != nil {
			sum.Failed++
			continue
		}
		ic, err := readItems(fs, oc.Output)
		if err != nil {
			sum.Outcomes[i].Err = err
			sum.Failed++
			continue
		}
		rel, _ := filepath.Rel(filepath.Dir(o.Base.Output), filepath.Dir(oc.Output))
		for _, it := range ic.Features {
			relocate(it, filepath.ToSlash(rel))
			it.SetProperty(PropLine, oc.Member.Line)
			merged.Features = append(merged.Features, it)
		}
	}
	sum.Items = len(merged.Features)
	b, err := json.MarshalIndent(merged, "", " ")
	if err != nil {
		return sum, err
	}
	if o.Base.Output == "-" {
		_, err = o.Base.Stdout.Write(append(b, '\n'))
		return sum, err
	}
	return sum, atomicfile.Write(fs, o.Base.Output, append(b, '\n'), 0o644)
}

func runMember(ctx context.Context, o Options, m Member, output string, progress *prefixed) Outcome {
	opts := o.Base
	req := *o.Base.Request
	req.Execute.Inputs = Apply(o.Base.Request.Execute.Inputs, m)
	opts.Request = &req
	opts.Output = output
	if o.Base.Progress != nil {
		opts.Progress = progress.line(m.Line)
	}
	if err := opts.Fs.MkdirAll(filepath.Dir(output), 0o755); err != nil {
		return Outcome{Member: m, Err: err}
	}
	for attempt := 0; ; attempt++ {
		res, err := runner.Run(ctx, opts)
		if err == nil {
			return Outcome{Member: m, Output: output, Items: res.Items}
		}
		wait, again := refusedSubmit(err, attempt)
		if !again || attempt >= o.MaxSubmitRetries {
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "failed: %v\n", err)
			}
			return Outcome{Member: m, Err: err}
		}
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "the server is busy (HTTP %d); submitting again in %s\n", httpStatus(err), wait.Round(time.Second))
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return Outcome{Member: m, Err: ctx.Err()}
		}
	}
}

// refusedPolicy spaces the resubmissions of a member the server refused for now.
var refusedPolicy = retry.Policy{Base: time.Second, Max: time.Minute, MaxRetryAfter: 10 * time.Minute}

// refusedSubmit tells whether err is the server refusing the execute request for now
// (429 or 503 on the POST, so no job was created) and how long to wait: its
// Retry-After, else the shared backoff (backend/retry).
func refusedSubmit(err error, attempt int) (time.Duration, bool) {
	var ae *ogcapi.APIError
	if !errors.As(err, &ae) || ae.Method != "POST" || (ae.Status != 429 && ae.Status != 503) {
		return 0, false
	}
	return refusedPolicy.Delay(attempt+1, ae.Wait), true
}

func httpStatus(err error) int {
	var ae *ogcapi.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

func readItems(fs afero.Fs, p string) (*stac.ItemCollection, error) {
	b, err := afero.ReadFile(fs, p)
	if err != nil {
		return nil, err
	}
	var ic stac.ItemCollection
	if err := json.Unmarshal(b, &ic); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &ic, nil
}

// relocate rewrites relative hrefs (files a member wrote next to its own output) to be
// relative to the merged file.
func relocate(it *stac.Item, rel string) {
	fix := func(h string) string {
		u, err := url.Parse(h)
		if err != nil || u.IsAbs() || u.Host != "" || path.IsAbs(u.Path) || h == "" {
			return h
		}
		return path.Join(rel, h)
	}
	for k, a := range it.Assets {
		a.Href = fix(a.Href)
		it.Assets[k] = a
	}
	for i := range it.Links {
		it.Links[i].Href = fix(it.Links[i].Href)
	}
}

// prefixed writes whole lines of many members to one writer, each line prefixed with
// its member's line number.
type prefixed struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *prefixed) line(n int) io.Writer {
	return &memberWriter{p: p, prefix: fmt.Sprintf("line %d: ", n)}
}

type memberWriter struct {
	p      *prefixed
	prefix string
	buf    []byte
}

func (m *memberWriter) Write(b []byte) (int, error) {
	m.buf = append(m.buf, b...)
	for {
		i := bytes.IndexByte(m.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		m.p.mu.Lock()
		_, err := io.WriteString(m.p.w, m.prefix+string(m.buf[:i+1]))
		m.p.mu.Unlock()
		m.buf = m.buf[i+1:]
		if err != nil {
			return len(b), err
		}
	}
}
