package endpoints

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// Problem kinds of a connection test.
const (
	ProblemNone         = ""
	ProblemUnreachable  = "unreachable"  // no answer: DNS, refused, reset, timeout
	ProblemTLS          = "tls"          // the TLS handshake or certificate failed
	ProblemUnauthorized = "unauthorized" // 401: credentials missing or rejected
	ProblemForbidden    = "forbidden"    // 403
	ProblemNotOGC       = "not-ogc"      // answers, but not as an OGC API – Processes server
	ProblemCredentials  = "credentials"  // the credentials could not be applied (keystore)
	ProblemSignIn       = "sign-in"      // the endpoint's oidc key needs its person to sign in again
	ProblemOther        = "other"
)

// Capability is one feature an endpoint declares.
type Capability struct {
	Name      string
	Supported bool
	Hint      string // what it means for the user
}

// Report is the outcome of a connection test.
type Report struct {
	OK      bool
	Problem string // one of the Problem constants
	Message string // what went wrong, for people
	Detail  string // the error's own text (redacted by ogcapi; untrusted: escape it)

	Title       string
	Description string
	// APIDoc is the human API documentation link (rel service-doc), APIDef the machine
	// definition (rel service-desc); empty when the landing page has none.
	APIDoc, APIDef string
	Capabilities   []Capability
	Conformance    []string
	Elapsed        time.Duration

	// Bearer: the server answered 401 asking for a bearer token (WWW-Authenticate:
	// Bearer): it is behind an OpenID provider, and an oidc key would sign in to it.
	Bearer bool
	// Issuer is the OpenID provider a Bearer endpoint names in its protected
	// resource metadata (RFC 9728), to fill in for its sign-in; "" when unknown.
	Issuer string
	// URL and Key are the endpoint tested and the keystore key it names.
	URL, Key string

	challenge ogcapi.Challenge // the Bearer challenge, when Bearer
	status    int              // the HTTP status of a failed test's answer, 0 for none
}

// Test checks a saved endpoint.
func (c *Registry) Test(ctx context.Context, id string) (Report, error) {
	e, err := c.Endpoint(ctx, id)
	if err != nil {
		return Report{}, err
	}
	cl, err := c.Client(ctx, id)
	if err != nil {
		return Report{}, err
	}
	r := probe(ctx, cl)
	r.URL, r.Key = e.URL, e.CredentialKey
	c.findIssuer(ctx, cl, &r)
	c.recordHealth(ctx, e.ID, r)
	if r.OK {
		c.mu.Lock()
		c.caps[e.ID] = cachedCaps{at: time.Now(), caps: capsOf(r)}
		c.mu.Unlock()
	}
	return r, nil
}

// TestInput checks an endpoint as entered, before it is saved.
func (c *Registry) TestInput(ctx context.Context, in EndpointInput) (Report, error) {
	// The URL is checked as saving checks it, in the same words (the title may
	// still be empty while testing).
	if _, err := store.CheckEndpointURL(in.URL); err != nil {
		return Report{}, err
	}
	e, err := in.endpoint("unsaved")
	if err != nil {
		return Report{}, err
	}
	cl, err := c.newClient(e)
	if err != nil {
		return Report{}, err
	}
	r := probe(ctx, cl)
	r.URL, r.Key = e.URL, e.CredentialKey
	c.findIssuer(ctx, cl, &r)
	return r, nil
}

// findIssuer fills in r.Issuer for an endpoint that asked for a bearer token,
// from its protected resource metadata (RFC 9728) when it publishes some.
func (c *Registry) findIssuer(ctx context.Context, cl *ogcapi.Client, r *Report) {
	if !r.Bearer {
		return
	}
	md, err := cl.ProtectedResource(ctx, r.challenge)
	if err != nil {
		c.log.Debug("endpoints: no protected resource metadata", "url", r.URL, "code", ogcapi.CodeOf(err).String())
		return
	}
	r.Issuer = md.AuthorizationServers[0]
}

func capsOf(r Report) ogcapi.Capabilities {
	cc := ogcapi.ConfClasses{ConformsTo: r.Conformance}
	return ogcapi.Capabilities{Sync: cc.Has(ogcapi.ConfCore), Async: cc.Has(ogcapi.ConfCore),
		Dismiss: cc.Has(ogcapi.ConfDismiss), JobList: cc.Has(ogcapi.ConfJobList), Callback: cc.Has(ogcapi.ConfCallback),
		Deploy: cc.Has(ogcapi.ConfDRU), CWL: cc.Has(ogcapi.ConfCWL), OGCAppPkg: cc.Has(ogcapi.ConfOGCAppPkg),
		Title: r.Title, Conformance: cc}
}

// probe reads the landing page and the conformance declaration and judges them.
func probe(ctx context.Context, cl *ogcapi.Client) Report {
	start := time.Now()
	var r Report
	lp, lerr := cl.Landing(ctx)
	if lerr == nil {
		r.Title, r.Description = lp.Title, lp.Description
		if l, ok := lp.Links.Find("service-doc", ""); ok {
			r.APIDoc = l.Href
		}
		if l, ok := lp.Links.Find("service-desc", ""); ok {
			r.APIDef = l.Href
		}
	}
	caps, err := cl.Capabilities(ctx)
	r.Elapsed = time.Since(start)
	if err != nil {
		if lerr != nil && ogcapi.CodeOf(err) == ogcapi.NotFound {
			err = lerr
		}
		classify(&r, err)
		return r
	}
	r.Conformance = slices.Clone(caps.Conformance.ConformsTo)
	slices.Sort(r.Conformance)
	if !caps.Conformance.Has(ogcapi.ConfCore) {
		r.Problem = ProblemNotOGC
		r.Message = "The server answers, but its conformance declaration does not list OGC API – Processes Part 1 Core: it is not an OGC API – Processes server (or the URL points at another API)."
		return r
	}
	if r.Title == "" {
		r.Title = caps.Title
	}
	r.OK = true
	r.Capabilities = []Capability{
		{"Synchronous execution", caps.Sync, "Run a process and wait for its results"},
		{"Asynchronous execution", caps.Async, "Run a process as a job and follow it"},
		{"Dismiss", caps.Dismiss, "Cancel running jobs and remove finished ones"},
		{"Job list", caps.JobList, "List the server's jobs (import jobs started elsewhere)"},
		{"Callbacks", caps.Callback, "Notify a URL when a job changes"},
		{"Deploy, replace, undeploy", caps.Deploy, "Add your own processes (Part 2)"},
		{"CWL packages", caps.CWL, "Deploy Common Workflow Language application packages"},
		{"OGC application packages", caps.OGCAppPkg, "Deploy application/ogcapppkg+json documents"},
	}
	return r
}

// classify turns a failed probe into a message people can act on.
func classify(r *Report, err error) {
	r.Detail = err.Error()
	r.Problem, r.Message = Explain(err)
	r.challenge, r.Bearer = ogcapi.BearerChallenge(err)
	var ae *ogcapi.APIError
	if errors.As(err, &ae) {
		r.status = ae.Status
	}
}

// Explain says why a request to an endpoint failed, as one of the Problem constants
// and a message people can act on. The connection test and the pages that read from
// an endpoint (web.Describe) use it, so that they put a failure the same way.
func Explain(err error) (problem, message string) {
	var ae *ogcapi.APIError
	errors.As(err, &ae)
	low := strings.ToLower(err.Error())
	switch code := ogcapi.CodeOf(err); {
	case ae != nil && ae.Status == 0 && (strings.Contains(low, "x509") || strings.Contains(low, "tls:") || strings.Contains(low, "certificate")):
		return ProblemTLS, "The secure connection failed: the server's TLS certificate is not trusted or the TLS handshake failed. Check the URL (https vs http) and the server's certificate."
	case errors.Is(err, keystore.ErrSignInNeeded):
		return ProblemSignIn, "The sign-in for this endpoint has ended: sign in again with its keystore key (Keystore page, or geojobs keys login)."
	case code == ogcapi.Unauthorized && ogcapi.WantsBearer(err):
		return ProblemUnauthorized, "The server wants a sign-in (401, WWW-Authenticate: Bearer): it is behind an OpenID Connect provider. Set up a sign-in key (kind oidc) for it and pick that key for this endpoint."
	case code == ogcapi.Unauthorized && ae != nil && ae.Status == 0:
		return ProblemCredentials, "The endpoint's credentials could not be used. Check the keystore key named for this endpoint (is the keystore unlocked, is the key for this host?)."
	case code == ogcapi.Unauthorized:
		return ProblemUnauthorized, "The server refused the request (401): credentials are missing or were rejected. Pick a keystore key with a valid token for this endpoint."
	case code == ogcapi.Forbidden:
		return ProblemForbidden, "The server refused access (403): the credentials are valid but not allowed to use this API."
	case code == ogcapi.Unavailable && ae != nil && ae.Status == 0, code == ogcapi.Timeout:
		where := "the server"
		if ae != nil {
			if o := origin(ae.URL); o != "" {
				where = o
			}
		}
		why := noAnswer(err, code)
		if why == "" {
			why = "no connection"
		}
		return ProblemUnreachable, "Cannot reach " + where + ": " + why +
			". Is the server running? Check the endpoint's URL, your network, VPN or proxy."
	case code == ogcapi.NotFound, code == ogcapi.BadResponse, code == ogcapi.UnsupportedMedia, code == ogcapi.InvalidInput:
		return ProblemNotOGC, "The server answers, but not as an OGC API – Processes server: no JSON landing page or conformance declaration at this URL. Check the path (e.g. …/ogc-api/)."
	}
	return ProblemOther, "The server answered with an error."
}

// noAnswer names why a server gave no answer, in a few words ("" when unknown):
// netpolicy.NoAnswer, and the client's own timeout.
func noAnswer(err error, code ogcapi.Code) string {
	if why := netpolicy.NoAnswer(err); why != "" || code != ogcapi.Timeout {
		return why
	}
	return "no answer in time"
}

// origin is the scheme and host of a (redacted) request URL: "http://127.0.0.1:9/".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/"
}

// Capabilities returns what an endpoint declares, from a recent test or a fresh read.
func (c *Registry) Capabilities(ctx context.Context, id string) (ogcapi.Capabilities, error) {
	c.mu.Lock()
	cc, ok := c.caps[id]
	c.mu.Unlock()
	if ok && time.Since(cc.at) < 5*time.Minute {
		return cc.caps, nil
	}
	cl, err := c.Client(ctx, id)
	if err != nil {
		return ogcapi.Capabilities{}, err
	}
	caps, err := cl.Capabilities(ctx)
	if err != nil {
		return caps, err
	}
	c.mu.Lock()
	c.caps[id] = cachedCaps{at: time.Now(), caps: caps}
	c.mu.Unlock()
	return caps, nil
}
