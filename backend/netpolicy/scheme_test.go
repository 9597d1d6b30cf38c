package netpolicy_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/geojobs/geojobs/backend/netpolicy"
)

func TestLocalFile(t *testing.T) {
	for s, want := range map[string]bool{"file:///etc/passwd": true, "FILE://host/share/x": true, "https://h/x": false, "/x": false} {
		u, _ := url.Parse(s)
		if got := netpolicy.LocalFile(u); got != want {
			t.Errorf("LocalFile(%s) = %v", s, got)
		}
	}
	if !errors.Is(netpolicy.ErrLocalFile, netpolicy.ErrRefused) {
		t.Error("ErrLocalFile is not a refusal")
	}
}
