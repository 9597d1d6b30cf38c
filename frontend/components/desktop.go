package components

import "context"

// Desktop is what a page shown in the desktop window carries besides the browser
// page: the layout adds the desktop shell's head tags (the Wails runtime, the shell's
// script and the push channel's URL) and pages drop what only a browser needs.
// The desktop shell's handler puts it in the request's context (web.DesktopShell);
// a browser request never has it.
type Desktop struct {
	// PushURL is the WebSocket URL of the hub's desktop topic, with its token (<meta name="geojobs-ws">).
	PushURL string
	// SelfTest marks the page for the desktop self-test (<meta name="geojobs-selftest">).
	SelfTest bool
}

type desktopKey struct{}

// WithDesktop returns ctx marked as a request from the desktop window.
func WithDesktop(ctx context.Context, d Desktop) context.Context {
	return context.WithValue(ctx, desktopKey{}, d)
}

// DesktopFrom returns the desktop window's values, and whether ctx is a request from
// the desktop window at all.
func DesktopFrom(ctx context.Context) (Desktop, bool) {
	d, ok := ctx.Value(desktopKey{}).(Desktop)
	return d, ok
}

// InDesktop reports whether ctx is a request from the desktop window.
func InDesktop(ctx context.Context) bool {
	_, ok := DesktopFrom(ctx)
	return ok
}
