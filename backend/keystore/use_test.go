package keystore

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

func TestCanUse(t *testing.T) {
	s3 := Key{Kind: KindS3}
	pub := Key{Kind: KindS3, Public: true}
	eo := Key{Kind: KindEODATA}
	dav := Key{Kind: KindWebDAV}
	davR := Key{Kind: KindWebDAV, Readable: true}
	h := Key{Kind: KindHTTP}
	cases := []struct {
		k    Key
		u    Use
		ok   bool
		why  string
		name string
	}{
		{s3, Input, true, "", "s3 private input"},
		{s3, Output, true, "", "s3 private output"},
		{s3, Endpoint, false, "cannot authenticate to an endpoint", "s3 endpoint"},
		{pub, Input, true, "", "s3 public input"},
		{pub, Output, false, "public S3 keys are read-only", "s3 public output"},
		{eo, Input, true, "", "eodata input"},
		{eo, Output, false, "EODATA keys are read-only: they cannot receive outputs", "eodata output"},
		{eo, Download, true, "", "eodata download"},
		{dav, Output, true, "", "webdav output"},
		{dav, Input, false, "not marked readable", "webdav input"},
		{davR, Input, true, "", "readable webdav input"},
		{dav, Endpoint, false, "cannot authenticate", "webdav endpoint"},
		{h, Endpoint, true, "", "http endpoint"},
		{h, Input, false, "cannot be used for inputs", "http input"},
		{h, Output, false, "cannot be used for outputs", "http output"},
		{h, Download, true, "", "http download"},
	}
	for _, c := range cases {
		err := c.k.CanUse(c.u)
		if (err == nil) != c.ok {
			t.Errorf("%s: CanUse = %v, want ok=%v", c.name, err, c.ok)
			continue
		}
		if err != nil && (!errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), c.why)) {
			t.Errorf("%s: error %q, want ErrNotAllowed saying %q", c.name, err, c.why)
		}
	}
}

func TestMatch(t *testing.T) {
	s := openUnlocked(t, testConfig(afero.NewMemMapFs()), passphrase)
	add := func(k Key) {
		t.Helper()
		if _, err := s.Add(k); err != nil {
			t.Fatalf("add %s: %v", k.Name, err)
		}
	}
	add(Key{Name: "any-s3", Kind: KindS3, AccessKey: "a", Secret: "s", Endpoint: "https://s3.example.com"})
	add(Key{Name: "results", Kind: KindS3, AccessKey: "a", Secret: "s", Bucket: "results", Endpoint: "https://s3.example.com", PathStyle: true})
	add(Key{Name: "results-2025", Kind: KindS3, AccessKey: "a", Secret: "s", Bucket: "results", Prefix: "2025/", Endpoint: "https://s3.example.com", PathStyle: true})
	add(Key{Name: "public", Kind: KindS3, Public: true, AccessKey: "a", Secret: "s", Bucket: "open", Endpoint: "https://s3.example.com"})
	add(Key{Name: "cdse", Kind: KindEODATA, AccessKey: "a", Secret: "s"})
	add(Key{Name: "drive", Kind: KindWebDAV, Endpoint: "https://drive.example.com/remote.php/dav/files/ana/", Username: "ana", Secret: "p"})
	add(Key{Name: "zoo", Kind: KindHTTP, Prefix: "https://zoo.example.com/ogc-api", Secret: "t"})
	add(Key{Name: "zoo-proc", Kind: KindHTTP, Prefix: "https://ZOO.example.com:443/ogc-api/processes/", Secret: "t"})

	cases := []struct {
		url  string
		use  Use
		want string
	}{
		{"s3://results/2025/a.tif", Input, "results-2025"},
		{"s3://results/2025", Output, "results-2025"},
		{"s3://results/2024/a.tif", Output, "results"},
		{"s3://results/20250/a.tif", Input, "results"},
		{"https://s3.example.com/results/2025/x.tif", Download, "results-2025"},
		{"s3://elsewhere/x", Input, "any-s3"},
		{"s3://open/x.tif", Input, "public"},
		{"s3://open/x.tif", Output, "any-s3"},
		{"https://open.s3.example.com/x.tif", Download, "public"},
		{"s3://eodata/Sentinel-2/MSI/L2A/x.SAFE", Input, "cdse"},
		{"https://eodata.dataspace.copernicus.eu/eodata/Sentinel-2/x", Download, "cdse"},
		{"s3://eodata/Sentinel-2/x", Output, "any-s3"},
		{"https://drive.example.com/remote.php/dav/files/ana/out/r.tif", Output, "drive"},
		{"https://drive.example.com/remote.php/dav/files/ana/out/r.tif", Input, ""},
		{"https://drive.example.com/remote.php/dav/files/bob/r.tif", Output, ""},
		{"https://zoo.example.com/ogc-api/processes/echo/execution", Endpoint, "zoo-proc"},
		{"https://zoo.example.com/ogc-api/jobs/1", Endpoint, "zoo"},
		{"https://zoo.example.com/ogc-api-other", Endpoint, ""},
		{"http://zoo.example.com/ogc-api/jobs/1", Endpoint, ""},
		{"https://zoo.example.com.evil.net/ogc-api/jobs", Endpoint, ""},
		{"https://zoo.example.com/ogc-api/jobs/1", Input, ""},
		{"not a url", Input, ""},
		// Paths compare normalised: a server resolves these outside the prefix.
		{"https://drive.example.com/remote.php/dav/files/ana/../bob/r.tif", Output, ""},
		{"https://drive.example.com/remote.php/dav/files/ana/%2e%2e/bob/r.tif", Output, ""},
		{"https://zoo.example.com/ogc-api/processes/%2E%2E/jobs", Endpoint, "zoo"},
		{"https://zoo.example.com/ogc-api/%2e%2e/admin", Endpoint, ""},
		{"https://zoo.example.com:8443/ogc-api/jobs/1", Endpoint, ""},
	}
	for _, c := range cases {
		k, ok := s.Match(c.url, c.use)
		got := ""
		if ok {
			got = k.Name
		}
		if got != c.want {
			t.Errorf("Match(%q, %v) = %q, want %q", c.url, c.use, got, c.want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := openUnlocked(t, testConfig(afero.NewMemMapFs()), passphrase)
	addAll(t, s)
	done := make(chan error, 8)
	for i := range 8 {
		go func() {
			var err error
			for j := range 20 {
				switch (i + j) % 4 {
				case 0:
					_, err = s.Add(Key{Name: fmt.Sprintf("k%d-%d", i, j), Kind: KindHTTP, Prefix: "https://h/", Secret: "t"})
				case 1:
					_, _ = s.Match("s3://results/x", Input)
				case 2:
					_, err = s.List()
				case 3:
					_, err = s.Get("bucket")
				}
				if err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	keys, _ := s.List()
	if len(keys) != 3+8*5 {
		t.Fatalf("%d keys after concurrent adds", len(keys))
	}
	s2 := openUnlocked(t, s.cfg, passphrase)
	if k2, _ := s2.List(); len(k2) != len(keys) {
		t.Fatalf("file holds %d keys, memory %d", len(k2), len(keys))
	}
}
