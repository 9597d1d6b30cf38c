package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer/s3/s3test"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const (
	accessKey = "AKIAGEOJOBSTEST"
	secretKey = "s3-secret-Zk93xQ-never-shown"
	region    = "eu-central-1"
)

// server is gofakes3 (in-memory S3) behind a SigV4 check (s3test), so a wrong
// secret or a broken presigned URL fails as it would on a real S3 server.
func server(t *testing.T) (*httptest.Server, *s3mem.Backend) {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket("results"); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(be)
	ts := httptest.NewTLSServer(s3test.SigV4(map[string]string{accessKey: secretKey}, fake.Server()))
	t.Cleanup(ts.Close)
	return ts, be
}

func testKey(ts *httptest.Server) *keystore.Key {
	k := &keystore.Key{Name: "results", Kind: keystore.KindS3, AccessKey: accessKey, Secret: secretKey,
		Bucket: "results", Region: region, Endpoint: ts.URL, PathStyle: true}
	if err := k.Normalize(); err != nil {
		panic(err)
	}
	return k
}

func put(t *testing.T, c *Client, key string, data []byte) {
	t.Helper()
	if _, err := c.Upload(context.Background(), key, bytes.NewReader(data), int64(len(data)), "application/octet-stream"); err != nil {
		t.Fatalf("upload %s: %v", key, err)
	}
}

func TestTestKey(t *testing.T) {
	ts, _ := server(t)
	ctx := context.Background()
	c, err := New(testKey(ts), Options{Transport: ts.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Test(ctx); err != nil {
		t.Fatalf("Test: %v", err)
	}

	wrong := testKey(ts)
	wrong.Secret = "not-the-secret"
	c2, _ := New(wrong, Options{Transport: ts.Client().Transport})
	err = c2.Test(ctx)
	if !errors.Is(err, keystore.ErrDenied) || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), "not-the-secret") {
		t.Fatal("error shows the secret")
	}

	unknown := testKey(ts)
	unknown.AccessKey = "AKIAUNKNOWN"
	c3, _ := New(unknown, Options{Transport: ts.Client().Transport})
	if err := c3.Test(ctx); !errors.Is(err, keystore.ErrDenied) || !strings.Contains(err.Error(), "InvalidAccessKeyId") {
		t.Fatalf("unknown access key: %v", err)
	}

	missing := testKey(ts)
	missing.Bucket = "no-such-bucket"
	c4, _ := New(missing, Options{Transport: ts.Client().Transport})
	if err := c4.Test(ctx); !errors.Is(err, keystore.ErrRemoteNotFound) || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("missing bucket: %v", err)
	}

	ts.Close()
	if err := c.Test(ctx); !errors.Is(err, keystore.ErrUnavailable) {
		t.Fatalf("server down: %v", err)
	}
}

func TestListStatRange(t *testing.T) {
	ts, _ := server(t)
	ctx := context.Background()
	c, _ := New(testKey(ts), Options{Transport: ts.Client().Transport})
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	put(t, c, "2025/run-1/result.tif", data)
	put(t, c, "2025/run-1/thumb.png", []byte("png"))
	put(t, c, "2025/run-2/result.tif", []byte("r2"))
	put(t, c, "readme.txt", []byte("hi"))

	objs, more, err := c.List(ctx, "2025/", ListOptions{})
	if err != nil || more {
		t.Fatalf("List: %v more=%v", err, more)
	}
	var names []string
	for _, o := range objs {
		names = append(names, fmt.Sprintf("%s:%v", o.Key, o.IsPrefix))
	}
	if strings.Join(names, ",") != "2025/run-1/:true,2025/run-2/:true" {
		t.Fatalf("folder listing = %v", names)
	}
	objs, _, err = c.List(ctx, "2025/run-1/", ListOptions{Recursive: true})
	if err != nil || len(objs) != 2 || objs[0].Key != "2025/run-1/result.tif" || objs[0].Size != int64(len(data)) {
		t.Fatalf("recursive = %+v %v", objs, err)
	}
	objs, more, err = c.List(ctx, "", ListOptions{Recursive: true, Limit: 2})
	if err != nil || !more || len(objs) != 2 {
		t.Fatalf("limited = %d more=%v %v", len(objs), more, err)
	}

	st, err := c.Stat(ctx, "2025/run-1/result.tif")
	if err != nil || st.Size != int64(len(data)) {
		t.Fatalf("Stat = %+v %v", st, err)
	}
	if _, err := c.Stat(ctx, "nope"); !errors.Is(err, keystore.ErrRemoteNotFound) {
		t.Fatalf("Stat missing = %v", err)
	}

	for _, rc := range []struct {
		off, n int64
		want   string
	}{{0, -1, string(data)}, {10, 5, "abcde"}, {30, -1, "uvwxyz"}, {0, 1, "0"}} {
		body, obj, err := c.Open(ctx, "2025/run-1/result.tif", rc.off, rc.n)
		if err != nil {
			t.Fatalf("Open(%d,%d): %v", rc.off, rc.n, err)
		}
		got, _ := io.ReadAll(body)
		body.Close()
		if string(got) != rc.want || obj.Size != int64(len(data)) {
			t.Errorf("Open(%d,%d) = %q size %d, want %q size %d", rc.off, rc.n, got, obj.Size, rc.want, len(data))
		}
	}
	if _, _, err := c.Open(ctx, "missing.tif", 0, -1); !errors.Is(err, keystore.ErrRemoteNotFound) {
		t.Fatalf("Open missing = %v", err)
	}
}

func TestPresign(t *testing.T) {
	ts, _ := server(t)
	ctx := context.Background()
	c, _ := New(testKey(ts), Options{Transport: ts.Client().Transport})
	put(t, c, "out/result file.tif", []byte("presigned content"))

	// No credentials: refused.
	resp, err := ts.Client().Get(ts.URL + "/results/out/result%20file.tif")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous GET = %d", resp.StatusCode)
	}

	u, err := c.Presign(ctx, "out/result file.tif", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if u.Query().Get("X-Amz-Expires") != "600" || strings.Contains(u.String(), secretKey) {
		t.Fatalf("presigned URL %s", u.Redacted())
	}
	resp, err = ts.Client().Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "presigned content" {
		t.Fatalf("presigned GET = %d %q", resp.StatusCode, body)
	}
	// A tampered URL fails the signature.
	q := u.Query()
	q.Set("X-Amz-Expires", "604800")
	u.RawQuery = q.Encode()
	resp, err = ts.Client().Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered presigned GET = %d", resp.StatusCode)
	}
	for _, d := range []time.Duration{0, 8 * 24 * time.Hour} {
		if _, err := c.Presign(ctx, "x", d); !errors.Is(err, keystore.ErrInvalid) {
			t.Errorf("Presign(%v) = %v", d, err)
		}
	}
}

func TestUploadVerified(t *testing.T) {
	ts, _ := server(t)
	ctx := context.Background()
	c, _ := New(testKey(ts), Options{Transport: ts.Client().Transport})
	small := []byte("small result")
	res, err := c.Upload(ctx, "exports/small.txt", bytes.NewReader(small), int64(len(small)), "text/plain")
	if err != nil || res.Verified != "etag" || res.Size != int64(len(small)) {
		t.Fatalf("small upload = %+v %v", res, err)
	}
	sum := sha256.Sum256(small)
	if res.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("SHA256 %s", res.SHA256)
	}

	// Multipart, streamed with unknown size.
	big := make([]byte, 11<<20+123)
	_, _ = rand.Read(big)
	cm, _ := New(testKey(ts), Options{PartSize: 5 << 20, Transport: ts.Client().Transport})
	res, err = cm.Upload(ctx, "exports/big.bin", io.MultiReader(bytes.NewReader(big)), -1, "")
	if err != nil || res.Verified != "etag" || res.Size != int64(len(big)) {
		t.Fatalf("multipart upload = %+v %v", res, err)
	}
	if !strings.HasSuffix(res.ETag, "-3") {
		t.Fatalf("multipart ETag %s", res.ETag)
	}
	body, _, err := cm.Open(ctx, "exports/big.bin", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(body)
	body.Close()
	if !bytes.Equal(got, big) {
		t.Fatal("multipart content differs")
	}

	// A short reader is caught.
	if _, err := c.Upload(ctx, "exports/short.txt", bytes.NewReader(small[:5]), int64(len(small)), ""); err == nil {
		t.Fatal("short upload accepted")
	}
}

func TestRejectsWrongKind(t *testing.T) {
	if _, err := New(&keystore.Key{Name: "d", Kind: keystore.KindWebDAV}, Options{}); !errors.Is(err, keystore.ErrInvalid) {
		t.Fatal(err)
	}
	b, k, err := ParseURL("s3://eodata/Sentinel-2/a.SAFE")
	if err != nil || b != "eodata" || k != "Sentinel-2/a.SAFE" {
		t.Fatalf("ParseURL = %q %q %v", b, k, err)
	}
}
