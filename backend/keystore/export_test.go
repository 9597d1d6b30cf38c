package keystore

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func rsaKey(t *testing.T, bits int) (*rsa.PrivateKey, []byte) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	return priv, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestExportGoRoundTrip(t *testing.T) {
	priv, pubPEM := rsaKey(t, 2048)
	k := sampleKeys()[0]
	if err := k.Normalize(); err != nil {
		t.Fatal(err)
	}
	exp, err := k.ExportFor(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(exp)
	assertNoSecrets(t, "export", raw)
	plain, err := exp.Open(priv)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(plain, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["secret_key"] != s3Secret || cfg["bucket"] != "results" || cfg["type"] != "s3" {
		t.Fatalf("config = %v", cfg)
	}
	// Tampering is detected.
	ct, _ := base64.StdEncoding.DecodeString(exp.Ciphertext)
	ct[0] ^= 1
	exp.Ciphertext = base64.StdEncoding.EncodeToString(ct)
	if _, err := exp.Open(priv); !errors.Is(err, ErrInvalid) {
		t.Fatalf("tampered export opened: %v", err)
	}
	// Weak and wrong keys are refused.
	_, small := rsaKey(t, 1024)
	if _, err := k.ExportFor(small); !errors.Is(err, ErrInvalid) {
		t.Fatalf("1024-bit key accepted: %v", err)
	}
	if _, err := k.ExportFor([]byte("not pem")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("garbage accepted: %v", err)
	}
}

// TestExportOpenSSL decrypts an export with the openssl command line, exactly as
// the Export doc says a service can.
func TestExportOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is needed for this test (apt-get install openssl)")
	}
	dir := t.TempDir()
	priv, pubPEM := rsaKey(t, 3072)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyPath := write("service.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	k := sampleKeys()[1]
	if err := k.Normalize(); err != nil {
		t.Fatal(err)
	}
	exp, err := k.ExportFor(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, _ := base64.StdEncoding.DecodeString(exp.EncryptedKey)
	ct, _ := base64.StdEncoding.DecodeString(exp.Ciphertext)
	run := func(stdin []byte, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		if stdin != nil {
			cmd.Stdin = strings.NewReader(string(stdin))
		}
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("openssl %v: %v: %s", args, err, ee.Stderr)
			}
			t.Fatalf("openssl %v: %v", args, err)
		}
		return out
	}
	cek := run(nil, "pkeyutl", "-decrypt", "-inkey", keyPath, "-pkeyopt", "rsa_padding_mode:oaep",
		"-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256", "-in", write("key.bin", wrapped))
	if len(cek) != 64 {
		t.Fatalf("unwrapped %d bytes", len(cek))
	}
	encKey, macKey := hex.EncodeToString(cek[:32]), hex.EncodeToString(cek[32:])
	iv := exp.IV
	ivBytes, _ := hex.DecodeString(iv)
	macOut := string(run(append(ivBytes, ct...), "dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:"+macKey))
	if !strings.HasSuffix(strings.TrimSpace(macOut), exp.Tag) {
		t.Fatalf("openssl HMAC %q, tag %s", macOut, exp.Tag)
	}
	plain := run(nil, "enc", "-d", "-aes-256-cbc", "-K", encKey, "-iv", iv, "-in", write("ct.bin", ct))
	var cfg map[string]any
	if err := json.Unmarshal(plain, &cfg); err != nil {
		t.Fatalf("openssl plaintext is not JSON: %v", err)
	}
	if cfg["password"] != davSecret || cfg["username"] != "ana" || cfg["type"] != "webdav" {
		t.Fatalf("openssl decrypted %v", cfg)
	}
}
