package runner

import (
	"errors"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/spf13/afero"
)

func TestEndpointKey(t *testing.T) {
	st, err := keystore.Open(keystore.Config{Fs: afero.NewMemMapFs(), Dir: "/data", Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Unlock("passphrase"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []keystore.Key{
		{Name: "zoo", Kind: keystore.KindHTTP, Prefix: "https://zoo.example.com/ogc-api/", Secret: "tok-zoo-CANARY"},
		{Name: "zoo-acme", Kind: keystore.KindHTTP, Prefix: "https://zoo.example.com/ogc-api/acme/", Secret: "tok-acme-CANARY"},
		{Name: "bucket", Kind: keystore.KindS3, AccessKey: "AK", Secret: "s3-CANARY", Bucket: "bk", Endpoint: "https://zoo.example.com"},
	} {
		if _, err := st.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		endpoint, name, want, errPart string
	}{
		{"https://zoo.example.com/ogc-api/acme/", "", "zoo-acme", ""}, // the longest prefix
		{"https://zoo.example.com/ogc-api/other", "", "zoo", ""},
		{"https://elsewhere.example.org/", "", "", ""},              // no match: no credentials
		{"https://zoo.example.com/ogc-api/acme/", "zoo", "zoo", ""}, // named wins
		{"https://elsewhere.example.org/", "zoo", "", "is for https://zoo.example.com/ogc-api/"},
		{"https://zoo.example.com/ogc-api/", "missing", "", "no such key"},
		{"https://zoo.example.com/ogc-api/", "bucket", "", "cannot authenticate to an endpoint"},
	}
	for _, c := range cases {
		k, err := EndpointKey(st, c.endpoint, c.name)
		if c.errPart != "" {
			var re *Error
			if !errors.As(err, &re) || re.Status != ExitUsage || !strings.Contains(err.Error(), c.errPart) {
				t.Errorf("%s %q: error %v, want one with %q", c.endpoint, c.name, err, c.errPart)
			}
			if err != nil && strings.Contains(err.Error(), "CANARY") {
				t.Errorf("error shows a secret: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", c.endpoint, c.name, err)
			continue
		}
		got := ""
		if k != nil {
			got = k.Name
		}
		if got != c.want {
			t.Errorf("%s %q: key %q, want %q", c.endpoint, c.name, got, c.want)
		}
	}
}
