package web

import (
	"net/http"

	"github.com/geojobs/geojobs/frontend/components"
)

// DesktopShell marks every request through it as coming from the desktop window, so
// that pages render for the window: the layout adds the shell's head tags (Wails
// runtime, /desktop/desktop.js, the push URL) and pages offer the native folder
// picker instead of what only a browser needs. The desktop shell's handler, which
// only the webview reaches, wraps the app with it; browser mode never does.
func DesktopShell(d components.Desktop) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(components.WithDesktop(r.Context(), d)))
		})
	}
}

// IsDesktop reports whether r comes from the desktop window (through DesktopShell).
func IsDesktop(r *http.Request) bool { return components.InDesktop(r.Context()) }
