package server

import "net/http"

// Middleware wraps a handler with one concern.
type Middleware func(http.Handler) http.Handler

// Chain returns h behind mws, the first outermost: Chain(h, a, b) is a(b(h)).
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
