package webapp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/keystore"
)

// TestKeystoreFlow drives the Keystore page and its uses through the real handlers
// with known secret values: create the keystore, add S3, EODATA, WebDAV and HTTP keys,
// test them against real servers, edit one without its secret, authenticate an
// endpoint, browse a bucket and presign an object from the execution form's picker,
// export a key for a service, lock and unlock. Then no secret may appear in any
// response, log line, database file or (in the clear) the keystore file.
func TestKeystoreFlow(t *testing.T) {
	s := startKeys(t)
	s3, be := s3Server(t, inputsBucket, keystore.EODATABucket)
	putObject(t, be, inputsBucket, "scenes/S2A_T32TLT.tif", "pixels of a scene")
	putObject(t, be, inputsBucket, "readme.txt", "hello")
	dav := davServer(t)
	ogc, ogcCalls := ogcServer(t)

	// 1. A new keystore asks for a passphrase, twice, and says when they differ.
	r := s.get("/keystore")
	expect(t, r, 200)
	if r.find("[data-testid=passphrase2]").Length() != 1 {
		t.Fatalf("a new keystore does not ask to repeat the passphrase:\n%s", r.body)
	}
	r = s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}, "passphrase2": {"something else"}})
	expect(t, r, 422)
	if e := r.find("[data-testid=error]"); !strings.Contains(e.Text(), "differ") || e.Find("strong").Text() != "The keystore was not created" {
		t.Errorf("mismatched passphrases: %q", r.find("[data-testid=error]").Text())
	}
	r = s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}, "passphrase2": {passphrase}})
	expect(t, r, 303)
	r = s.get("/keystore")
	expect(t, r, 200)
	if r.find("[data-testid=no-keys]").Length() != 1 {
		t.Fatalf("unlocked keystore page:\n%s", r.body)
	}

	// 2. Keys of every kind.
	add := func(v url.Values) {
		t.Helper()
		r := s.post("/keystore", v)
		expect(t, r, 303)
	}
	add(url.Values{"name": {"inputs"}, "kind": {"s3"}, "endpoint": {s3.URL}, "region": {s3Region}, "bucket": {inputsBucket},
		"access_key": {s3AccessKey}, "secret": {s3Secret}, "path_style": {"on"}})
	add(url.Values{"name": {"cdse"}, "kind": {"eodata"}, "endpoint": {s3.URL}, "access_key": {eoAccessKey}, "secret": {eoSecret}})
	add(url.Values{"name": {"drive"}, "kind": {"webdav"}, "endpoint": {dav.URL + "/"}, "username": {davUser}, "secret": {davPassword}})
	add(url.Values{"name": {"secured"}, "kind": {"http"}, "prefix": {ogc.URL + "/ogc/"}, "scheme": {"bearer"}, "secret": {bearerToken}})

	// A refused key says why and does not send the secret back.
	r = s.post("/keystore", url.Values{"name": {"bad name!"}, "kind": {"s3"}, "access_key": {"x"}, "secret": {s3Secret}})
	expect(t, r, 422)
	if !strings.Contains(r.find("[data-testid=error]").Text(), "name") || r.find("[data-testid=key-secret]").AttrOr("value", "") != "" {
		t.Errorf("refused key: %q", r.find("[data-testid=error]").Text())
	}
	r = s.post("/keystore", url.Values{"name": {"inputs"}, "kind": {"s3"}, "access_key": {"x"}, "secret": {"y1234"}})
	expect(t, r, 422)

	r = s.get("/keystore")
	if n := r.find("[data-testid=key]").Length(); n != 4 {
		t.Fatalf("%d keys listed, want 4", n)
	}
	if n := r.find("[data-testid=secret-mask]").Length(); n != 4 || r.find("[data-testid=secret-mask]").First().Text() != keystore.Mask {
		t.Errorf("%d masked secrets", n)
	}

	// 3. Test every key for real; a wrong secret gives the server's exact answer.
	for _, name := range []string{"inputs", "cdse", "drive", "secured"} {
		r = s.post("/keystore/keys/"+name+"/test", nil, htmx("key-test"))
		expect(t, r, 200)
		res := r.find("[data-testid=key-test-result]")
		if res.AttrOr("data-ok", "") != "true" {
			t.Errorf("test of %s: %s", name, res.Text())
		}
		if r.find("#main").Length() != 0 {
			t.Errorf("the test of %s re-rendered the page rather than its fragment", name)
		}
	}
	add(url.Values{"name": {"wrong"}, "kind": {"s3"}, "endpoint": {s3.URL}, "region": {s3Region}, "bucket": {inputsBucket},
		"access_key": {s3AccessKey}, "secret": {"not-the-secret"}, "path_style": {"on"}})
	r = s.post("/keystore/keys/wrong/test", nil)
	if res := r.find("[data-testid=key-test-result]"); res.AttrOr("data-ok", "") != "false" || !strings.Contains(res.Text(), "SignatureDoesNotMatch") {
		t.Errorf("test of a wrong secret: %q", res.Text())
	}
	expect(t, s.post("/keystore/keys/wrong/delete", nil), 303)
	expect(t, s.get("/keystore/keys/wrong"), 404)

	// 4. Edit without revealing: the form shows only the mask, and an edit that leaves
	// the secret empty keeps it.
	r = s.get("/keystore/keys/inputs/edit")
	expect(t, r, 200)
	if r.find("[data-testid=replace-secret] input[name=secret]").AttrOr("value", "x") != "" || r.find("[data-testid=secret-mask]").Length() != 1 {
		t.Errorf("edit form secret field:\n%s", r.find("[data-testid=secret-field]").Text())
	}
	expect(t, s.post("/keystore/keys/inputs", url.Values{"kind": {"s3"}, "endpoint": {s3.URL}, "region": {s3Region},
		"bucket": {inputsBucket}, "access_key": {s3AccessKey}, "secret": {""}, "path_style": {"on"}, "description": {"scenes to process"}}), 303)
	r = s.post("/keystore/keys/inputs/test", nil)
	if r.find("[data-testid=key-test-result]").AttrOr("data-ok", "") != "true" || !strings.Contains(r.body, "scenes to process") {
		t.Errorf("the secret did not survive an edit: %s", r.find("[data-testid=key-test-result]").Text())
	}

	// 5. The use rules, shown on the key and in the picker.
	r = s.get("/keystore/keys/cdse")
	if rule := r.find("[data-testid=rule][data-use=output]"); rule.AttrOr("data-allowed", "") != "false" || !strings.Contains(rule.Text(), "read-only") {
		t.Errorf("EODATA output rule: %q", rule.Text())
	}

	// 6. The endpoint authenticates with its key on every call.
	r = s.get("/endpoints/new")
	if opts := r.find("[data-testid=credential-key] option"); opts.Length() != 2 || opts.Last().AttrOr("value", "") != "secured" {
		t.Errorf("endpoint form offers keys %q", opts.Text())
	}
	r = s.post("/endpoints", url.Values{"title": {"Secured"}, "url": {ogc.URL + "/ogc/"}, "credential_key": {"secured"}})
	expect(t, r, 303)
	r = s.get(r.header.Get("Location"))
	expect(t, r, 200)
	if rep := r.find("[data-testid=report]"); rep.AttrOr("data-ok", "") != "true" {
		t.Fatalf("connection test with the key: %s", rep.Text())
	}
	if *ogcCalls < 2 {
		t.Errorf("the endpoint saw %d authorised calls", *ogcCalls)
	}

	// 7. The execution form's picker: its URLs name real controls of the form.
	r = s.get("/endpoints/local/processes/echo/execute")
	expect(t, r, 200)
	picker := r.find("[data-testid=input][data-input=hrefInput] [data-testid=bucket-picker]").First()
	pickURL := picker.AttrOr("hx-get", "")
	if pickURL == "" {
		t.Fatalf("no bucket picker on hrefInput:\n%s", r.find("[data-input=hrefInput]").Text())
	}
	pu, _ := url.Parse(pickURL)
	if id := pu.Query().Get("for"); r.find("#"+id).Length() != 1 || r.find("#"+id).AttrOr("name", "") != pu.Query().Get("name") {
		t.Errorf("picker target %q is not a control of the form", id)
	}
	target := "f-i0-0-href"
	q := url.Values{"for": {target}, "name": {"i0.0.href"}, "type": {"url"}}
	r = s.get("/keystore/pick?"+q.Encode(), htmx(target+"-pick"))
	expect(t, r, 200)
	if keys := r.find("[data-testid=pick-key]"); keys.Length() != 2 || r.find("[data-testid=pick-browse]").Length() != 2 {
		t.Errorf("picker keys %q", keys.Text())
	}
	q.Set("use", "output")
	r = s.get("/keystore/pick?" + q.Encode())
	if why := r.find("[data-testid=pick-key][data-key=cdse] [data-testid=pick-why]"); !strings.Contains(why.Text(), "EODATA keys are read-only") {
		t.Errorf("picking EODATA for an output: %q", why.Text())
	}
	q.Set("key", "cdse")
	r = s.get("/keystore/pick/browse?" + q.Encode())
	expect(t, r, 422)
	if !strings.Contains(r.find("[data-testid=error]").Text(), "read-only") {
		t.Errorf("browsing EODATA for an output: %q", r.find("[data-testid=error]").Text())
	}
	q.Del("use")
	q.Set("key", "inputs")
	r = s.get("/keystore/pick/browse?"+q.Encode(), htmx(target+"-pick"))
	expect(t, r, 200)
	if r.find("[data-testid=pick-folder]").Text() != "scenes/" || r.find("[data-testid=pick-use]").Text() != "readme.txt" {
		t.Errorf("bucket top: %q", r.find("[data-testid=browse]").Text())
	}
	q.Set("prefix", "scenes/")
	r = s.get("/keystore/pick/browse?" + q.Encode())
	if r.find("[data-testid=pick-object]").AttrOr("data-object", "") != "scenes/S2A_T32TLT.tif" {
		t.Errorf("scenes/: %q", r.find("[data-testid=browse]").Text())
	}
	q.Del("prefix")
	q.Set("object", "scenes/S2A_T32TLT.tif")
	q.Set("expiry", "3600")
	r = s.get("/keystore/pick/object?"+q.Encode(), htmx(target))
	expect(t, r, 200)
	picked := r.find("input[data-testid=picked]")
	signed := picked.AttrOr("value", "")
	if picked.AttrOr("id", "") != target || picked.AttrOr("name", "") != "i0.0.href" || !strings.Contains(signed, "X-Amz-Signature=") ||
		!strings.Contains(signed, "X-Amz-Expires=3600") {
		t.Fatalf("picked control %v", picked.Nodes)
	}
	if !strings.Contains(r.body, `hx-swap-oob`) || !strings.Contains(r.body, "1 hour") {
		t.Errorf("no note on the link's lifetime:\n%s", r.body)
	}
	// The presigned URL works without credentials; the bare object URL does not.
	if body := fetch(t, signed); body != "pixels of a scene" {
		t.Errorf("presigned URL gave %q", body)
	}
	bare, _ := url.Parse(signed)
	bare.RawQuery = ""
	if res, err := http.Get(bare.String()); err != nil || res.StatusCode != 403 {
		t.Errorf("unsigned object URL: %v %v", res.StatusCode, err)
	} else {
		res.Body.Close()
	}
	q.Set("expiry", "999999999")
	expect(t, s.get("/keystore/pick/object?"+q.Encode()), 400)
	bad := url.Values{"for": {`x" onmouseover="alert(1)`}, "name": {"i0.0.href"}}
	expect(t, s.get("/keystore/pick?"+bad.Encode()), 400)

	// A keystore://NAME reference.
	rq := url.Values{"for": {"f-i3-0"}, "name": {"i3.0.v"}, "type": {"text"}, "key": {"inputs"}}
	r = s.get("/keystore/pick/ref?" + rq.Encode())
	if v := r.find("input[data-testid=picked]").AttrOr("value", ""); v != "keystore://inputs" {
		t.Errorf("reference %q", v)
	}
	rq.Set("key", "drive") // a WebDAV share not marked readable serves no inputs
	r = s.get("/keystore/pick/ref?"+rq.Encode(), htmx("f-i3-0"))
	expect(t, r, 422)
	if r.header.Get("HX-Retarget") != "#f-i3-0-pickmsg" || !strings.Contains(r.find("[data-testid=pick-error]").Text(), "not marked readable") {
		t.Errorf("refused reference: %q %s", r.header.Get("HX-Retarget"), r.body)
	}
	rq.Set("key", "secured")
	expect(t, s.get("/keystore/pick/ref?"+rq.Encode()), 422)

	// 8. Export for a service: the public key from a URL, the payload posted to it.
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	var mu sync.Mutex
	var received []byte
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			_ = pem.Encode(w, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
			return
		}
		mu.Lock()
		received, _ = io.ReadAll(r.Body)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer svc.Close()
	// The session is not enough: without the passphrase typed again, or with a wrong
	// one, nothing is fetched, encrypted or sent.
	exportForm := url.Values{"key_url": {svc.URL + "/key.pem"}, "send_url": {svc.URL + "/keys"}}
	for _, typed := range []string{"", "wrong " + passphrase} {
		exportForm.Set("passphrase", typed)
		r = s.post("/keystore/keys/inputs/export", exportForm, htmx("key-export"))
		expect(t, r, 422)
		if r.find("[data-testid=export-payload]").Length() != 0 || !strings.Contains(r.find("[data-testid=error]").Text(), "passphrase") {
			t.Errorf("export with passphrase %q: %q", typed, r.find("[data-testid=error]").Text())
		}
	}
	mu.Lock()
	if received != nil {
		t.Errorf("an unconfirmed export was sent: %q", received)
	}
	mu.Unlock()
	exportForm.Set("passphrase", passphrase)
	r = s.post("/keystore/keys/inputs/export", exportForm, htmx("key-export"))
	expect(t, r, 200)
	payload := r.find("[data-testid=export-payload]").Text()
	if !strings.Contains(r.find("[data-testid=export-sent]").Text(), "201") {
		t.Errorf("export not sent: %q %q", r.find("[data-testid=export-sent]").Text(), r.find("[data-testid=error]").Text())
	}
	var exp keystore.Export
	mu.Lock()
	got := received
	mu.Unlock()
	if err := json.Unmarshal(got, &exp); err != nil || !strings.Contains(payload, exp.Ciphertext) {
		t.Fatalf("posted payload %q (%v)", got, err)
	}
	plain, err := exp.Open(priv)
	if err != nil || !strings.Contains(string(plain), s3Secret) {
		t.Errorf("the service cannot read the key: %v", err)
	}
	r = s.post("/keystore/keys/inputs/export", url.Values{"pem": {"not a key"}, "passphrase": {passphrase}})
	expect(t, r, 422)
	if !strings.Contains(r.find("[data-testid=error]").Text(), "PEM") {
		t.Errorf("bad service key: %q", r.find("[data-testid=error]").Text())
	}

	// 9. Lock: the keys are gone until the passphrase is given again; a wrong one says so.
	expect(t, s.post("/keystore/lock", nil), 303)
	r = s.get("/keystore")
	if r.find("[data-testid=passphrase]").Length() != 1 || r.find("[data-testid=passphrase2]").Length() != 0 {
		t.Fatalf("locked page:\n%s", r.body)
	}
	r = s.get("/keystore/pick?"+url.Values{"for": {target}, "name": {"i0.0.href"}}.Encode(), htmx(target+"-pick"))
	if !strings.Contains(r.body, "locked") || strings.Contains(r.body, "passphrase") {
		t.Errorf("the picker of a locked keystore: %s", r.body)
	}
	r = s.get(strings.TrimPrefix(pickEndpointTest(s), s.base))
	if rep := r.find("[data-testid=report]"); rep.AttrOr("data-ok", "") != "false" || !strings.Contains(rep.Text(), "locked") {
		t.Errorf("endpoint test with a locked keystore: %s", rep.Text())
	}
	r = s.post("/keystore/unlock", url.Values{"passphrase": {"wrong " + passphrase[:4]}})
	expect(t, r, 403)
	if !strings.Contains(r.find("[data-testid=error]").Text(), "Wrong passphrase") {
		t.Errorf("wrong passphrase: %q", r.find("[data-testid=error]").Text())
	}
	expect(t, s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}}), 303)
	if r = s.get("/keystore"); r.find("[data-testid=key]").Length() != 4 {
		t.Errorf("after unlocking: %d keys", r.find("[data-testid=key]").Length())
	}

	s.noLeaks(t, nil)
}

// pickEndpointTest returns the test URL of the secured endpoint.
func pickEndpointTest(s *keysStack) string {
	r := s.get("/endpoints")
	href := ""
	r.find("[data-testid=endpoint]").Each(func(_ int, e *goquery.Selection) {
		if e.AttrOr("data-endpoint", "") != "local" {
			href = "/endpoints/" + e.AttrOr("data-endpoint", "") + "/test"
		}
	})
	return href
}

func fetch(t *testing.T, u string) string {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Errorf("GET %s: %d %s", u, res.StatusCode, b)
	}
	return string(b)
}

// A keystore created with a passphrase and locked before it holds a key opens with
// that passphrase only.
func TestKeystoreCreatedEmptyKeepsItsPassphrase(t *testing.T) {
	s := startKeys(t)
	const passphrase = "correct horse battery"
	expect(t, s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}, "passphrase2": {passphrase}}), 303)
	if _, err := os.Stat(filepath.Join(s.dataDir, keystore.FileName)); err != nil {
		t.Errorf("no keystore file after creating it: %v", err)
	}
	expect(t, s.post("/keystore/lock", nil), 303)
	page := s.get("/keystore")
	if page.find("[data-testid=passphrase2]").Length() != 0 {
		t.Error("the locked keystore asks to be created again")
	}
	r := s.post("/keystore/unlock", url.Values{"passphrase": {"a wrong passphrase"}})
	expect(t, r, 403)
	if !s.keys.Locked() {
		t.Fatal("a wrong passphrase opened the keystore")
	}
	expect(t, s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}}), 303)
	if s.keys.Locked() {
		t.Error("the passphrase chosen at creation does not open the keystore")
	}
}

// F-30: the key test says what it proved. A bearer key against a server that needs no
// key was not checked; an S3 key whose server is down is explained in the endpoint
// test's words, the raw error kept as the detail.
func TestKeyTestSaysWhatWasProven(t *testing.T) {
	s := startKeys(t)
	expect(t, s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}, "passphrase2": {passphrase}}), 303)
	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "<html>a plain web server</html>")
	}))
	defer open.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	expect(t, s.post("/keystore", url.Values{"name": {"plain"}, "kind": {"http"}, "prefix": {open.URL + "/"}, "scheme": {"bearer"}, "secret": {bearerToken}}), 303)
	expect(t, s.post("/keystore", url.Values{"name": {"down"}, "kind": {"s3"}, "endpoint": {closed}, "region": {s3Region}, "bucket": {inputsBucket},
		"access_key": {s3AccessKey}, "secret": {s3Secret}, "path_style": {"on"}}), 303)

	r := s.post("/keystore/keys/plain/test", nil, htmx("key-test"))
	res := r.find("[data-testid=key-test-result]")
	if res.AttrOr("data-unchecked", "") != "true" || strings.Contains(res.Text(), "The key works") || !strings.Contains(res.Text(), "without needing the key") {
		t.Errorf("key against an open server: %q", res.Text())
	}
	r = s.post("/keystore/keys/down/test", nil, htmx("key-test"))
	msg := r.find("[data-testid=key-test-message]").Text()
	if want := "Cannot reach " + closed + "/: connection refused. Is the server running?"; !strings.HasPrefix(msg, want) {
		t.Errorf("S3 key against a closed port: %q, want %q…", msg, want)
	}
}
