package keystore

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/spf13/afero"
)

// Two writers on one keystore file (a running app and `geojobs keys add`, or two
// `keys add` at once) keep every key: each write re-reads the file under the lock.
func TestConcurrentWritersKeepEveryKey(t *testing.T) {
	cfg := testConfig(afero.NewOsFs())
	cfg.Dir = t.TempDir()
	app := openUnlocked(t, cfg, passphrase)
	if _, err := app.Add(Key{Name: "first", Kind: KindHTTP, Prefix: "https://a.example/", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	cli := openUnlocked(t, cfg, passphrase) // reads the file with "first"
	if _, err := cli.Add(Key{Name: "from-cli", Kind: KindHTTP, Prefix: "https://b.example/", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	// The app, which has not seen "from-cli", writes next.
	if _, err := app.Add(Key{Name: "from-app", Kind: KindHTTP, Prefix: "https://c.example/", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	if err := app.Remove("first"); err != nil {
		t.Fatal(err)
	}
	// Many writers at once.
	var wg sync.WaitGroup
	for i := range 6 {
		st := openUnlocked(t, cfg, passphrase)
		wg.Go(func() {
			if _, err := st.Add(Key{Name: fmt.Sprintf("k%d", i), Kind: KindHTTP, Prefix: "https://d.example/", Secret: "s"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	keys, err := openUnlocked(t, cfg, passphrase).List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	want := []string{"from-app", "from-cli", "k0", "k1", "k2", "k3", "k4", "k5"}
	if !slices.Equal(names, want) {
		t.Fatalf("keys %v, want %v", names, want)
	}
}
