package webapp

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/backend/store"
)

// restartable is the application served on one loopback port that a test can stop
// and start again on the same port, with the same data folder (as when the app is
// killed and launched again): a new token each time, and the browser session kept in
// the data folder as `geojobs serve` keeps it.
type restartable struct {
	t     *testing.T
	opts  application.Options
	addr  string // "127.0.0.1:PORT", fixed after the first start
	token string
	stack *stack
	stop  func()
}

func (r *restartable) start() {
	r.t.Helper()
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	srv, err := server.Listen(addr, "", r.opts.Logger)
	if err != nil {
		r.t.Fatalf("listening on %s: %v", addr, err)
	}
	if srv.Guard.Session, err = server.LoadSession(filepath.Join(r.opts.DataDir, server.SessionFile)); err != nil {
		r.t.Fatal(err)
	}
	if r.token == srv.Guard.Token {
		r.t.Fatal("the same token twice")
	}
	r.addr, r.token = srv.Addr().String(), srv.Guard.Token
	opts := r.opts
	opts.BaseURL, opts.Token = srv.BaseURL(), srv.Guard.Token
	app, err := build(opts)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served, ran := make(chan struct{}), make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ctx, app.Handler) }()
	go func() { defer close(ran); _ = app.Run(ctx) }()
	r.stack = &stack{t: r.t, srv: srv, app: app, base: strings.TrimSuffix(srv.BaseURL(), "/"), token: srv.Guard.Token}
	r.stop = func() {
		cancel()
		<-served
		<-ran
		_ = app.Close(context.Background())
		r.stop = func() {}
	}
}

// TestBrowserConnectionLost stops the app under an open job page: the page says the
// connection is lost (a status banner) instead of going quiet; when the app is back on
// the same port, the banner goes by itself and the page catches up with the job (dismissed
// after the restart), without a reload — although the restarted app has a new token: the browser session
// kept in the data folder signs the open tab in again (issue 14 §7).
func TestBrowserConnectionLost(t *testing.T) {
	r := &restartable{t: t, opts: application.Options{DataDir: t.TempDir(), LocalFs: afero.NewMemMapFs(), Logger: slog.New(slog.DiscardHandler)}}
	r.start()
	t.Cleanup(func() { r.stop() })
	ctx, console := browser(t)
	run := steps(ctx, t)

	// Still running when the app stops however slow the machine is: it ends only when
	// dismissed, after the restart.
	job := r.stack.submitLocal("countdown", map[string]any{"seconds": 3600, "step": 0.25})
	var hidden bool
	run("open the running job's page",
		chromedp.Navigate(r.stack.srv.LaunchURL()),
		chromedp.WaitVisible(`nav`, chromedp.ByQuery),
		chromedp.Navigate(r.stack.base+"/jobs/"+job.ID),
		chromedp.WaitVisible(`[data-testid=job-status]`, chromedp.ByQuery),
		htmxIdle(),
		chromedp.Evaluate(`window.__gjNoReload = true`, nil),
		chromedp.Evaluate(`document.getElementById("connection-lost").hidden`, &hidden),
		// The page's sockets are open before the app goes away.
		wsOpen(),
		chromedp.Evaluate(`window.__gjGlobalCloses = 0;
			document.addEventListener("htmx:wsClose", ev => { if (ev.target.id === "live-global") window.__gjGlobalCloses++; }); true`, nil),
	)
	if !hidden {
		t.Error("the connection banner shows while connected")
	}

	r.stop()
	var banner, role string
	run("the page says the connection is lost",
		chromedp.WaitVisible(`#connection-lost`, chromedp.ByQuery),
		chromedp.Text(`#connection-lost`, &banner, chromedp.ByQuery),
		chromedp.AttributeValue(`#connection-lost`, "role", &role, nil, chromedp.ByQuery),
	)
	if banner != "Connection to geojobs lost — reconnecting…" || role != "status" {
		t.Errorf("banner %q with role %q", banner, role)
	}
	var before string
	run("read the status shown while disconnected",
		chromedp.AttributeValue(`[data-testid=job-status]`, "data-status", &before, nil, chromedp.ByQuery))
	// Still down after a failed reconnect attempt: the banner stays.
	var closes int
	run("count the closes of the page-wide socket", chromedp.Evaluate(`window.__gjGlobalCloses`, &closes))
	run("the banner stays while the app is down",
		poll(fmt.Sprintf(`window.__gjGlobalCloses > %d`, closes), chromedp.WithPollingInterval(50*time.Millisecond)),
		chromedp.WaitVisible(`#connection-lost`, chromedp.ByQuery))

	r.start()
	if err := r.stack.app.Monitor.Dismiss(context.Background(), job.ID); err != nil {
		t.Fatal(err)
	}
	final := r.stack.waitJob(job.ID, store.Job.Terminal)
	if before == final.Status {
		t.Fatalf("the job was already %s before the restart: the test cannot see the page catch up", before)
	}
	var reloaded bool
	run("the banner goes and the page catches up",
		chromedp.WaitNotVisible(`#connection-lost`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=job-status][data-status=`+final.Status+`]`, chromedp.ByQuery),
		chromedp.Evaluate(`window.__gjNoReload !== true`, &reloaded),
	)
	if reloaded {
		t.Error("the page was reloaded")
	}
	console.check(t)
}
