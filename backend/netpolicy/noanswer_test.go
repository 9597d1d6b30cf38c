package netpolicy

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Real failures of a dial and a lookup are named in a few words, with the address
// they were for; errors that are not about a missing answer are not.
func TestNoAnswer(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.Listener.Addr().String()
	closed.Close()
	_, refused := http.Get("http://" + addr + "/")
	if got := NoAnswer(refused); got != "connection refused" {
		t.Errorf("NoAnswer(%v) = %q", refused, got)
	}
	if got := Peer(refused); got != addr {
		t.Errorf("Peer(%v) = %q, want %q", refused, got, addr)
	}
	notFound := fmt.Errorf("GET x: %w", &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true})
	if got, who := NoAnswer(notFound), Peer(notFound); got != "the host name was not found" || who != "nowhere.invalid" {
		t.Errorf("DNS: %q, %q", got, who)
	}
	for _, err := range []error{nil, errors.New("HTTP 404 not found")} {
		if got, who := NoAnswer(err), Peer(err); got != "" || who != "" {
			t.Errorf("%v: %q, %q", err, got, who)
		}
	}
}
