package cmd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/geojobs/geojobs/backend/config"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keyscmd"
	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/backend/transfer/s3/s3test"
)

const (
	dlAccess = "AKIACLIDOWNLOAD"
	dlSecret = "cli-s3-secret-LEAK-CANARY"
	dlPass   = "cli keystore passphrase"
	dlJob    = "bfafdb8e-902c-11ef-a29c-8e55bd0a3308"
)

// s3World is a gofakes3 bucket "results" behind a SigV4 check holding the two
// water-bodies masks of the ZOO results, and a data dir whose passphrase keystore
// has the S3 key for the bucket.
func s3World(t *testing.T) (dataDir string, objects map[string][]byte) {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket("results"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s3test.SigV4(map[string]string{dlAccess: dlSecret}, gofakes3.New(be).Server()))
	t.Cleanup(ts.Close)
	dataDir = t.TempDir()
	keys, err := keystore.Open(keystore.Config{Dir: dataDir, Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Unlock(dlPass); err != nil {
		t.Fatal(err)
	}
	k, err := keys.Add(keystore.Key{Name: "zoo-results", Kind: keystore.KindS3, Endpoint: ts.URL, Bucket: "results",
		PathStyle: true, AccessKey: dlAccess, Secret: dlSecret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s3.New(k, s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	objects = map[string][]byte{}
	for _, scene := range []string{"S2B_10TFK_20210713_0_L2A", "S2A_10TFK_20220524_0_L2A"} {
		key := dlJob + "/" + dlJob + "/" + scene + "/otsu.tif"
		b := bytes.Repeat([]byte(scene), 5000)
		if _, err := c.Upload(context.Background(), key, bytes.NewReader(b), int64(len(b)), "image/tiff"); err != nil {
			t.Fatal(err)
		}
		objects["s3://results/"+key] = b
	}
	keys.Lock()
	return dataDir, objects
}

// zooResults is the ZOO-Project's results document of a water-bodies job (inline
// stac_catalog with s3:// assets).
func zooResults(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../backend/export/testdata/job-results.stac_catalog-inline.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// geojobs download of s3:// assets reads them with the keystore's key, unlocked by
// GEOJOBS_KEYSTORE_PASSPHRASE; without it, it says to unlock the keystore.
func TestDownloadS3WithKeystore(t *testing.T) {
	dataDir, objects := s3World(t)
	dir := t.TempDir()
	var doc struct {
		Catalog struct {
			Value json.RawMessage `json:"value"`
		} `json:"stac_catalog"`
	}
	if err := json.Unmarshal(zooResults(t), &doc); err != nil {
		t.Fatal(err)
	}
	// One asset with a file:checksum, to be verified.
	ic := strings.Replace(string(doc.Catalog.Value), `"roles": [`, `"file:checksum": "`+sumOf(objects["s3://results/"+dlJob+"/"+dlJob+"/S2B_10TFK_20210713_0_L2A/otsu.tif"])+`", "roles": [`, 1)
	fc := filepath.Join(dir, "fc.json")
	if err := os.WriteFile(fc, []byte(ic), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")

	t.Setenv(keyscmd.PassphraseEnv, "")
	code, msg := runCLI(t, "geojobs", "--data-dir", dataDir, "download", fc, "-d", out, "-q")
	if code != downloadFailed || !strings.Contains(msg, "Unlock the keystore to download s3://results/"+dlJob) {
		t.Fatalf("locked keystore: exit %d: %s", code, msg)
	}

	t.Setenv(keyscmd.PassphraseEnv, dlPass)
	code, msg = runCLI(t, "geojobs", "--data-dir", dataDir, "download", fc, "-d", out)
	if code != 0 || !strings.Contains(msg, "2 of 2 file(s)") {
		t.Fatalf("download: exit %d: %s", code, msg)
	}
	if strings.Contains(msg, dlSecret) || strings.Contains(msg, dlPass) {
		t.Fatal("a secret on stderr")
	}
	for href, want := range objects {
		scene := strings.Split(href, "/")[5]
		got, err := os.ReadFile(filepath.Join(out, scene, "otsu.tif"))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, %v", scene, len(got), err)
		}
	}
}

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return multihash.Encode(multihash.SHA2_256, s[:])
}

// geojobs download JOB for a job whose results were never turned into STAC: they are
// fetched from the job's endpoint (a ZOO-like server), stored, and downloaded.
func TestDownloadJobFetchesResults(t *testing.T) {
	dataDir, objects := s3World(t)
	results := zooResults(t)
	ogc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/ogc-api/jobs/" + dlJob + "/results":
			w.Write(results)
		case "/ogc-api/", "/ogc-api":
			w.Write([]byte(`{"links":[{"rel":"http://www.opengis.net/def/rel/ogc/1.0/conformance","href":"/ogc-api/conformance"}]}`))
		case "/ogc-api/conformance":
			w.Write([]byte(`{"conformsTo":["http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core"]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ogc.Close)
	ctx := context.Background()
	st, err := store.Open(config.Paths{Root: dataDir}.Database())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateEndpoint(ctx, store.Endpoint{ID: "zoo", Title: "ZOO", URL: ogc.URL + "/ogc-api/"}); err != nil {
		t.Fatal(err)
	}
	j, err := st.CreateJob(ctx, store.NewJob{EndpointID: "zoo", ProcessID: "water-bodies", Status: ogcapi.StatusSuccessful,
		RemoteID: dlJob, URL: ogc.URL + "/ogc-api/jobs/" + dlJob})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetResults(ctx, j.ID, json.RawMessage(`{}`), "", time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	t.Setenv(keyscmd.PassphraseEnv, dlPass)
	out := filepath.Join(t.TempDir(), "out")
	code, msg := runCLI(t, "geojobs", "--data-dir", dataDir, "download", j.ID, "-d", out, "-q")
	if code != 0 {
		t.Fatalf("download %s: exit %d: %s", j.ID, code, msg)
	}
	for href, want := range objects {
		scene := strings.Split(href, "/")[5]
		if got, err := os.ReadFile(filepath.Join(out, scene, "otsu.tif")); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v", scene, err)
		}
	}
	st, _ = store.Open(config.Paths{Root: dataDir}.Database())
	defer st.Close()
	if raw, _, err := st.Items(ctx, j.ID); err != nil || raw == nil {
		t.Errorf("the results were not stored: %v", err)
	}
}
