package endpoints

import (
	"errors"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Explain names why a server gave no answer from the words of the error the client
// keeps, and where it tried, without the request's path or query.
func TestExplainUnreachable(t *testing.T) {
	for _, c := range []struct {
		err  *ogcapi.APIError
		want string
	}{
		{&ogcapi.APIError{URL: "http://127.0.0.1:9/processes?limit=10", Code: ogcapi.Unavailable, Err: errors.New("dial tcp 127.0.0.1:9: connect: connection refused")},
			"Cannot reach http://127.0.0.1:9/: connection refused. Is the server running?"},
		{&ogcapi.APIError{URL: "https://zoo.example/ogc-api/processes", Code: ogcapi.Unavailable, Err: errors.New("dial tcp: lookup zoo.example: no such host")},
			"Cannot reach https://zoo.example/: the host name was not found."},
		{&ogcapi.APIError{URL: "https://zoo.example/ogc-api/jobs", Code: ogcapi.Timeout, Err: errors.New("no complete answer within 30s")},
			"Cannot reach https://zoo.example/: no answer in time."},
		{&ogcapi.APIError{URL: "::", Code: ogcapi.Unavailable, Err: errors.New("read: connection reset by peer")},
			"Cannot reach the server: the connection was reset."},
	} {
		p, msg := Explain(c.err)
		if p != ProblemUnreachable || !strings.HasPrefix(msg, c.want) || !strings.Contains(msg, "Check the endpoint's URL") {
			t.Errorf("Explain(%v) = %s, %q; want %q…", c.err, p, msg, c.want)
		}
	}
	if p, _ := Explain(&ogcapi.APIError{Status: 503, Code: ogcapi.Unavailable}); p == ProblemUnreachable {
		t.Error("a server that answered 503 was called unreachable")
	}
}
