package runner

import (
	"net/http"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

func TestParseHeaders(t *testing.T) {
	h, err := ParseHeaders([]string{"Authorization: Bearer abc:def", "x-api-key:k1", "X-Api-Key: k2"})
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("Authorization") != "Bearer abc:def" || strings.Join(h.Values("X-Api-Key"), ",") != "k1,k2" {
		t.Errorf("headers %v", h)
	}
	for _, tt := range []struct{ line, want string }{
		{"Bearer-only-token-value", `header 1: want "Name: value"`},
		{"Bad Name: v", `"Bad Name" is not a valid header name`},
		{": v", `"" is not a valid header name`},
		{"Host: evil", "Host is set by geojobs"},
		{"Content-Length: 3", "Content-Length is set by geojobs"},
	} {
		_, err := ParseHeaders([]string{tt.line})
		e := wantError(t, err, ExitUsage, tt.want)
		if _, v, ok := strings.Cut(tt.line, ":"); ok && len(strings.TrimSpace(v)) > 2 && strings.Contains(e.Error(), strings.TrimSpace(v)) {
			t.Errorf("error %q shows the value", e)
		}
		if !strings.Contains(tt.line, ":") && strings.Contains(e.Error(), tt.line) {
			t.Errorf("error %q shows the line", e)
		}
	}
}

func TestCredentialsChain(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	c := credentials(http.Header{"X-Key": {"a"}}, headerCredentials(http.Header{"Authorization": {"Bearer t"}}))
	if err := c.Apply(req); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("X-Key") != "a" || req.Header.Get("Authorization") != "Bearer t" {
		t.Errorf("headers %v", req.Header)
	}
	if credentials(nil, nil) != nil {
		t.Error("credentials without any should be nil")
	}
}

func TestLoadHeaderLines(t *testing.T) {
	fs := afero.NewMemMapFs()
	afero.WriteFile(fs, "/h.txt", []byte("# auth\r\nAuthorization: Bearer t\n\n  X-Key: k  \n"), 0o600)
	lines, err := LoadHeaderLines(fs, "/h.txt")
	if err != nil || strings.Join(lines, "|") != "Authorization: Bearer t|X-Key: k" {
		t.Errorf("lines %q, %v", lines, err)
	}
	_, err = LoadHeaderLines(fs, "/none.txt")
	wantError(t, err, ExitUsage, "header file /none.txt does not exist")
}
