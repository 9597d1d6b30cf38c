package localeptest

import (
	"context"
	"net/http"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/ogcapi"
)

func TestStart(t *testing.T) {
	var url string
	t.Run("serve", func(t *testing.T) {
		srv := Start(t, localep.Options{MaxConcurrent: 2})
		url = srv.URL
		c, err := ogcapi.New(srv.URL, ogcapi.WithRetry(0))
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Process(context.Background(), "echo")
		if err != nil || p.ID != "echo" {
			t.Fatalf("echo: %v %v", p, err)
		}
	})
	// The subtest has ended: its server is closed.
	if res, err := http.Get(url); err == nil {
		res.Body.Close()
		t.Error("server still serving after the test")
	}
}
