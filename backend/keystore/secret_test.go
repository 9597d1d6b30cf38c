package keystore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

func TestSecretNeverPrints(t *testing.T) {
	sec := Secret(s3Secret)
	k := sampleKeys()[0]
	var logBuf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logBuf, nil))
	log.Info("key", "secret", sec, "key", k)
	log2 := slog.New(slog.NewTextHandler(&logBuf, nil))
	log2.Info("key", "secret", sec, "key", k, "ptr", &k)
	j, _ := json.Marshal(k)
	jp, _ := json.Marshal(&k)
	js, _ := json.Marshal(map[string]any{"s": sec, "keys": []Key{k}})
	outs := []string{
		fmt.Sprint(sec), fmt.Sprintf("%v %s %q %x %X %d %+v %#v %10s %-8v", sec, sec, sec, sec, sec, sec, sec, sec, sec, sec),
		fmt.Sprintf("%v %+v %#v %s", k, k, k, k), fmt.Sprintf("%v %+v %#v", &k, &k, &k),
		fmt.Sprintf("%+v", struct{ K Key }{k}), fmt.Sprintf("%#v", []Key{k}),
		string(j), string(jp), string(js), logBuf.String(),
		k.Credentials().String(), fmt.Sprintf("%+v", k.Credentials()),
	}
	for i, o := range outs {
		if strings.Contains(o, s3Secret) {
			t.Errorf("output %d shows the secret: %s", i, o)
		}
	}
	if sec.String() != Mask || Secret("").String() != "" {
		t.Errorf("String = %q", sec.String())
	}
	var view map[string]any
	if err := json.Unmarshal(j, &view); err != nil {
		t.Fatal(err)
	}
	if view["secret"] != Mask || view["hasSecret"] != true || view["accessKey"] != "AKIDEXAMPLE" || view["target"] != "s3://results/" {
		t.Errorf("UI view = %v", view)
	}
}

func TestCredentialsApply(t *testing.T) {
	keys := map[string]Key{}
	for _, k := range append(sampleKeys(),
		Key{Name: "basic", Kind: KindHTTP, Scheme: SchemeBasic, Username: "ana", Prefix: "https://api.example.com/", Secret: "pw"},
		Key{Name: "apikey", Kind: KindHTTP, Scheme: SchemeHeader, Header: "X-API-Key", Prefix: "https://api.example.com/", Secret: "k123"},
	) {
		if err := k.Normalize(); err != nil {
			t.Fatal(err)
		}
		keys[k.Name] = k
	}
	apply := func(name, url string) (*http.Request, error) {
		k := keys[name]
		req, _ := http.NewRequest("GET", url, nil)
		return req, k.Credentials().Apply(req)
	}
	if r, err := apply("zoo", "https://zoo.example.com/ogc-api/processes"); err != nil || r.Header.Get("Authorization") != "Bearer "+httpSecret {
		t.Errorf("bearer: %v %q", err, r.Header.Get("Authorization"))
	}
	if r, err := apply("basic", "https://api.example.com/x"); err != nil || r.Header.Get("Authorization") != "Basic YW5hOnB3" {
		t.Errorf("basic: %v %q", err, r.Header.Get("Authorization"))
	}
	if r, err := apply("apikey", "https://api.example.com/x"); err != nil || r.Header.Get("X-API-Key") != "k123" {
		t.Errorf("header: %v", err)
	}
	if r, err := apply("drive", "https://drive.example.com/dav/a"); err != nil || !strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
		t.Errorf("webdav: %v", err)
	}
	r, err := apply("bucket", "https://s3.example.com/results/a.tif")
	if err != nil || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || r.Header.Get("X-Amz-Date") == "" {
		t.Errorf("s3 sigv4: %v %q", err, r.Header.Get("Authorization"))
	}
	for _, c := range []struct{ key, url string }{
		{"zoo", "https://evil.example.net/ogc-api/processes"},
		{"zoo", "http://zoo.example.com/ogc-api/processes"},
		{"bucket", "https://other.example.com/results/a"},
		{"apikey", "https://api.example.com.evil.net/"},
	} {
		r, err := apply(c.key, c.url)
		if err == nil || len(r.Header) != 0 {
			t.Errorf("%s applied to %s: %v %v", c.key, c.url, err, r.Header)
		}
	}
}

func TestStoreAuthorizer(t *testing.T) {
	s := openUnlocked(t, testConfig(afero.NewMemMapFs()), passphrase)
	addAll(t, s)
	auth := s.Authorizer(Download)
	get := func(u string) *http.Request {
		req, _ := http.NewRequest("GET", u, nil)
		if err := auth.Apply(req); err != nil {
			t.Fatalf("Apply(%s): %v", u, err)
		}
		return req
	}
	if a := get("https://drive.example.com/dav/out/r.tif").Header.Get("Authorization"); !strings.HasPrefix(a, "Basic ") {
		t.Errorf("WebDAV download not authorised: %q", a)
	}
	if a := get("https://s3.example.com/results/x.tif").Header.Get("Authorization"); !strings.HasPrefix(a, "AWS4-HMAC-SHA256") {
		t.Errorf("S3 https download not signed: %q", a)
	}
	if h := get("https://s3.example.com/results/x.tif?X-Amz-Signature=abc&X-Amz-Credential=x").Header; len(h) != 0 {
		t.Errorf("presigned URL got credentials too: %v", h)
	}
	if h := get("https://elsewhere.example.org/file").Header; len(h) != 0 {
		t.Errorf("unmatched URL got credentials: %v", h)
	}
}
