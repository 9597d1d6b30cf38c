package webapp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// pickerEndpoint stands in for the desktop shell's POST /desktop/downloads-folder
// (app.WebviewHandler, whose package imports this one): it answers what the native
// picker would and records what the page sent.
type pickerEndpoint struct {
	mu     sync.Mutex
	status int    // 200 with answer, 204 cancelled, 500 failed
	answer string // the chosen folder
	forms  []map[string]string
}

func (p *pickerEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forms = append(p.forms, map[string]string{"save": r.PostForm.Get("save"), "start": r.PostForm.Get("start")})
	w.Header().Set("Content-Type", "application/json")
	switch p.status {
	case http.StatusNoContent:
		w.WriteHeader(http.StatusNoContent)
	case http.StatusOK:
		_ = json.NewEncoder(w).Encode(map[string]string{"path": p.answer})
	default:
		w.WriteHeader(p.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "The folder picker could not be shown."})
	}
}

func (p *pickerEndpoint) set(status int, answer string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status, p.answer = status, answer
}

func (p *pickerEndpoint) last() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.forms) == 0 {
		return nil
	}
	return p.forms[len(p.forms)-1]
}

// TestBrowserDesktopPage drives the app's pages as the desktop window renders them
// (web.DesktopShell, as app.WebviewHandler serves them): the folder field gets a
// "Choose…" button that fills it from the native picker, and the page never asks for
// the browser's notification permission.
func TestBrowserDesktopPage(t *testing.T) {
	s := start(t)
	picker := &pickerEndpoint{status: http.StatusOK, answer: "/data/picked folder"}
	mux := http.NewServeMux()
	mux.Handle("POST /desktop/downloads-folder", picker)
	// The shell's scripts (the Wails runtime and desktop.js) are the shell's to test;
	// empty ones keep the page's console clean.
	empty := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
	}
	mux.HandleFunc("GET /wails/ipc.js", empty)
	mux.HandleFunc("GET /wails/runtime.js", empty)
	mux.HandleFunc("GET /desktop/desktop.js", empty)
	mux.Handle("/", web.DesktopShell(components.Desktop{})(s.app.Handler))
	win := httptest.NewServer(mux)
	defer win.Close()

	ctx, cl := browser(t)
	run := steps(ctx, t)
	field := `#pref-downloads_dir`
	choose := field + ` + button[data-folder-choose]`
	var before, after, label string
	run("open the Settings page",
		chromedp.Navigate(win.URL+"/settings"),
		chromedp.WaitVisible(choose, chromedp.ByQuery),
		chromedp.Value(field, &before, chromedp.ByQuery),
		chromedp.AttributeValue(choose, "aria-label", &label, nil, chromedp.ByQuery),
	)
	if label != "Choose… Downloads folder" {
		t.Errorf("button label %q", label)
	}
	run("choose a folder",
		click(choose),
		poll(`document.querySelector("#pref-downloads_dir").value === "/data/picked folder"`),
	)
	if f := picker.last(); f["save"] != "0" || f["start"] != strings.TrimSpace(before) {
		t.Errorf("the page sent %v, want save=0 and start=%q", f, before)
	}

	picker.set(http.StatusNoContent, "")
	run("cancel the picker",
		click(choose),
		poll(`!document.querySelector("#pref-downloads_dir + button").disabled`),
		chromedp.Value(field, &after, chromedp.ByQuery),
	)
	if after != "/data/picked folder" {
		t.Errorf("a cancelled pick changed the field to %q", after)
	}
	if f := picker.last(); f["start"] != "/data/picked folder" {
		t.Errorf("the picker did not open at the field's folder: %v", f)
	}

	picker.set(http.StatusInternalServerError, "")
	var note string
	run("picker failure",
		click(choose),
		chromedp.WaitVisible(`.folder-note[role=alert]`, chromedp.ByQuery),
		chromedp.Text(`.folder-note`, &note, chromedp.ByQuery),
	)
	if note != "The folder picker could not be shown." {
		t.Errorf("failure note %q", note)
	}

	picker.set(http.StatusOK, "/data/saved")
	var saved string
	run("save the chosen folder with the form",
		click(choose),
		poll(`document.querySelector("#pref-downloads_dir").value === "/data/saved"`),
		click(`[data-testid=save-prefs]`),
		chromedp.WaitVisible(`[data-testid=saved]`, chromedp.ByQuery),
		// the swapped form gets its button again (htmx:load), once
		chromedp.WaitVisible(choose, chromedp.ByQuery),
		chromedp.Value(field, &saved, chromedp.ByQuery),
	)
	if saved != "/data/saved" {
		t.Errorf("saved folder %q", saved)
	}
	var buttons int
	run("count the buttons", chromedp.Evaluate(`document.querySelectorAll("button[data-folder-choose]").length`, &buttons))
	if buttons != 1 {
		t.Errorf("%d Choose buttons, want 1", buttons)
	}

	// Notifications: native in the window; the page offers no browser permission, on
	// the button that turns them on (off here) nor beside "Notifications on".
	if err := prefs.SetJobNotifications(ctx, s.app.Store, false); err != nil {
		t.Fatal(err)
	}
	var asks, offers int
	run("the jobs page",
		click(`nav a[href="/jobs"]`),
		chromedp.WaitVisible(`[data-testid=notify-on]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("[data-notify-ask]").length`, &asks),
		click(`[data-testid=notify-on]`),
		chromedp.WaitVisible(`[data-testid=notify-off]`, chromedp.ByQuery),
		// An offer would be added on the swap (app.js offerPermission, on htmx:afterSwap).
		htmxIdle(),
		chromedp.Evaluate(`document.querySelectorAll("[data-notify-permission]").length`, &offers),
	)
	if asks != 0 || offers != 0 {
		t.Errorf("desktop page asks for the browser's notification permission: %d asking buttons, %d offers", asks, offers)
	}

	// The same pages in a browser: no picker button; the permission is offered
	// (headless Chromium has not been asked: "default").
	plain := httptest.NewServer(s.app.Handler)
	defer plain.Close()
	var perm string
	run("the same pages in a browser",
		chromedp.Navigate(plain.URL+"/jobs"),
		chromedp.WaitVisible(`[data-testid=notify-off]`, chromedp.ByQuery),
		chromedp.Evaluate(`Notification.permission`, &perm),
		chromedp.Evaluate(`document.querySelectorAll("[data-notify-permission]").length`, &offers),
		chromedp.Navigate(plain.URL+"/settings"),
		chromedp.WaitVisible(field, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("button[data-folder-choose]").length`, &buttons),
	)
	if buttons != 0 {
		t.Errorf("browser page has %d Choose buttons", buttons)
	}
	if perm != "default" || offers != 1 {
		t.Errorf("browser page: permission %q, %d offers (want default, 1)", perm, offers)
	}
	cl.check(t)
}
