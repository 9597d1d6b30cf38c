package netpolicy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Local reports whether ip is an address of this machine or of a private network:
// loopback, RFC 1918 and IPv6 unique-local, link-local (cloud metadata services live
// there), carrier-grade NAT, unspecified, and IPv4-mapped forms of those.
func Local(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return false
	}
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() || cgnat.Contains(ip)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// LocalName reports whether host (a URL host name, no port) is an IP literal that
// Local accepts or a name that always means this machine ("localhost", "*.localhost").
// It does not resolve names.
func LocalName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return Local(ip)
	}
	return false
}

// Scope says which addresses requests made under a context may reach. A request for
// something a server handed out (an asset href, a log link) carries the Scope of the
// endpoint that sent it: it may reach loopback, private and link-local addresses only
// when that endpoint is itself on one, or when the user allowed private networks in
// Settings. Without a Scope in the context, nothing is restricted (requests the user
// typed, and geojobs' own calls to an endpoint).
type Scope struct {
	// Endpoint is the URL of the server whose answer named the URL ("" when unknown:
	// treated as a public server).
	Endpoint string
	// AllowPrivate lets requests reach private and loopback addresses whatever the
	// endpoint (Settings → "Servers on a private network").
	AllowPrivate bool
	// Private, when set, is asked for AllowPrivate's answer when a local address is
	// about to be reached (so a caller reads the setting only then).
	Private func(ctx context.Context) bool
	// Resolver resolves the endpoint's host name; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

type scopeKey struct{}

// WithScope returns ctx carrying s.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, &s)
}

// ScopeOf returns the Scope ctx carries, or nil.
func ScopeOf(ctx context.Context) *Scope {
	s, _ := ctx.Value(scopeKey{}).(*Scope)
	return s
}

// allowsLocal reports whether the scope lets requests reach local addresses: the
// user allowed it, or the endpoint is on this machine or a private network.
func (s *Scope) allowsLocal(ctx context.Context) bool {
	if s == nil || s.AllowPrivate || s.Private != nil && s.Private(ctx) {
		return true
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Hostname() == "" {
		return false
	}
	if LocalName(u.Hostname()) {
		return true
	}
	if _, err := netip.ParseAddr(u.Hostname()); err == nil {
		return false // a public IP literal
	}
	r := s.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(lctx, "ip", u.Hostname())
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !Local(ip) {
			return false
		}
	}
	return true
}

// ErrAddress is what errors.Is finds in the refusal of an address a Scope does not
// allow (Check, Dialer, Transport, Guard), besides ErrRefused: a caller can tell it
// from a refused redirect.
var ErrAddress = errors.New("netpolicy: address not allowed")

type addressRefusal struct{ msg string }

func (e *addressRefusal) Error() string        { return e.msg }
func (e *addressRefusal) Is(target error) bool { return target == ErrRefused || target == ErrAddress }

// Check returns an error wrapping ErrRefused and ErrAddress when ctx's Scope does not
// let a request reach ip.
func Check(ctx context.Context, ip netip.Addr) error {
	s := ScopeOf(ctx)
	if s == nil || !Local(ip) || s.allowsLocal(ctx) {
		return nil
	}
	return &addressRefusal{fmt.Sprintf("%s: %s is a local or private-network address and the server that named it is not "+
		"(allow private networks in Settings if your servers are on one)", ErrRefused, ip.Unmap())}
}

// Dialer returns a copy of d (nil: the defaults of net/http) whose connections are
// checked after name resolution, so a host name that resolves to a local address is
// refused as surely as an IP literal.
func Dialer(d *net.Dialer) *net.Dialer {
	var c net.Dialer
	if d != nil {
		c = *d
	} else {
		c = net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	}
	c.Control = nil
	c.ControlContext = func(ctx context.Context, network, address string, _ syscall.RawConn) error {
		if ctx.Value(viaProxyKey{}) != nil {
			return nil // the connection goes to the user's proxy, checked by URL in Transport
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: unexpected address %q", ErrRefused, address)
		}
		return Check(ctx, ap.Addr())
	}
	return &c
}

// Transport returns a clone of base (nil: http.DefaultTransport) that dials with
// Dialer and refuses, before any connection is taken from the pool, a request whose
// URL names a local host its Scope does not allow. It sends no proxy-bound request
// for such a host either.
func Transport(base *http.Transport) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	t := base.Clone()
	t.DialContext = Dialer(nil).DialContext
	return &guarded{t: t}
}

type guarded struct{ t *http.Transport }

// Guard returns rt checked like Transport: nil and an *http.Transport become
// Transport's (the address is checked when it is dialled), a round tripper Guard
// already returned stays as it is, and any other round tripper is wrapped so that a
// request whose URL names a local host (an IP literal or a localhost name) its Scope
// does not allow is refused; a name that resolves to a local address can only be
// caught by the dialler, which such a round tripper does not let Guard reach.
func Guard(rt http.RoundTripper) http.RoundTripper {
	switch t := rt.(type) {
	case nil:
		return Transport(nil)
	case *http.Transport:
		return Transport(t)
	case *guarded, namesGuarded:
		return rt
	}
	return namesGuarded{rt}
}

// refuseName returns the refusal of req when its URL names a local host that the
// Scope of its context does not allow.
func refuseName(req *http.Request) error {
	if s := ScopeOf(req.Context()); s != nil && LocalName(req.URL.Hostname()) && !s.allowsLocal(req.Context()) {
		return &addressRefusal{fmt.Sprintf("%s: %s is a local address and the server that named it is not "+
			"(allow private networks in Settings if your servers are on one)", ErrRefused, req.URL.Hostname())}
	}
	return nil
}

type namesGuarded struct{ next http.RoundTripper }

func (g namesGuarded) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := refuseName(req); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return g.next.RoundTrip(req)
}

type viaProxyKey struct{}

func (g *guarded) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := refuseName(req); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if g.t.Proxy != nil {
		if p, err := g.t.Proxy(req); err == nil && p != nil {
			req = req.WithContext(context.WithValue(req.Context(), viaProxyKey{}, true))
		}
	}
	return g.t.RoundTrip(req)
}

// CloseIdleConnections closes the pooled connections.
func (g *guarded) CloseIdleConnections() { g.t.CloseIdleConnections() }
