package endpointspage

import (
	"net/url"
	"slices"
	"time"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/store"
)

// ListModel is the endpoints page.
type ListModel struct {
	Endpoints []store.Endpoint
	// Selected is the endpoint the process pages show.
	Selected string
	// Health is each tested endpoint's last test, by id.
	Health map[string]endpoints.Health
}

// FormModel is the add/edit form.
type FormModel struct {
	ID       string // "" for a new endpoint
	BuiltIn  bool
	Input    endpoints.EndpointInput
	Err      string // why saving failed
	TestErr  string // why the values could not be tested (a malformed URL)
	KeyNames []string
	Report   *endpoints.Report // a connection test of the values entered
}

// DetailModel is one endpoint with its connection test.
type DetailModel struct {
	Endpoint store.Endpoint
	Report   *endpoints.Report
	// SavedFailing: the endpoint was just saved and its test failed.
	SavedFailing bool
}

// checked says when an endpoint was last tested, in the local time of day (or the
// date for an older test).
func checked(t time.Time) string {
	t = t.Local()
	if time.Since(t) < 20*time.Hour {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func path(parts ...string) string {
	p := "/endpoints"
	for _, s := range parts {
		p += "/" + url.PathEscape(s)
	}
	return p
}

func processesURL(id string) string { return "/processes?endpoint=" + url.QueryEscape(id) }

func (m FormModel) action() string {
	if m.ID == "" {
		return "/endpoints"
	}
	return path(m.ID)
}

// hasKey reports whether name is one of the keystore's endpoint keys.
func (m FormModel) hasKey(name string) bool { return slices.Contains(m.KeyNames, name) }

func (m FormModel) title() string {
	if m.ID == "" {
		return "Add an endpoint"
	}
	return "Edit " + m.Input.Title
}

func elapsed(d time.Duration) string { return d.Round(time.Millisecond).String() }

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func problemTitle(p string) string {
	switch p {
	case endpoints.ProblemUnreachable:
		return "Unreachable"
	case endpoints.ProblemTLS:
		return "Secure connection failed"
	case endpoints.ProblemUnauthorized:
		return "Credentials missing or rejected"
	case endpoints.ProblemForbidden:
		return "Access refused"
	case endpoints.ProblemNotOGC:
		return "Not an OGC API – Processes server"
	case endpoints.ProblemCredentials:
		return "Credentials unavailable"
	case endpoints.ProblemSignIn:
		return "Sign-in needed"
	}
	return "The test failed"
}

// signInSetupURL is the Keystore page's form for an oidc key for the endpoint,
// with its provider filled in when the endpoint named one.
func signInSetupURL(endpointURL, issuer string) string {
	q := url.Values{"kind": {"oidc"}, "prefix": {endpointURL}}
	if issuer != "" {
		q.Set("issuer", issuer)
	}
	return "/keystore/new?" + q.Encode()
}

// keyURL is the Keystore page of a key (where an oidc key signs in).
func keyURL(name string) string { return "/keystore/keys/" + url.PathEscape(name) }
