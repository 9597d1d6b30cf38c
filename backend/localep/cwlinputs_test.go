//go:build unix

package localep

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	xwebdav "golang.org/x/net/webdav"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/backend/transfer/s3/s3test"
	"github.com/geojobs/geojobs/backend/transfer/webdav"
)

const (
	s3Access = "AKIALOCALEPTEST"
	s3Secret = "localep-s3-secret"
	davUser  = "ana"
	davPass  = "localep-dav-password"
	apiToken = "localep-api-token"
)

// privateStores are an S3 server (gofakes3 behind a SigV4 check), a WebDAV share
// (basic authentication) and an http server that wants a bearer token, each holding
// some files, and a keystore with a key for each; mux is the download drivers the app
// gives the built-in endpoint.
func privateStores(t *testing.T) (mux *transfer.Mux, s3URL, davURL, apiURL string) {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket("inputs"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(s3test.SigV4(map[string]string{s3Access: s3Secret}, gofakes3.New(be).Server()))
	t.Cleanup(s3srv.Close)
	bucketKey := keystore.Key{Name: "bucket", Kind: keystore.KindS3, Endpoint: s3srv.URL, Region: "us-east-1", Bucket: "inputs", PathStyle: true, AccessKey: s3Access, Secret: s3Secret}
	up, err := s3.New(&bucketKey, s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for key, body := range map[string]string{"notes/note.txt": "a note from s3\n", "scenes/a.tif": "scene a", "scenes/sub/b.tif": "scene b"} {
		if _, err := up.Upload(context.Background(), key, bytes.NewReader([]byte(body)), int64(len(body)), "application/octet-stream"); err != nil {
			t.Fatal(err)
		}
	}

	fs := xwebdav.NewMemFS()
	ctx := context.Background()
	for _, d := range []string{"/share", "/share/run", "/share/run/deep"} {
		if err := fs.Mkdir(ctx, d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{"/share/run/x.txt": "dav x", "/share/run/deep/y.txt": "dav y"} {
		f, err := fs.OpenFile(ctx, name, 0o2|0o100, 0o644) // O_RDWR|O_CREATE
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, body)
		f.Close()
	}
	dav := &xwebdav.Handler{FileSystem: fs, LockSystem: xwebdav.NewMemLS()}
	davSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != davUser || p != davPass {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		dav.ServeHTTP(w, r)
	}))
	t.Cleanup(davSrv.Close)

	docs := map[string]string{
		"/private/out/catalog.json": `{"type":"Catalog","id":"out","stac_version":"1.0.0","description":"d","links":[{"rel":"item","href":"./S2/S2.json"}]}`,
		"/private/out/S2/S2.json":   `{"type":"Feature","stac_version":"1.0.0","id":"S2","geometry":null,"properties":{},"links":[],"assets":{"data":{"href":"./mask.tif"}}}`,
		"/private/out/S2/mask.tif":  "mask bytes",
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+apiToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		d, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, d)
	}))
	t.Cleanup(api.Close)

	keys, err := keystore.Open(keystore.Config{Dir: t.TempDir(), Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Unlock("passphrase"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []keystore.Key{
		bucketKey,
		{Name: "drive", Kind: keystore.KindWebDAV, Endpoint: davSrv.URL + "/share/", Username: davUser, Secret: davPass},
		{Name: "api", Kind: keystore.KindHTTP, Prefix: api.URL + "/private/", Secret: apiToken},
	} {
		if _, err := keys.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	// The drivers as the app builds them (webapp buildResults).
	mux = transfer.NewMux()
	h := httpget.New(httpget.Options{Auth: keys.Authorizer(keystore.Download)})
	mux.Register("http", h)
	mux.Register("https", h)
	mux.Register("s3", s3.StoreSource(keys, s3.Options{}))
	ds := webdav.StoreSource(keys, webdav.Options{})
	mux.Register("dav", ds)
	mux.Register("davs", ds)
	return mux, "s3://inputs/", "dav://" + strings.TrimPrefix(davSrv.URL, "http://") + "/share/", api.URL + "/private/"
}

// File and Directory inputs given by reference are staged with the keystore's keys
// before cwltool runs: a File on S3, a folder of a WebDAV share and one of an S3
// bucket (listed), and a STAC catalog behind a bearer token.
func TestPackageInputsByReference(t *testing.T) {
	mux, s3URL, davURL, apiURL := privateStores(t)
	e := newEnv(t, nil, func(o *Options) {
		o.CWL = CWLOptions{Containers: "none", WorkDir: t.TempDir(), Keep: KeepNone}
		o.Inputs = mux
	})
	deployFile(t, e, "stager.cwl")
	id := e.submit("stager", map[string]any{"inputs": map[string]any{
		"note":    map[string]any{"href": s3URL + "notes/note.txt"},
		"share":   map[string]any{"href": davURL + "run/"},
		"bucket":  s3URL + "scenes",
		"catalog": map[string]any{"href": apiURL + "out/catalog.json"},
	}})
	st := e.waitJob(id)
	if st.Status != ogcapi.StatusSuccessful {
		t.Fatalf("job %s: %s\n%s", st.Status, st.Message, e.do("GET", "/jobs/"+id+"/log", nil).body)
	}
	var fc stacResult
	e.do("GET", "/jobs/"+id+"/results/listing", nil).json(t, &fc.Value)
	if len(fc.Value.Features) != 1 {
		t.Fatalf("listing: %+v", fc)
	}
	var listing string
	for _, a := range fc.Value.Features[0].Assets {
		listing = string(e.do("GET", strings.TrimPrefix(a.Href, e.base), nil).body)
	}
	want := "a note from s3\n" +
		"== 1-run\n./deep/y.txt: dav y\n./x.txt: dav x\n" +
		"== 1-scenes\n./a.tif: scene a\n./sub/b.tif: scene b\n" +
		"== 1-out\n./S2/S2.json: {\n./S2/mask.tif: mask bytes\n./catalog.json: {\n"
	if listing != want {
		t.Errorf("listing:\n%s\nwant:\n%s", listing, want)
	}

	// Without a key, or for something that is not a folder nor a catalog, the job
	// fails with the reason, and cwltool does not run.
	for in, reason := range map[string]string{
		"share":   "folders cannot be listed",
		"catalog": "WebDAV",
	} {
		inputs := map[string]any{"note": s3URL + "notes/note.txt", "share": davURL + "run/", "bucket": s3URL + "scenes", "catalog": apiURL + "out/catalog.json"}
		switch in {
		case "share":
			inputs["share"] = apiURL + "out/"
		case "catalog":
			inputs["catalog"] = "dav://elsewhere.example/out/"
		}
		id := e.submit("stager", map[string]any{"inputs": inputs})
		st := e.waitJob(id)
		log := string(e.do("GET", "/jobs/"+id+"/log", nil).body)
		if st.Status != ogcapi.StatusFailed || !strings.Contains(st.Message, reason) || strings.Contains(log, "running /usr/bin/cwltool") {
			t.Errorf("%s: %s %q\n%s", in, st.Status, st.Message, log)
		}
	}
}
