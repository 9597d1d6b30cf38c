package keystore

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/zalando/go-keyring"
)

// TestMain keeps every test away from the real OS keychain: go-keyring's own
// in-memory provider stands in (there is no Secret Service daemon in CI).
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}

const (
	s3Secret   = "S3-SECRET-wJalrXUtnFEMI-K7MDENG"
	davSecret  = "dav-PASSWORD-7f3a9c1e"
	httpSecret = "bearer-TOKEN-eyJhbGciOi-91b2"
	passphrase = "correct horse battery staple"
)

func testConfig(fs afero.Fs) Config {
	return Config{Fs: fs, Dir: "/data", Keychain: KeychainOff, ScryptWorkFactor: 10,
		Now: func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }}
}

func sampleKeys() []Key {
	return []Key{
		{Name: "bucket", Kind: KindS3, AccessKey: "AKIDEXAMPLE", Secret: s3Secret, Bucket: "results", Endpoint: "https://s3.example.com", Region: "eu-1", PathStyle: true},
		{Name: "drive", Kind: KindWebDAV, Endpoint: "https://drive.example.com/dav/", Username: "ana", Secret: davSecret},
		{Name: "zoo", Kind: KindHTTP, Scheme: SchemeBearer, Prefix: "https://zoo.example.com/ogc-api/", Secret: httpSecret},
	}
}

func openUnlocked(t *testing.T, cfg Config, pass string) *Store {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Unlock(pass); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	return s
}

func addAll(t *testing.T, s *Store) {
	t.Helper()
	for _, k := range sampleKeys() {
		if _, err := s.Add(k); err != nil {
			t.Fatalf("Add %s: %v", k.Name, err)
		}
	}
}

func readFile(t *testing.T, fs afero.Fs, p string) []byte {
	t.Helper()
	b, err := afero.ReadFile(fs, p)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return b
}

func assertNoSecrets(t *testing.T, what string, b []byte) {
	t.Helper()
	for _, sec := range []string{s3Secret, davSecret, httpSecret, passphrase} {
		if bytes.Contains(b, []byte(sec)) {
			t.Errorf("%s contains the secret %q", what, sec)
		}
	}
}

func TestPassphraseRoundTrip(t *testing.T) {
	fs := afero.NewMemMapFs()
	cfg := testConfig(fs)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !s.NeedsPassphrase() || s.Protection() != Unprotected {
		t.Fatalf("new store without keychain: NeedsPassphrase=%v Protection=%v", s.NeedsPassphrase(), s.Protection())
	}
	if err := s.Unlock(""); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("Unlock(\"\") = %v, want ErrPassphraseRequired", err)
	}
	if err := s.Unlock(passphrase); err != nil {
		t.Fatal(err)
	}
	addAll(t, s)
	data := readFile(t, fs, "/data/keystore.age")
	if !bytes.HasPrefix(data, []byte("age-encryption.org/v1\n-> scrypt ")) {
		t.Fatalf("file is not scrypt age: %q", data[:40])
	}
	assertNoSecrets(t, "keystore file", data)
	for _, plain := range []string{"AKIDEXAMPLE", "results", "drive.example.com"} {
		if bytes.Contains(data, []byte(plain)) {
			t.Errorf("file shows %q in the clear", plain)
		}
	}
	if fi, _ := fs.Stat("/data/keystore.age"); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}

	s2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Protection() != ProtectedByPassphrase || !s2.Locked() {
		t.Fatalf("reopened: %v locked=%v", s2.Protection(), s2.Locked())
	}
	if err := s2.Unlock("wrong passphrase"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if !bytes.Equal(readFile(t, fs, "/data/keystore.age"), data) {
		t.Fatal("a wrong passphrase changed the file")
	}
	if err := s2.Unlock(passphrase); err != nil {
		t.Fatal(err)
	}
	keys, err := s2.List()
	if err != nil || len(keys) != 3 {
		t.Fatalf("List = %d keys, %v", len(keys), err)
	}
	k, err := s2.Get("bucket")
	if err != nil || k.Secret.Reveal() != s3Secret || k.AccessKey != "AKIDEXAMPLE" || !k.PathStyle || k.Region != "eu-1" {
		t.Fatalf("Get bucket = %+v, %v", k, err)
	}
	if k.Created.IsZero() {
		t.Error("Created not set")
	}
}

func TestBackupAndCorruption(t *testing.T) {
	fs := afero.NewMemMapFs()
	cfg := testConfig(fs)
	s := openUnlocked(t, cfg, passphrase)
	addAll(t, s)
	before := readFile(t, fs, "/data/keystore.age")
	if err := s.Remove("zoo"); err != nil {
		t.Fatal(err)
	}
	bak := readFile(t, fs, "/data/keystore.age.bak")
	if !bytes.Equal(bak, before) {
		t.Fatal("backup is not the previous version")
	}
	assertNoSecrets(t, "backup", bak)
	if err := s.Remove("zoo"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Remove = %v", err)
	}
	// No stray temporary files.
	entries, _ := afero.ReadDir(fs, "/data")
	if len(entries) != 2 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("data dir holds %v", names)
	}

	t.Run("flipped body byte", func(t *testing.T) {
		cur := readFile(t, fs, "/data/keystore.age")
		bad := bytes.Clone(cur)
		bad[len(bad)-5] ^= 0x55
		if err := afero.WriteFile(fs, "/data/keystore.age", bad, 0o600); err != nil {
			t.Fatal(err)
		}
		s2, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = s2.Unlock(passphrase)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Unlock of corrupted file = %v", err)
		}
		if !strings.Contains(err.Error(), "keystore.age.bak") {
			t.Errorf("error does not point at the backup: %v", err)
		}
		if _, err := s2.Add(sampleKeys()[2]); !errors.Is(err, ErrLocked) {
			t.Fatalf("Add after failed unlock = %v", err)
		}
		if !bytes.Equal(readFile(t, fs, "/data/keystore.age"), bad) || !bytes.Equal(readFile(t, fs, "/data/keystore.age.bak"), before) {
			t.Fatal("corrupted file or backup was changed")
		}
		// The backup is the way back.
		if err := fs.Rename("/data/keystore.age.bak", "/data/keystore.age"); err != nil {
			t.Fatal(err)
		}
		s3 := openUnlocked(t, cfg, passphrase)
		if _, err := s3.Get("zoo"); err != nil {
			t.Fatalf("backup lacks the removed key: %v", err)
		}
	})
	t.Run("not an age file", func(t *testing.T) {
		fs := afero.NewMemMapFs()
		_ = afero.WriteFile(fs, "/data/keystore.age", []byte("{\"keys\":[]}"), 0o600)
		// Opening succeeds (a damaged keystore must not stop the app); unlocking says why not.
		s, err := Open(testConfig(fs))
		if err != nil {
			t.Fatalf("Open = %v", err)
		}
		if !s.NeedsPassphrase() {
			t.Fatal("a damaged keystore must ask before anything is done")
		}
		if err := s.Unlock(passphrase); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Unlock = %v", err)
		}
		if got := readFile(t, fs, "/data/keystore.age"); string(got) != "{\"keys\":[]}" {
			t.Fatalf("damaged file changed: %q", got)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		fs := afero.NewMemMapFs()
		s := openUnlocked(t, testConfig(fs), passphrase)
		addAll(t, s)
		cur := readFile(t, fs, "/data/keystore.age")
		_ = afero.WriteFile(fs, "/data/keystore.age", cur[:len(cur)-20], 0o600)
		s2, err := Open(testConfig(fs))
		if err != nil {
			t.Fatal(err)
		}
		if err := s2.Unlock(passphrase); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Unlock truncated = %v", err)
		}
	})
}

func TestLockUnlock(t *testing.T) {
	fs := afero.NewMemMapFs()
	s := openUnlocked(t, testConfig(fs), passphrase)
	addAll(t, s)
	if _, ok := s.Match("s3://results/a.tif", Input); !ok {
		t.Fatal("no match while unlocked")
	}
	s.Lock()
	if !s.Locked() {
		t.Fatal("not locked")
	}
	if _, err := s.List(); !errors.Is(err, ErrLocked) {
		t.Fatalf("List locked = %v", err)
	}
	if _, err := s.Get("bucket"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Get locked = %v", err)
	}
	if _, ok := s.Match("s3://results/a.tif", Input); ok {
		t.Fatal("locked store matched")
	}
	if s.passphrase != "" || s.keys != nil || s.identity != "" {
		t.Fatal("Lock kept master material")
	}
	if err := s.Unlock(passphrase); err != nil {
		t.Fatal(err)
	}
	if k, err := s.Get("drive"); err != nil || k.Secret.Reveal() != davSecret {
		t.Fatalf("after unlock: %v", err)
	}
}

func TestKeychain(t *testing.T) {
	keyring.MockInit()
	t.Cleanup(keyring.MockInit)
	fs := afero.NewMemMapFs()
	cfg := testConfig(fs)
	cfg.Keychain = KeychainAuto
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.NeedsPassphrase() {
		t.Fatal("keychain available but NeedsPassphrase")
	}
	if err := s.Unlock(""); err != nil {
		t.Fatal(err)
	}
	addAll(t, s)
	data := readFile(t, fs, "/data/keystore.age")
	if !bytes.Contains(data, []byte("\n-> X25519 ")) {
		t.Fatalf("not encrypted to an X25519 recipient: %q", data[:60])
	}
	assertNoSecrets(t, "keystore file", data)
	id, err := keyring.Get("geojobs", "keystore:/data/keystore.age")
	if err != nil || !strings.HasPrefix(id, "AGE-SECRET-KEY-1") {
		t.Fatalf("keychain entry: %v", err)
	}
	if bytes.Contains(data, []byte(id)) {
		t.Fatal("identity in the file")
	}

	s2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Protection() != ProtectedByKeychain || s2.NeedsPassphrase() {
		t.Fatalf("reopened: %v", s2.Protection())
	}
	if err := s2.Unlock(""); err != nil {
		t.Fatal(err)
	}
	if k, _ := s2.Get("zoo"); k == nil || k.Secret.Reveal() != httpSecret {
		t.Fatal("key lost")
	}

	// Move to a passphrase and back out of the keychain.
	if err := s2.SetPassphrase(passphrase); err != nil {
		t.Fatal(err)
	}
	s3, _ := Open(cfg)
	if s3.Protection() != ProtectedByPassphrase {
		t.Fatalf("after SetPassphrase: %v", s3.Protection())
	}
	if err := s3.Unlock(passphrase); err != nil {
		t.Fatal(err)
	}

	// A keychain-protected file whose entry is gone.
	fs2 := afero.NewMemMapFs()
	cfg2 := testConfig(fs2)
	cfg2.Keychain = KeychainAuto
	cfg2.Dir = "/other"
	s4 := openUnlocked(t, cfg2, "")
	addAll(t, s4)
	if err := keyring.Delete("geojobs", "keystore:/other/keystore.age"); err != nil {
		t.Fatal(err)
	}
	s5, _ := Open(cfg2)
	if err := s5.Unlock(""); !errors.Is(err, ErrKeychain) {
		t.Fatalf("missing entry: %v", err)
	}
}

func TestKeychainUnavailableFallsBack(t *testing.T) {
	keyring.MockInitWithError(errors.New("dbus: The name org.freedesktop.secrets was not provided by any .service files"))
	t.Cleanup(keyring.MockInit)
	fs := afero.NewMemMapFs()
	cfg := testConfig(fs)
	cfg.Keychain = KeychainAuto
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !s.NeedsPassphrase() {
		t.Fatal("no keychain but NeedsPassphrase is false")
	}
	if err := s.Unlock(""); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("Unlock(\"\") = %v", err)
	}
	if err := s.Unlock(passphrase); err != nil {
		t.Fatal(err)
	}
	addAll(t, s)
	if s.Protection() != ProtectedByPassphrase {
		t.Fatalf("protection %v", s.Protection())
	}
	if !bytes.Contains(readFile(t, fs, "/data/keystore.age"), []byte("-> scrypt ")) {
		t.Fatal("not passphrase-encrypted")
	}
}

func TestAddUpdateValidation(t *testing.T) {
	s := openUnlocked(t, testConfig(afero.NewMemMapFs()), passphrase)
	addAll(t, s)
	if _, err := s.Add(sampleKeys()[0]); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate Add = %v", err)
	}
	upd := sampleKeys()[0]
	upd.Secret = ""
	upd.Bucket = "other"
	k, err := s.Update(upd)
	if err != nil {
		t.Fatal(err)
	}
	if k.Secret.Reveal() != s3Secret || k.Bucket != "other" {
		t.Fatalf("Update without secret: %+v", k)
	}
	if _, err := s.Update(Key{Name: "nope", Kind: KindS3}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Update missing = %v", err)
	}
	bad := []Key{
		{Name: "", Kind: KindS3, AccessKey: "a", Secret: "b"},
		{Name: "x y", Kind: KindS3, AccessKey: "a", Secret: "b"},
		{Name: "n", Kind: "ftp"},
		{Name: "n", Kind: KindS3, AccessKey: "a"},
		{Name: "n", Kind: KindS3, Secret: "b"},
		{Name: "n", Kind: KindS3, AccessKey: "a", Secret: "b", Endpoint: "ftp://x"},
		{Name: "n", Kind: KindWebDAV, Endpoint: "https://h/", Secret: "p"},
		{Name: "n", Kind: KindWebDAV, Endpoint: "https://u:pw@h/", Username: "u", Secret: "p"},
		{Name: "n", Kind: KindHTTP, Secret: "t"},
		{Name: "n", Kind: KindHTTP, Prefix: "https://h/", Scheme: SchemeHeader, Header: "Bad Header", Secret: "t"},
		{Name: "n", Kind: KindHTTP, Prefix: "https://h/", Scheme: SchemeBasic, Secret: "t"},
		{Name: "n", Kind: KindHTTP, Prefix: "https://h/", Secret: "a\r\nX-Evil: 1"},
	}
	for i, k := range bad {
		if _, err := s.Add(k); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad key %d: Add = %v, want ErrInvalid", i, err)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("error echoes URL credentials: %v", err)
		}
	}
}

func TestEODATADefaults(t *testing.T) {
	k := Key{Name: "cdse", Kind: KindEODATA, AccessKey: "AK", Secret: "SK", Public: true}
	if err := k.Normalize(); err != nil {
		t.Fatal(err)
	}
	if k.Endpoint != "https://eodata.dataspace.copernicus.eu" || k.Region != "default" || k.Bucket != "eodata" || !k.PathStyle || k.Public {
		t.Fatalf("EODATA defaults: %+v", k)
	}
	k2 := Key{Name: "creo", Kind: KindEODATA, AccessKey: "AK", Secret: "SK", Endpoint: "https://eodata.cloudferro.com"}
	if err := k2.Normalize(); err != nil || k2.Endpoint != "https://eodata.cloudferro.com" || k2.Bucket != "eodata" {
		t.Fatalf("EODATA with endpoint: %+v %v", k2, err)
	}
}
