package export

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"golang.org/x/net/webdav"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/backend/transfer/s3/s3test"
	"github.com/geojobs/geojobs/internal/waitfor"
)

const (
	access  = "AKIAEXPORTTEST"
	secret  = "export-s3-secret-never-shown"
	davUser = "ana"
	davPass = "dav-export-password"
	region  = "us-east-1"
)

// world is the parts of an export: an S3 server (gofakes3 behind a SigV4 check)
// holding the ZOO water-bodies results under s3://results/ and an "exports" bucket,
// a keystore with a key for each, and the transfer Mux the app uses.
type world struct {
	s3    *httptest.Server
	be    *s3mem.Backend
	keys  *keystore.Store
	mux   *transfer.Mux
	ic    *stac.ItemCollection
	files map[string][]byte // by s3:// href
}

func newWorld(t *testing.T) *world {
	t.Helper()
	be := s3mem.New()
	for _, b := range []string{"results", "exports"} {
		if err := be.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(s3test.SigV4(map[string]string{access: secret}, gofakes3.New(be).Server()))
	t.Cleanup(ts.Close)
	keys, err := keystore.Open(keystore.Config{Dir: t.TempDir(), Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Unlock("passphrase"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []keystore.Key{
		{Name: "zoo-results", Kind: keystore.KindS3, Endpoint: ts.URL, Region: region, Bucket: "results", PathStyle: true, AccessKey: access, Secret: secret},
		{Name: "my-bucket", Kind: keystore.KindS3, Endpoint: ts.URL, Region: region, Bucket: "exports", Prefix: "geojobs", PathStyle: true, AccessKey: access, Secret: secret},
	} {
		if _, err := keys.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile("testdata/job-results.stac_catalog-inline.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Catalog struct {
			Value json.RawMessage `json:"value"`
		} `json:"stac_catalog"`
	}
	ic := new(stac.ItemCollection)
	if err := json.Unmarshal(raw, &doc); err != nil || json.Unmarshal(doc.Catalog.Value, ic) != nil || len(ic.Features) != 2 {
		t.Fatalf("fixture: %v", err)
	}
	w := &world{s3: ts, be: be, keys: keys, ic: ic, files: map[string][]byte{}}
	rk, _ := keys.Get("zoo-results")
	up, err := s3.New(rk, s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range ic.Features {
		a := it.Assets["data"]
		b := make([]byte, 200<<10+len(it.ID))
		_, _ = rand.Read(b)
		_, key, _ := s3.ParseURL(a.Href)
		if _, err := up.Upload(context.Background(), key, bytes.NewReader(b), int64(len(b)), "image/tiff"); err != nil {
			t.Fatal(err)
		}
		w.files[a.Href] = b
	}
	w.mux = transfer.NewMux()
	w.mux.Register("s3", s3.StoreSource(keys, s3.Options{}))
	return w
}

func (w *world) exporter(t *testing.T) *Exporter {
	t.Helper()
	e, err := New(Options{Sources: w.mux})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func wait(t *testing.T, e *Exporter, job string) Progress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	p, err := e.Wait(ctx, job)
	if err != nil {
		t.Fatalf("export did not end: %+v", p)
	}
	return p
}

func object(t *testing.T, be *s3mem.Backend, bucket, key string) []byte {
	t.Helper()
	o, err := be.GetObject(bucket, key, nil)
	if err != nil {
		t.Fatalf("s3://%s/%s: %v", bucket, key, err)
	}
	defer o.Contents.Close()
	b, _ := io.ReadAll(o.Contents)
	return b
}

// The ZOO water-bodies results (s3:// assets on the server's bucket) exported to the
// user's bucket: streamed, verified, and described by a catalog whose relative hrefs
// lead to the copies.
func TestExportS3ToS3(t *testing.T) {
	w := newWorld(t)
	e := w.exporter(t)
	k, _ := w.keys.Get("my-bucket")
	dest, err := Open(k, "/water-bodies/run 1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if dest.String() != "s3://exports/geojobs/water-bodies/run 1/" {
		t.Errorf("destination %s", dest)
	}
	var reports int
	e.o.OnProgress = func(Progress) { reports++ }
	n, err := e.Start("job-1", w.ic, nil, dest)
	if err != nil || n != 2 {
		t.Fatalf("Start = %d, %v", n, err)
	}
	if _, err := e.Start("job-1", w.ic, nil, dest); !errors.Is(err, ErrBusy) && err != nil {
		t.Fatalf("second Start while running = %v", err)
	}
	p := wait(t, e, "job-1")
	if p.Completed != 2 || p.Failed != 0 || p.Catalog != "s3://exports/geojobs/water-bodies/run 1/catalog.json" || p.CatalogError != "" {
		t.Fatalf("progress %+v", p)
	}
	if reports == 0 {
		t.Error("no progress reported")
	}
	if p.Size != p.Done || p.Size <= 400<<10 {
		t.Errorf("totals %d of %d", p.Done, p.Size)
	}
	base := "geojobs/water-bodies/run 1/"
	cat := object(t, w.be, "exports", base+"catalog.json")
	if err := stac.Validate(cat); err != nil {
		t.Fatalf("catalog: %v", err)
	}
	catURL, _ := url.Parse("s3://exports/" + base + "catalog.json")
	for _, f := range p.Files {
		if f.Checked != "size" || f.State != Done || !strings.HasSuffix(f.Name, "/otsu.tif") {
			t.Errorf("file %+v", f)
		}
	}
	// Follow the catalog to each item and each asset, as a reader of the export would.
	var c stac.Catalog
	_ = json.Unmarshal(cat, &c)
	items := 0
	for _, l := range c.Links {
		if l.Rel != "item" {
			continue
		}
		items++
		iu := catURL.ResolveReference(&url.URL{Path: l.Href})
		raw := object(t, w.be, "exports", strings.TrimPrefix(iu.Path, "/"))
		if err := stac.Validate(raw); err != nil {
			t.Fatalf("item %s: %v", l.Href, err)
		}
		var it stac.Item
		_ = json.Unmarshal(raw, &it)
		a := it.Assets["data"]
		au := iu.ResolveReference(&url.URL{Path: a.Href})
		got := object(t, w.be, "exports", strings.TrimPrefix(au.Path, "/"))
		var orig []byte
		for _, src := range w.ic.Features {
			if src.ID == it.ID {
				orig = w.files[src.Assets["data"].Href]
			}
		}
		sum := sha256.Sum256(orig)
		if !bytes.Equal(got, orig) || a.Checksum() != multihash.Encode(multihash.SHA2_256, sum[:]) {
			t.Errorf("asset of %s: %d bytes, checksum %s", it.ID, len(got), a.Checksum())
		}
		if n, _ := a.Size(); n != int64(len(orig)) || a.Extra["storage:endpoint"] != nil {
			t.Errorf("asset of %s: file:size %d, storage fields %v", it.ID, n, a.Extra)
		}
		for _, l := range it.Links {
			if strings.HasPrefix(l.Href, "s3://results") {
				t.Errorf("item %s still links to the server's catalog: %+v", it.ID, l)
			}
		}
	}
	if items != 2 {
		t.Errorf("%d items in the catalog", items)
	}
	// The job's own results are not changed.
	if !strings.HasPrefix(w.ic.Features[0].Assets["data"].Href, "s3://results/") {
		t.Error("the results were changed")
	}
}

// davServer is an x/net/webdav share behind basic authentication; truncate makes it
// keep only the first half of every uploaded file (a broken server or proxy).
func davServer(t *testing.T, truncate bool) (*httptest.Server, webdav.FileSystem) {
	t.Helper()
	fs := webdav.NewMemFS()
	h := &webdav.Handler{FileSystem: fs, LockSystem: webdav.NewMemLS()}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != davUser || p != davPass {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if truncate && r.Method == http.MethodPut && r.ContentLength > 1 {
			r.Body = io.NopCloser(io.LimitReader(r.Body, r.ContentLength/2))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, fs
}

func davKey(t *testing.T, ts *httptest.Server) *keystore.Key {
	k := &keystore.Key{Name: "drive", Kind: keystore.KindWebDAV, Endpoint: ts.URL + "/", Username: davUser, Secret: davPass}
	if err := k.Normalize(); err != nil {
		t.Fatal(err)
	}
	return k
}

func davFile(t *testing.T, fs webdav.FileSystem, name string) []byte {
	t.Helper()
	f, err := fs.OpenFile(context.Background(), name, os.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return b
}

// One asset, selected, exported to a WebDAV share; an http asset with a file:checksum
// is verified against it while it streams.
func TestExportToWebDAV(t *testing.T) {
	w := newWorld(t)
	content := []byte("a GeoJSON of water bodies")
	sum := sha256.Sum256(content)
	web := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wrong.geojson" {
			rw.Write([]byte("not what the catalog says"))
			return
		}
		rw.Write(content)
	}))
	t.Cleanup(web.Close)
	h := transfer.DefaultMux(nil)
	src, _ := h.Source(&url.URL{Scheme: "http"})
	w.mux.Register("http", src)
	it := w.ic.Features[0]
	vec := stac.Asset{Href: web.URL + "/vectors.geojson", Type: "application/geo+json", Roles: []string{"data"}}
	vec.Set("file:checksum", multihash.Encode(multihash.SHA2_256, sum[:]))
	it.Assets["vectors"] = vec
	bad := stac.Asset{Href: web.URL + "/wrong.geojson", Type: "application/geo+json"}
	bad.Set("file:checksum", multihash.Encode(multihash.SHA2_256, sum[:]))
	it.Assets["wrong"] = bad

	dav, fs := davServer(t, false)
	dest, err := Open(davKey(t, dav), "exports/job-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	e := w.exporter(t)
	refs := []results.AssetRef{{Item: it.ID, Asset: "vectors"}, {Item: it.ID, Asset: "data"}, {Item: it.ID, Asset: "wrong"}}
	if n, err := e.Start("job-2", w.ic, refs, dest); n != 3 || err != nil {
		t.Fatalf("Start = %d %v", n, err)
	}
	p := wait(t, e, "job-2")
	if p.Completed != 2 || p.Failed != 1 || p.CatalogError != "" {
		t.Fatalf("progress %+v", p)
	}
	for _, f := range p.Files {
		switch f.Asset {
		case "vectors":
			if f.Checked != "size, checksum" || f.URL != dav.URL+"/exports/job-2/"+f.Name {
				t.Errorf("vectors: %+v", f)
			}
		case "wrong":
			if f.State != Failed || f.Code != transfer.DataLoss || !strings.Contains(f.Error, "file:checksum") {
				t.Errorf("a wrong checksum: %+v", f)
			}
		}
	}
	folder := transfer.ItemFolder(it.ID)
	if got := davFile(t, fs, "/exports/job-2/"+folder+"/vectors.geojson"); !bytes.Equal(got, content) {
		t.Errorf("vectors on the share: %q", got)
	}
	if got := davFile(t, fs, "/exports/job-2/"+folder+"/otsu.tif"); !bytes.Equal(got, w.files[it.Assets["data"].Href]) {
		t.Errorf("otsu.tif on the share: %d bytes", len(got))
	}
	cat := davFile(t, fs, "/exports/job-2/catalog.json")
	if stac.Validate(cat) != nil || strings.Count(string(cat), `"rel": "item"`) != 1 {
		t.Fatalf("catalog:\n%s", cat)
	}
	item := davFile(t, fs, "/exports/job-2/"+folder+"/"+folder+".json")
	var got stac.Item
	if err := json.Unmarshal(item, &got); err != nil || stac.Validate(item) != nil {
		t.Fatal(err)
	}
	if got.Assets["vectors"].Href != "./vectors.geojson" || got.Assets["data"].Href != "./otsu.tif" ||
		got.Assets["wrong"].Href != web.URL+"/wrong.geojson" {
		t.Errorf("hrefs: %+v", got.Assets)
	}
}

// A share that keeps only part of each file: the export says so for every file.
func TestExportDetectsTruncatedUpload(t *testing.T) {
	w := newWorld(t)
	dav, _ := davServer(t, true)
	dest, err := Open(davKey(t, dav), "out", nil)
	if err != nil {
		t.Fatal(err)
	}
	e := w.exporter(t)
	if _, err := e.Start("job-3", w.ic, nil, dest); err != nil {
		t.Fatal(err)
	}
	p := wait(t, e, "job-3")
	if p.Completed != 0 || p.Failed != 2 || p.Catalog != "" || p.CatalogError == "" {
		t.Fatalf("progress %+v", p)
	}
	for _, f := range p.Files {
		if f.Code != transfer.DataLoss || !strings.Contains(f.Error, "Verification failed") || !strings.Contains(f.Error, "stored") {
			t.Errorf("file %+v", f)
		}
	}
}

// Keys not allowed for outputs, bad folders, and a locked keystore for the source.
func TestExportRefusals(t *testing.T) {
	w := newWorld(t)
	pub := &keystore.Key{Name: "public", Kind: keystore.KindS3, Endpoint: w.s3.URL, Bucket: "exports", Public: true, AccessKey: access, Secret: secret}
	_ = pub.Normalize()
	if _, err := Open(pub, "x", nil); !errors.Is(err, keystore.ErrNotAllowed) || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("public key: %v", err)
	}
	http := &keystore.Key{Name: "api", Kind: keystore.KindHTTP, Prefix: "https://example.org/", Secret: "t"}
	_ = http.Normalize()
	if _, err := Open(http, "x", nil); !errors.Is(err, keystore.ErrNotAllowed) {
		t.Errorf("http key: %v", err)
	}
	k, _ := w.keys.Get("my-bucket")
	for _, f := range []string{"../up", "a/../../b", "a//b"} {
		if _, err := Open(k, f, nil); !errors.Is(err, ErrFolder) {
			t.Errorf("folder %q: %v", f, err)
		}
	}
	every := *k
	every.Bucket, every.Prefix = "", ""
	if _, err := Open(&every, "", nil); !errors.Is(err, ErrFolder) {
		t.Errorf("a key for every bucket and no folder: %v", err)
	}
	if d, err := Open(&every, "exports/a", nil); err != nil || d.URL("f.tif") != "s3://exports/a/f.tif" {
		t.Errorf("a key for every bucket: %v %v", d, err)
	}

	dest, _ := Open(k, "locked", nil)
	w.keys.Lock()
	e := w.exporter(t)
	if _, err := e.Start("job-4", w.ic, nil, dest); err != nil {
		t.Fatal(err)
	}
	p := wait(t, e, "job-4")
	for _, f := range p.Files {
		if f.State != Failed || f.Code != driver.PermissionDenied || !strings.HasPrefix(f.Error, "Unlock the keystore to export s3://results/") {
			t.Errorf("locked: %+v", f)
		}
	}
	// file: hrefs from a results document are never exported.
	local := &stac.ItemCollection{Features: []*stac.Item{{Type: "Feature", StacVersion: stac.Version, ID: "x",
		Assets: map[string]stac.Asset{"a": {Href: "file:///etc/passwd"}}}}}
	if n, err := e.Start("job-5", local, nil, dest); n != 0 || err == nil {
		t.Errorf("file href: %d %v", n, err)
	}
}
