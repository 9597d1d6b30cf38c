package stackeys

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/stacsearch"
	"github.com/geojobs/geojobs/backend/transfer/s3/s3test"
)

const (
	accessKey = "AKIAGEOJOBSTEST"
	secretKey = "s3-secret-for-stackeys"
)

// A static catalog in a private bucket (in-memory S3 behind a SigV4 check) is crawled
// through the keystore's S3 key: every document by a presigned URL.
func TestS3CatalogThroughKeystore(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("private"); err != nil {
		t.Fatal(err)
	}
	root := "../testdata/static/pystac-v1.9.0-example-catalog"
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		_, err = be.PutObject("private", "stac/"+filepath.ToSlash(rel), map[string]string{}, bytes.NewReader(b), int64(len(b)), nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(s3test.SigV4(map[string]string{accessKey: secretKey}, gofakes3.New(be).Server()))
	defer ts.Close()

	st, err := keystore.Open(keystore.Config{Fs: afero.NewMemMapFs(), Dir: "/data", Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Unlock("pass"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Add(keystore.Key{Name: "private", Kind: keystore.KindS3, AccessKey: accessKey, Secret: secretKey,
		Bucket: "private", Region: "eu-central-1", Endpoint: ts.URL, PathStyle: true}); err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{"", "private"} { // matched by URL, and named
		c := &stacsearch.Client{HTTP: ts.Client()}
		if err := Authorize(c, st, name, ts.Client().Transport); err != nil {
			t.Fatal(err)
		}
		cat, err := c.OpenCatalog("s3://private/stac/catalog.json")
		if err != nil {
			t.Fatal(err)
		}
		ic, err := stacsearch.Search(context.Background(), cat, stacsearch.Params{}, 0, nil)
		if err != nil {
			t.Fatalf("key %q: %v", name, err)
		}
		if len(ic.Features) != 4 || !strings.HasPrefix(stacsearch.ItemURL(ic.Features[0]), "s3://private/stac/landsat-8-l1/") {
			t.Fatalf("key %q: %d items, first at %s", name, len(ic.Features), stacsearch.ItemURL(ic.Features[0]))
		}
	}

	// No key for another bucket: refused before any request.
	c := &stacsearch.Client{HTTP: ts.Client()}
	if err := Authorize(c, st, "", ts.Client().Transport); err != nil {
		t.Fatal(err)
	}
	cat, _ := c.OpenCatalog("s3://elsewhere/catalog.json")
	if _, err := stacsearch.Search(context.Background(), cat, stacsearch.Params{}, 0, nil); !errors.Is(err, stac.ErrPermissionDenied) {
		t.Errorf("other bucket: %v", err)
	}
	// A wrong secret is refused by the server.
	if _, err := st.Add(keystore.Key{Name: "wrong", Kind: keystore.KindS3, AccessKey: accessKey, Secret: "not-it",
		Bucket: "private", Region: "eu-central-1", Endpoint: ts.URL, PathStyle: true}); err != nil {
		t.Fatal(err)
	}
	c = &stacsearch.Client{HTTP: ts.Client()}
	if err := Authorize(c, st, "wrong", ts.Client().Transport); err != nil {
		t.Fatal(err)
	}
	cat, _ = c.OpenCatalog("s3://private/stac/catalog.json")
	if _, err := stacsearch.Search(context.Background(), cat, stacsearch.Params{}, 0, nil); !errors.Is(err, stac.ErrPermissionDenied) {
		t.Errorf("wrong secret: %v", err)
	}
}
