package netpolicy

import (
	"errors"
	"net"
	"strings"
	"syscall"
)

// NoAnswer names, in a few words ("connection refused"), why a request got no answer
// from its server at all; "" when err is not such a failure. The connection test, key
// checks and downloads say it the same way. Clients that keep only the (scrubbed) text
// of a network error are matched by its words too; "actively refused" is Windows'.
func NoAnswer(err error) string {
	if err == nil {
		return ""
	}
	var dns *net.DNSError
	var ne net.Error
	low := strings.ToLower(err.Error())
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(low, w) {
				return true
			}
		}
		return false
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), has("connection refused", "actively refused"):
		return "connection refused"
	case errors.As(err, &dns) && dns.IsNotFound, has("no such host"):
		return "the host name was not found"
	case errors.As(err, &dns), has("server misbehaving", "lookup "):
		return "the host name could not be looked up"
	case errors.Is(err, syscall.ECONNRESET), has("connection reset"):
		return "the connection was reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), has("no route to host", "network is unreachable"):
		return "no route to the host"
	case errors.As(err, &ne) && ne.Timeout(), has("timeout", "timed out"):
		return "no answer in time"
	}
	return ""
}

// Peer is the address a failed connection was for ("127.0.0.1:9000", a host name
// that was not found); "" when err does not say.
func Peer(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return op.Addr.String()
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.Name != "" {
		return dns.Name
	}
	return ""
}
