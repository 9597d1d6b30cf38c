package ogcapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// A job list's entries read the same as each status document read alone: the
// other names servers use (id, percentCompleted, job_start_datetime…), status
// aliases, progress as text and relative links.
func TestJobListEntriesReadAsStatusDocuments(t *testing.T) {
	entries := []string{
		`{"jobID":"a","processID":"p","type":"process","status":"running","message":"half","progress":50,"created":"2026-12-05T10:00:00Z","started":"2026-12-05T10:00:01.5Z","updated":"2026-12-05T10:00:02Z","links":[{"href":"jobs/a","rel":"self","type":"application/json","title":"Job"}]}`,
		`{"id":"b","status":"Succeeded","percentCompleted":100,"job_start_datetime":"2026-12-05 10:00:00","job_end_datetime":"2026-12-05T10:01:00+01:00","links":[{"href":"/jobs/b/results","rel":"http://www.opengis.net/def/rel/ogc/1.0/results"}]}`,
		`{"jobID":"c","status":"accepted","progress":"12.5%"}`,
		`{"jobID":"d","status":"ProcessFailed","progress":-3,"percentCompleted":7,"message":"no"}`,
		`{"jobID":"e","status":"dismissed","progress":null,"percentCompleted":"n/a"}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jobs":[%s],"links":[{"href":"?page=2","rel":"next"}]}`, strings.Join(entries, ","))
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)
	jl, err := c.Jobs(context.Background(), JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jl.Jobs) != len(entries) {
		t.Fatalf("%d jobs, want %d", len(jl.Jobs), len(entries))
	}
	base := srv.URL + "/jobs"
	for i, e := range entries {
		var want StatusInfo
		if err := json.Unmarshal([]byte(e), &want); err != nil {
			t.Fatal(err)
		}
		for k := range want.Links {
			u, err := resolve(mustParse(t, base), want.Links[k].Href)
			if err != nil {
				t.Fatal(err)
			}
			want.Links[k].Href = u.String()
		}
		if !reflect.DeepEqual(jl.Jobs[i], want) {
			t.Errorf("entry %d read as\n%+v\nalone as\n%+v", i, jl.Jobs[i], want)
		}
	}
	if jl.Jobs[1].JobID != "b" || jl.Jobs[1].Status != StatusSuccessful || *jl.Jobs[1].Progress != 100 || jl.Jobs[1].Started == nil {
		t.Errorf("Weaver/pygeoapi entry: %+v", jl.Jobs[1])
	}
	if p := jl.Jobs[2].Progress; p == nil || *p != 12 {
		t.Errorf("progress %q read as %v, want 12", "12.5%", p)
	}
	if next, ok := jl.Links.Find("next", ""); !ok || next.Href != base+"?page=2" {
		t.Errorf("next link %+v", jl.Links)
	}
}

// BenchmarkJobList reads a list of 1,000 jobs shaped like the built-in endpoint's,
// as the monitor does every second while jobs are about to end.
func BenchmarkJobList(b *testing.B) {
	body := benchJobList()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	}))
	defer srv.Close()
	c, _ := New(srv.URL)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		jl, err := c.Jobs(ctx, JobFilter{Limit: 1000})
		if err != nil || len(jl.Jobs) != 1000 {
			b.Fatal(len(jl.Jobs), err)
		}
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// plainAbsolute is only a shortcut: where it says an href needs no resolving,
// resolving returns it unchanged.
func TestPlainAbsoluteIsResolved(t *testing.T) {
	base := mustParse(t, "http://example.org:8080/ogc/jobs?limit=10")
	hrefs := []string{
		"http://example.org/jobs/a", "https://x.example/a/b?c=d&e=f+g", "http://h", "http://h/", "http://h?x=1",
		"http://h:80/a//b/", "http://u@h/a", "http://h/a;b,c=d", "http://h/a:b@c", "http://h/~x/_y-z.json",
		"http://h/a/./b", "http://h/a/../b", "http://h/.", "http://h/a/..", "http://h/%7e", "http://h/a b", "http://h/a#f",
		"HTTP://h/a", "http:///a", "http://", "ftp://h/a", "jobs/a", "/jobs/a", "?page=2", "http://h/a!b", "http://h:x:y/",
		"http://[::1]:8080/a", "http://h/\u00e9", " http://h/a", "http://h/a\t", "http://h/a?b=/../c", "http://h/.well-known/x",
	}
	// and every short href over the shortcut's alphabet and a few others
	alphabet := "a/.:?=&+@%#"
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		hrefs = append(hrefs, "http://"+prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+string(c), n-1)
		}
	}
	gen("h", 4)
	shortcuts := 0
	for _, h := range hrefs {
		if !plainAbsolute(h) {
			continue
		}
		shortcuts++
		u, err := resolve(base, h)
		if err != nil {
			t.Errorf("%q: shortcut, but resolve fails: %v", h, err)
		} else if u.String() != h {
			t.Errorf("%q: shortcut, but resolved to %q", h, u.String())
		}
	}
	if shortcuts < 100 {
		t.Errorf("only %d of %d hrefs took the shortcut", shortcuts, len(hrefs))
	}
}
