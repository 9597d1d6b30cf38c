// Package webapp is geojobs' web front: the application (backend/application) served
// over HTTP as one handler, to run behind backend/server's Guard. Every route is
// registered in one place (routes.go); the hub (GET /ws) pushes the live updates that
// the application's event feeds carry, rendered by the pages (live.go).
//
// It holds no services of its own and makes no outbound calls: `geojobs serve`, the
// desktop shell and the browser tests build the application with application.New and
// hand it to New.
package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/events"
	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/frontend/pages/batchespage"
	"github.com/geojobs/geojobs/frontend/pages/jobspage"
	"github.com/geojobs/geojobs/frontend/pages/resultspage"
)

// Options configure New; all are optional.
type Options struct {
	// OriginAllowed checks a WebSocket handshake's Origin (the server's
	// Guard.OriginAllowed); default: a Guard for the application's BaseURL's port.
	OriginAllowed func(*http.Request) bool
	// OpenURL opens a page in the system browser (the desktop shell's: an oidc
	// sign-in from its window happens there). Nil in browser mode.
	OpenURL func(url string) error
	// Topics are live topics the caller serves itself (the desktop shell's
	// "desktop": its messages to the window's page), by name.
	Topics map[string]Topic
	Logger *slog.Logger
}

// Topic is a live topic served by the caller: it publishes on UI.Hub itself.
type Topic struct {
	// Snapshot is the topic's state for a page that subscribes (or reconnects).
	Snapshot func(ctx context.Context) ([]hub.Message, error)
	// Receive takes what a subscribed page sends on the topic; optional.
	Receive func(ctx context.Context, data json.RawMessage)
}

// UI is the application's web front.
type UI struct {
	// Handler serves the pages, the built-in endpoint (under application.LocalPrefix)
	// and the live connection (GET /ws).
	Handler http.Handler
	// Hub pushes live updates to the pages.
	Hub *hub.Hub

	app     *application.App
	live    *jobspage.Live
	results *resultspage.Handler
	batches *batchespage.Handler
	openURL func(url string) error
	topics  map[string]Topic
	log     *slog.Logger
	// The application's events, subscribed to when the UI is made so that none is
	// missed before Run.
	jobChanges *events.Queue[jobs.Change]
	endings    *events.Queue[application.Notification]
	downloads  *events.Queue[results.JobProgress]
	exports    *events.Queue[export.Progress]
}

// New builds the web front of a; call Run to push live updates.
func New(a *application.App, opts Options) (*UI, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	check := opts.OriginAllowed
	if check == nil {
		u, err := url.Parse(a.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("webapp: base URL: %w", err)
		}
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			return nil, fmt.Errorf("webapp: base URL %s has no port", a.BaseURL)
		}
		check = (&server.Guard{Port: port}).OriginAllowed
	}
	u := &UI{app: a, log: log, openURL: opts.OpenURL, topics: opts.Topics,
		jobChanges: a.JobChanges(), endings: a.Endings(), downloads: a.DownloadProgress(), exports: a.ExportProgress()}
	var err error
	if u.Hub, err = hub.New(hub.Config{CheckOrigin: check, Snapshot: u.snapshot, Receive: u.receive, Logger: log.With("component", "hub")}); err != nil {
		return nil, err
	}
	u.live = jobspage.NewLive(a.Store, u.Hub, log.With("component", "live"))
	u.Handler = u.routes(log)
	return u, nil
}
