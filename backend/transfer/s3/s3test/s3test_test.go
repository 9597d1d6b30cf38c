package s3test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7/pkg/signer"
)

const (
	access = "AKIAS3TEST"
	secret = "s3test-secret"
	region = "eu-central-1"
)

func serve(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(SigV4(map[string]string{access: secret}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "through")
	})))
	t.Cleanup(ts.Close)
	return ts
}

// do sends r and returns the status and the S3 error code, or "through".
func do(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if i := strings.Index(body, "<Code>"); i >= 0 {
		body = body[i+len("<Code>"):]
		body, _, _ = strings.Cut(body, "</Code>")
	}
	return resp.StatusCode, body
}

func request(t *testing.T, ts *httptest.Server, target string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", ts.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	return r
}

func TestSigV4(t *testing.T) {
	ts := serve(t)
	const target = "/results/run%201/scene.tif?list-type=2&prefix=a+b"
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"header signed", func() *http.Request {
			return signer.SignV4(*request(t, ts, target), access, secret, "", region)
		}, 200, "through"},
		{"presigned", func() *http.Request {
			r := request(t, ts, target)
			r.Header.Del("X-Amz-Content-Sha256")
			return signer.PreSignV4(*r, access, secret, "", region, 60)
		}, 200, "through"},
		{"unsigned", func() *http.Request { return request(t, ts, target) }, 403, "AccessDenied"},
		{"unknown access key", func() *http.Request {
			return signer.SignV4(*request(t, ts, target), "AKIAOTHER", secret, "", region)
		}, 403, "InvalidAccessKeyId"},
		{"wrong secret", func() *http.Request {
			return signer.SignV4(*request(t, ts, target), access, "not-the-secret", "", region)
		}, 403, "SignatureDoesNotMatch"},
		{"tampered presigned URL", func() *http.Request {
			r := request(t, ts, target)
			r.Header.Del("X-Amz-Content-Sha256")
			r = signer.PreSignV4(*r, access, secret, "", region, 60)
			r.URL.Path = "/results/other.tif"
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"expired presigned URL", func() *http.Request {
			r := request(t, ts, target)
			r.Header.Del("X-Amz-Content-Sha256")
			r = signer.PreSignV4(*r, access, secret, "", region, 60)
			q := r.URL.Query()
			q.Set("X-Amz-Date", "20200101T000000Z")
			r.URL.RawQuery = q.Encode()
			return r
		}, 403, "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code := do(t, tc.req())
			if status != tc.status || code != tc.code {
				t.Errorf("got %d %s, want %d %s", status, code, tc.status, tc.code)
			}
		})
	}
}
