package netpolicy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"testing"
)

func TestLocal(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "::1", "10.1.2.3", "192.168.0.1", "172.16.5.5", "169.254.169.254",
		"fe80::1", "fd00::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "100.64.0.1"} {
		if !Local(netip.MustParseAddr(s)) {
			t.Errorf("Local(%s) = false", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "2001:4860:4860::8888", "172.32.0.1"} {
		if Local(netip.MustParseAddr(s)) {
			t.Errorf("Local(%s) = true", s)
		}
	}
}

func TestTransportRefusesLocalForPublicEndpoint(t *testing.T) {
	rec := newRecorder(t)
	c := &http.Client{Transport: Transport(nil)}
	_, port, _ := net.SplitHostPort(rec.Listener.Addr().String())
	public := WithScope(context.Background(), Scope{Endpoint: "https://93.184.215.14/ogc"})
	// An IP literal and a loopback name.
	for _, u := range []string{rec.URL + "/probe", "http://localhost:" + port + "/probe"} {
		req, _ := http.NewRequestWithContext(public, http.MethodHead, u, nil)
		res, err := c.Do(req)
		if err == nil {
			res.Body.Close()
			t.Errorf("%s: request made", u)
			continue
		}
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want ErrRefused", u, err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Fatalf("the local listener got %d requests", n)
	}
	// A local endpoint, the private-network switch, and no scope at all may reach it.
	for _, ctx := range []context.Context{
		WithScope(context.Background(), Scope{Endpoint: "http://127.0.0.1:1/ogc"}),
		WithScope(context.Background(), Scope{Endpoint: "https://93.184.215.14/ogc", AllowPrivate: true}),
		context.Background(),
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, rec.URL+"/ok", nil)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if n := len(rec.requests()); n != 3 {
		t.Fatalf("the local listener got %d requests, want 3", n)
	}
}

func TestDialerChecksResolvedAddress(t *testing.T) {
	d := Dialer(nil)
	// A resolver that answers every name with 127.0.0.1, as a DNS-rebinding server would.
	rec := newRecorder(t)
	_, port, _ := net.SplitHostPort(rec.Listener.Addr().String())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, p, _ := net.SplitHostPort(addr)
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", p))
	}
	c := &http.Client{Transport: tr}
	ctx := WithScope(context.Background(), Scope{Endpoint: "https://93.184.215.14/"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://rebind.example:"+port+"/", nil)
	if res, err := c.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("dial to a resolved loopback address allowed")
	} else if !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
	if n := len(rec.requests()); n != 0 {
		t.Fatalf("the local listener got %d requests", n)
	}
}

type countingRT struct{ n int }

func (c *countingRT) RoundTrip(*http.Request) (*http.Response, error) {
	c.n++
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody}, nil
}

// A round tripper that is not an *http.Transport is guarded by the URL's host name.
func TestGuardOtherRoundTripper(t *testing.T) {
	next := &countingRT{}
	g := Guard(next)
	if Guard(g) != g {
		t.Error("Guard wrapped its own round tripper again")
	}
	public := WithScope(context.Background(), Scope{Endpoint: "https://93.184.215.14/ogc"})
	for _, u := range []string{"http://127.0.0.1/x", "http://[::1]/x", "http://169.254.169.254/", "http://app.localhost/"} {
		req, _ := http.NewRequestWithContext(public, http.MethodGet, u, nil)
		if _, err := g.RoundTrip(req); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want ErrRefused", u, err)
		}
	}
	for _, ctx := range []context.Context{public, context.Background()} {
		u := "http://127.0.0.1/x"
		if ctx == public {
			u = "https://93.184.215.15/x"
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if _, err := g.RoundTrip(req); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if next.n != 2 {
		t.Fatalf("%d requests went through, want 2", next.n)
	}
}
