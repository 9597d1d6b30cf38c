package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/frontend/components"
)

func renderPage(t *testing.T, h http.Handler, hdr map[string]string) (*httptest.ResponseRecorder, *goquery.Document) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/settings", nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(w.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return w, doc
}

func TestDesktopShellHead(t *testing.T) {
	var sawDesktop bool
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawDesktop = IsDesktop(r)
		if err := Render(w, r, Page{Title: "Settings", Section: components.SectionSettings, Content: templ.Raw("<p>x</p>")}); err != nil {
			t.Error(err)
		}
	})

	// Browser mode: none of the desktop's tags.
	_, doc := renderPage(t, page, nil)
	if sawDesktop || doc.Find(`meta[name^="geojobs-"], script[src^="/wails/"], script[src="/desktop/desktop.js"]`).Length() != 0 {
		t.Fatalf("browser page has desktop tags: %v", doc.Find("head").Text())
	}

	push := `ws://127.0.0.1:5/desktop/ws?wst=a&b"><script>`
	desk := DesktopShell(components.Desktop{PushURL: push, SelfTest: true})(page)
	w, doc := renderPage(t, desk, nil)
	if w.Code != 200 || !sawDesktop {
		t.Fatalf("%d, desktop seen %v", w.Code, sawDesktop)
	}
	if v, _ := doc.Find(`head meta[name="geojobs-desktop"]`).Attr("content"); v != "1" {
		t.Errorf("geojobs-desktop meta: %q", v)
	}
	if v, _ := doc.Find(`head meta[name="geojobs-ws"]`).Attr("content"); v != push {
		t.Errorf("push URL %q, want %q", v, push)
	}
	if doc.Find(`head meta[name="geojobs-selftest"]`).Length() != 1 {
		t.Error("no self-test marker")
	}
	if doc.Find("head script:not([src])").Length() != 0 || strings.Contains(w.Body.String(), `"><script>`) {
		t.Error("the push URL was not escaped")
	}
	// Document order: the Wails runtime and desktop.js before htmx (desktop.js wraps
	// WebSocket before the ws extension opens one).
	var srcs []string
	doc.Find("head script[src]").Each(func(_ int, s *goquery.Selection) { srcs = append(srcs, s.AttrOr("src", "")) })
	idx := func(p string) int {
		for i, s := range srcs {
			if strings.HasPrefix(s, p) {
				return i
			}
		}
		return -1
	}
	if ipc, rt, dj, hx := idx("/wails/ipc.js"), idx("/wails/runtime.js"), idx("/desktop/desktop.js"), idx("/static/vendor/htmx-"); ipc < 0 || rt < ipc || dj < rt || hx < dj {
		t.Errorf("script order %v", srcs)
	}
	if _, ok := doc.Find(`script[src="/desktop/desktop.js"]`).Attr("defer"); !ok {
		t.Error("desktop.js not deferred")
	}

	// An HTMX swap renders only the main region, without head tags.
	w, _ = renderPage(t, desk, map[string]string{"HX-Request": "true"})
	if b := w.Body.String(); !strings.HasPrefix(b, `<main id="main"`) || strings.Contains(b, "geojobs-desktop") {
		t.Errorf("HTMX answer: %.80s", b)
	}

	// Without a push URL (no loopback), no geojobs-ws meta; nor a self-test marker.
	_, doc = renderPage(t, DesktopShell(components.Desktop{})(page), nil)
	if doc.Find(`meta[name="geojobs-desktop"]`).Length() != 1 || doc.Find(`meta[name="geojobs-ws"], meta[name="geojobs-selftest"]`).Length() != 0 {
		t.Errorf("head without push URL: %s", doc.Find("head").Text())
	}
}
