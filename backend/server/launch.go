package server

import (
	"net/http"
	"time"
)

// LaunchTTL is how long a launch code stays valid.
const LaunchTTL = 2 * time.Minute

// NewLaunchCode returns a single-use code for the URL handed to the browser opener
// (xdg-open and the like put their argument on a command line, visible in ps): the
// first GET with ?launch=CODE gets the session, and the code is forgotten.
func (g *Guard) NewLaunchCode() string {
	c := NewToken()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.launches == nil {
		g.launches = map[string]time.Time{}
	}
	now := time.Now()
	for k, exp := range g.launches {
		if now.After(exp) {
			delete(g.launches, k)
		}
	}
	g.launches[c] = now.Add(LaunchTTL)
	return c
}

// useLaunchCode reports whether c is a live launch code, and forgets it.
func (g *Guard) useLaunchCode(c string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	exp, ok := g.launches[c]
	delete(g.launches, c)
	return ok && time.Now().Before(exp)
}

// launchExchange turns a GET carrying the printed link's token or a launch code into
// the session cookie (HttpOnly, SameSite=Strict, named with the port, its value the
// session, not the token) and redirects to the same URL without them.
func (g *Guard) launchExchange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if !isSafe(r.Method) || (!q.Has(TokenParam) && !q.Has(LaunchParam)) {
			next.ServeHTTP(w, r)
			return
		}
		ok := false
		switch {
		case q.Has(LaunchParam):
			ok = g.useLaunchCode(q.Get(LaunchParam))
		default:
			ok = g.tokenOK(q.Get(TokenParam))
		}
		if !ok {
			deny(w, http.StatusUnauthorized, "This link is not valid for this run of geojobs (a launch link works once). Use the link geojobs printed when it started.")
			return
		}
		g.init()
		http.SetCookie(w, &http.Cookie{
			Name: g.CookieName(), Value: g.Session, Path: "/",
			HttpOnly: true, SameSite: http.SameSiteStrictMode,
		})
		clean := *r.URL
		q.Del(TokenParam)
		q.Del(LaunchParam)
		clean.RawQuery = q.Encode()
		http.Redirect(w, r, clean.RequestURI(), http.StatusSeeOther)
	})
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}
