package ogcapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Text is a text resource a server links to (a job's log), as GetText read it.
type Text struct {
	// Text is the end of the resource, at most the limit asked for, as valid UTF-8.
	// It is the server's: untrusted.
	Text string
	// Truncated says the resource is longer: Text is its end.
	Truncated bool
}

// DefaultTextLimit is GetText's limit when the caller gives none.
const DefaultTextLimit = 256 << 10

// GetText reads the text resource at href (a job's log, linked by its status or its
// results), resolved against the endpoint, and returns its last max bytes. Like every
// request of the client it carries the endpoint's credentials only when href is on
// the endpoint's origin, and drops them on a redirect that leaves it: a link a server
// gives cannot make geojobs send them elsewhere. Which hosts may be read at all is
// the caller's policy. It is not retried. A non-2xx answer gives an *APIError (404:
// NotFound, 401: Unauthorized, …); a link that is not an http(s) URL, InvalidInput.
func (c *Client) GetText(ctx context.Context, href string, max int) (Text, error) {
	if max <= 0 {
		max = DefaultTextLimit
	}
	u, err := resolve(c.base, href)
	if err == nil && u.User != nil {
		err = errors.New("the link carries credentials")
	}
	if err != nil {
		return Text{}, &APIError{Method: http.MethodGet, URL: "(text link)", Code: InvalidInput, Err: fmt.Errorf("text link: %w", err)}
	}
	u.Fragment = ""
	r := request{method: http.MethodGet, url: u, accept: "text/plain, */*;q=0.1", notFound: NotFound}
	if err := ctx.Err(); err != nil {
		return Text{}, c.ctxError(r, err)
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, secrets, err := c.exchange(ctx, actx, r)
	if err != nil {
		return Text{}, err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		return Text{}, c.httpError(r, &response{status: res.StatusCode, header: res.Header, body: data,
			url: res.Request.URL, secrets: secrets})
	}
	text, cut, err := tail(res.Body, max)
	if err != nil {
		return Text{}, c.transportError(ctx, actx, r, err, secrets)
	}
	c.log.DebugContext(ctx, "ogcapi", "method", r.method, "url", redactURL(u), "status", res.StatusCode,
		"bytes", len(text), "truncated", cut)
	return Text{Text: scrub(text, secrets), Truncated: cut}, nil
}

// tail reads r to its end and returns its last max bytes as valid UTF-8 (starting at
// a line when one starts near the cut), and whether it cut. It holds at most 2·max
// bytes however long r is.
func tail(r io.Reader, max int) (string, bool, error) {
	buf := make([]byte, 0, min(max, 32<<10))
	chunk := make([]byte, 32<<10)
	cut := false
	var rerr error
	for {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if len(buf) > 2*max {
			buf = append(buf[:0], buf[len(buf)-max:]...)
			cut = true
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	if len(buf) > max {
		buf, cut = buf[len(buf)-max:], true
	}
	s := strings.ToValidUTF8(string(buf), "\uFFFD")
	if cut {
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < 1024 {
			s = s[i+1:]
		}
	}
	return s, cut, rerr
}
