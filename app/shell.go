//go:build desktop || dev || bindings

package app

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/events"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/webapp"
)

//go:embed icon.png
var iconPNG []byte

// Options configure Run.
type Options struct {
	DataDir string
	Version string
	// LogFile is opened by Help → Open log.
	LogFile string
	Logger  *slog.Logger
	// App configures the application (application.New) as the browser mode does; Run
	// fills in BaseURL and Token (the loopback server's). The web front gets the
	// loopback Guard's OriginAllowed (which trusts the webview's origins) and the
	// desktop's native notifications.
	App application.Options
}

// Run opens the desktop window and returns when it is closed, after stopping the job
// monitor and the built-in endpoint (their jobs resume on the next launch).
func Run(o Options) error {
	if generatingBindings {
		return wails.Run(&options.App{Title: "geojobs"})
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	sh := &shell{o: o, log: log}
	return sh.run()
}

type shell struct {
	o   Options
	log *slog.Logger

	ctx   context.Context // Wails' context, set in OnStartup
	mu    sync.Mutex
	state State

	push     *Channel
	app      *application.App
	web      *webapp.UI
	stop     context.CancelFunc
	bgDone   sync.WaitGroup
	shutOnce sync.Once
}

func (s *shell) run() error {
	st, err := LoadState(s.o.DataDir)
	if err != nil {
		s.log.Warn("window state", "err", err)
	}
	s.state = st

	lb, err := ListenLoopback(filepath.Join(s.o.DataDir, server.PortFile), s.log.With("component", "loopback"))
	if err != nil {
		return err
	}
	// geojobs' own CLI reaches this app with its token read from the data folder
	// (0600), as in browser mode; the file goes when the window closes.
	removeCreds, err := server.WriteCredentials(s.o.DataDir, lb.Credentials())
	if err != nil {
		return err
	}
	defer removeCreds()
	ao := s.o.App
	ao.BaseURL, ao.Token = lb.BaseURL(), lb.Guard.Token
	if s.app, err = application.New(ao); err != nil {
		return err
	}
	// The shell's messages to the window (zoom, self-test) go over the web front's hub,
	// on the desktop topic.
	s.push = &Channel{Zoom: s.zoomFactor}
	var selftest *SelfTest
	if p := os.Getenv(SelfTestEnv); p != "" {
		selftest = &SelfTest{ResultPath: p, Push: s.push, Hold: 6 * time.Second, Logger: s.log.With("component", "selftest"),
			Submit: s.submitCountdown, Quit: func() { runtime.Quit(s.ctx) }}
		s.push.OnMessage = selftest.OnMessage
	}
	if s.web, err = webapp.New(s.app, webapp.Options{OriginAllowed: lb.Guard.OriginAllowed, OpenURL: s.openURL,
		Topics: map[string]webapp.Topic{DesktopTopic: {Snapshot: s.push.Snapshot, Receive: s.push.Receive}}, Logger: s.log}); err != nil {
		_ = s.app.Close(context.Background())
		return err
	}
	s.push.Hub = s.web.Hub
	bg, stop := context.WithCancel(context.Background())
	s.stop = stop
	endings := s.app.Endings() // subscribed before the monitor runs: no ending is missed
	s.goBG(func() { s.notifyEndings(bg, endings) })

	s.goBG(func() {
		if err := lb.Serve(bg, s.web.Handler); err != nil {
			s.log.Error("loopback server stopped", "err", err)
		}
	})
	s.goBG(func() {
		if err := s.app.Run(bg); err != nil {
			s.log.Error("job monitor stopped", "err", err)
		}
	})

	s.goBG(func() { _ = s.web.Run(bg) })

	handler := WebviewHandler(WebviewOptions{App: s.web.Handler, PushURL: lb.WebSocketURL(DesktopPath),
		ConnectSrc: []string{"ws://127.0.0.1:" + fmt.Sprint(lb.Port())}, Native: s, Settings: s,
		SelfTest: selftest != nil, Logger: s.log.With("component", "webview")})

	// GTK runs on this goroutine's thread (wails locks it too); WebKit's default context
	// is set up there before the window exists.
	goruntime.LockOSThread()
	leanWebKit()
	s.log.Info("desktop window opening", "version", s.o.Version, "data_dir", s.o.DataDir, "loopback", lb.BaseURL())
	err = wails.Run(&options.App{
		Title:            "geojobs",
		Width:            st.Width,
		Height:           st.Height,
		MinWidth:         MinWidth,
		MinHeight:        MinHeight,
		WindowStartState: map[bool]options.WindowStartState{true: options.Maximised, false: options.Normal}[st.Maximised],
		BackgroundColour: &options.RGBA{R: 246, G: 248, B: 250, A: 255},
		AssetServer:      &assetserver.Options{Handler: handler},
		Menu:             s.menu(),
		OnStartup: func(ctx context.Context) {
			s.startup(ctx)
			if selftest != nil {
				// It waits for the page to connect, so it need not wait for OnDomReady.
				go selftest.Run(context.Background())
			}
		},
		OnDomReady:    func(context.Context) { s.log.Debug("page loaded", goMemory()...) },
		OnBeforeClose: func(ctx context.Context) bool { s.saveGeometry(); return false },
		OnShutdown:    func(ctx context.Context) { s.shutdown() },
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               instanceID(s.o.DataDir),
			OnSecondInstanceLaunch: s.secondInstance,
		},
		Linux:   &linux.Options{Icon: iconPNG, ProgramName: "geojobs", WebviewGpuPolicy: webviewGpuPolicy},
		Windows: &windows.Options{},
		Mac: &mac.Options{About: &mac.AboutInfo{Title: "geojobs " + s.o.Version,
			Message: "Run processing on OGC API – Processes servers.", Icon: iconPNG}},
	})
	s.shutdown() // when wails.Run failed before OnShutdown
	return err
}

func (s *shell) goBG(f func()) {
	s.bgDone.Add(1)
	go func() { defer s.bgDone.Done(); f() }()
}

// shutdown stops the monitor, the web front (and its hub) and the loopback server,
// then closes the app (the built-in endpoint's running jobs and downloads resume on
// the next launch).
func (s *shell) shutdown() {
	s.shutOnce.Do(func() {
		if s.ctx != nil {
			runtime.CleanupNotifications(s.ctx)
		}
		s.stop()
		s.bgDone.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := s.app.Close(ctx); err != nil {
			s.log.Warn("closing", "err", err)
		}
		s.log.Info("desktop window closed")
	})
}

func (s *shell) startup(ctx context.Context) {
	s.ctx = ctx
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	if st.Placed && !st.Maximised {
		runtime.WindowSetPosition(ctx, st.X, st.Y)
	} else if !st.Placed {
		runtime.WindowCenter(ctx)
	}
	if err := runtime.InitializeNotifications(ctx); err != nil {
		s.log.Info("desktop notifications unavailable", "err", err)
	}
}

func (s *shell) secondInstance(d options.SecondInstanceData) {
	if s.ctx == nil {
		return
	}
	s.log.Info("second launch: focusing the running window") // its arguments are not logged: they may hold anything
	runtime.WindowUnminimise(s.ctx)
	runtime.Show(s.ctx)
	runtime.WindowShow(s.ctx)
}

// saveGeometry remembers the window's size and position (not while maximised or
// fullscreen, which would make the restored window huge).
func (s *shell) saveGeometry() {
	if s.ctx == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Maximised = runtime.WindowIsMaximised(s.ctx)
	if runtime.WindowIsNormal(s.ctx) {
		s.state.Width, s.state.Height = runtime.WindowGetSize(s.ctx)
		s.state.X, s.state.Y = runtime.WindowGetPosition(s.ctx)
		s.state.Placed = true
	}
	if err := SaveState(s.o.DataDir, s.state); err != nil {
		s.log.Warn("window state", "err", err)
	}
}

func (s *shell) updateState(f func(*State)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.state)
	s.state = s.state.Normalized()
	return SaveState(s.o.DataDir, s.state)
}

// DownloadsDir is the downloads folder of the preferences (the Settings page's).
func (s *shell) DownloadsDir(ctx context.Context) string {
	return prefs.Load(ctx, s.app.Store).DownloadsDir
}

// SetDownloadsDir saves a folder chosen with the native picker to the preferences.
func (s *shell) SetDownloadsDir(ctx context.Context, dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("downloads folder %q is not an absolute path", dir)
	}
	return s.app.Store.SetSetting(ctx, prefs.KeyDownloadsDir, dir)
}

// PickFolder implements Native with the native folder picker.
func (s *shell) PickFolder(_ context.Context, title, start string) (string, error) {
	if s.ctx == nil {
		return "", errors.New("the window is not ready")
	}
	return runtime.OpenDirectoryDialog(s.ctx, runtime.OpenDialogOptions{Title: title, DefaultDirectory: nearestDir(start), CanCreateDirectories: true})
}

// notifyEndings shows a native notification for every job that ends (the
// application's Endings: none while the notifications setting is off) until ctx ends.
func (s *shell) notifyEndings(ctx context.Context, q *events.Queue[application.Notification]) {
	defer q.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.Ready():
			for _, n := range q.Take() {
				_ = s.Notify(ctx, n)
			}
		}
	}
}

// Notify shows n with the desktop's notifications (D-Bus
// org.freedesktop.Notifications on Linux, the notification center on macOS, toast
// notifications on Windows).
func (s *shell) Notify(_ context.Context, n application.Notification) error {
	if s.ctx == nil {
		return errors.New("the window is not ready")
	}
	err := runtime.SendNotification(s.ctx, runtime.NotificationOptions{ID: "job-" + n.JobID, Title: n.Title, Body: n.Body})
	if err != nil {
		// No notification daemon (or no permission on macOS): the job list shows it anyway.
		s.log.Debug("desktop notification not shown", "err", err)
	}
	return err
}

// zoomFactor is the window's zoom.
func (s *shell) zoomFactor() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Zoom
}

func (s *shell) zoom(steps int) {
	var z float64
	_ = s.updateState(func(st *State) { st.Zoom = StepZoom(st.Zoom, steps); z = st.Zoom })
	s.log.Debug("zoom", "zoom", z)
	s.push.Publish(zoomMessage(z))
}

// submitCountdown starts the self-test's job on the built-in endpoint.
func (s *shell) submitCountdown(ctx context.Context) (string, error) {
	j, err := s.app.Monitor.Submit(ctx, jobs.Submission{EndpointID: store.LocalEndpoint, ProcessID: "countdown",
		Request: &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage("8"), "step": json.RawMessage("1")}}})
	return j.ID, err
}

func (s *shell) menu() *menu.Menu {
	m := menu.NewMenu()
	if goruntime.GOOS == "darwin" {
		m.Append(menu.AppMenu())
	}
	file := m.AddSubmenu("File")
	file.AddText("Import execute request…", keys.CmdOrCtrl("i"), func(*menu.CallbackData) { s.importRequest() })
	file.AddText("Open downloads folder", nil, func(*menu.CallbackData) {
		d := s.DownloadsDir(context.Background())
		if err := os.MkdirAll(d, 0o755); err != nil {
			s.message("Cannot open the downloads folder", err.Error())
			return
		}
		s.open(d)
	})
	file.AddSeparator()
	file.AddText("Quit", keys.CmdOrCtrl("q"), func(*menu.CallbackData) { runtime.Quit(s.ctx) })

	if goruntime.GOOS == "darwin" {
		m.Append(menu.EditMenu())
	} else {
		// Edit roles are macOS-only in Wails v2; elsewhere the webview handles the
		// usual shortcuts itself, and these items act on the focused field.
		edit := m.AddSubmenu("Edit")
		for _, it := range []struct{ label, cmd string }{
			{"Undo", "undo"}, {"Redo", "redo"}, {"", ""}, {"Cut", "cut"}, {"Copy", "copy"}, {"Paste", "paste"},
			{"", ""}, {"Select all", "selectAll"},
		} {
			if it.label == "" {
				edit.AddSeparator()
				continue
			}
			js := `document.execCommand("` + it.cmd + `")`
			edit.AddText(it.label, nil, func(*menu.CallbackData) { runtime.WindowExecJS(s.ctx, js) })
		}
	}

	view := m.AddSubmenu("View")
	view.AddText("Reload", keys.CmdOrCtrl("r"), func(*menu.CallbackData) { runtime.WindowReload(s.ctx) })
	view.AddSeparator()
	view.AddText("Zoom in", keys.CmdOrCtrl("="), func(*menu.CallbackData) { s.zoom(1) })
	view.AddText("Zoom out", keys.CmdOrCtrl("-"), func(*menu.CallbackData) { s.zoom(-1) })
	view.AddText("Actual size", keys.CmdOrCtrl("0"), func(*menu.CallbackData) { s.zoom(0) })

	help := m.AddSubmenu("Help")
	help.AddText("About geojobs", nil, func(*menu.CallbackData) {
		s.message("About geojobs", "geojobs "+s.o.Version+"\n\nRun processing on OGC API – Processes servers.\nData folder: "+s.o.DataDir)
	})
	help.AddText("Open data folder", nil, func(*menu.CallbackData) { s.open(s.o.DataDir) })
	help.AddText("Open log", nil, func(*menu.CallbackData) {
		if _, err := os.Stat(s.o.LogFile); err != nil {
			s.message("No log yet", "The log file "+s.o.LogFile+" does not exist yet.")
			return
		}
		s.open(s.o.LogFile)
	})
	return m
}

// importRequest reads an execute request file and hands it to the execution form on
// screen (the form's own import does the parsing and checks).
func (s *shell) importRequest() {
	path, err := runtime.OpenFileDialog(s.ctx, runtime.OpenDialogOptions{Title: "Import execute request",
		Filters: []runtime.FileFilter{{DisplayName: "Execute request (*.json)", Pattern: "*.json"}}})
	if err != nil || path == "" {
		return
	}
	b, err := readLimited(path, 8<<20)
	if err != nil {
		s.message("Cannot read the file", err.Error())
		return
	}
	text, _ := json.Marshal(string(b))
	runtime.WindowExecJS(s.ctx, importJS(string(text)))
}

// importJS fills the execution form's import field and submits it with op=import, or
// tells the user to open a form first. text is a JSON string literal.
func importJS(text string) string {
	return `(function(){var t=document.querySelector('textarea[name="import_text"]');` +
		`var b=document.querySelector('button[name="op"][value="import"]');` +
		`if(!t||!b){alert("Open a process's execution form first (Processes → a process → Execute), then import the request.");return;}` +
		`t.value=` + text + `;b.click();})()`
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB", filepath.Base(path), limit>>20)
	}
	b := make([]byte, fi.Size())
	_, err = f.Read(b)
	return b, err
}

// openURL opens a page in the system browser (an oidc sign-in: the provider
// sends that browser back to the loopback address the sign-in listens on).
func (s *shell) openURL(u string) error {
	if s.ctx == nil {
		return errors.New("the window is not ready")
	}
	runtime.BrowserOpenURL(s.ctx, u)
	return nil
}

func (s *shell) message(title, text string) {
	_, _ = runtime.MessageDialog(s.ctx, runtime.MessageDialogOptions{Type: runtime.InfoDialog, Title: title, Message: text})
}

// open shows a folder or file with the desktop's default application.
func (s *shell) open(path string) {
	var c *exec.Cmd
	switch goruntime.GOOS {
	case "windows":
		c = exec.Command("explorer", path)
	case "darwin":
		c = exec.Command("open", path)
	default:
		c = exec.Command("xdg-open", path)
	}
	c.Env = childEnv()
	if err := c.Start(); err != nil {
		s.message("Cannot open "+filepath.Base(path), err.Error())
		return
	}
	go func() { _ = c.Wait() }()
}

// instanceID is the single-instance lock's id: one running window per data dir, so a
// second data dir (tests, a second profile) may run beside it.
func instanceID(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	sum := sha256.Sum256([]byte(abs))
	return "io.geojobs.desktop." + "d" + hex.EncodeToString(sum[:8])
}
