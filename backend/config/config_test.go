package config

import (
	"path/filepath"
	"runtime"
	"testing"
)

// The data folder is where each platform keeps per-user application data.
func TestDefaultDataDirPerPlatform(t *testing.T) {
	base := t.TempDir()
	var want string
	switch runtime.GOOS {
	case "windows":
		t.Setenv("LocalAppData", base)
		want = filepath.Join(base, AppName)
	case "darwin":
		t.Setenv("HOME", base)
		want = filepath.Join(base, "Library", "Application Support", AppName)
	default:
		t.Setenv("XDG_DATA_HOME", base)
		want = filepath.Join(base, AppName)
	}
	if got := DefaultDataDir(); got != want {
		t.Fatalf("DefaultDataDir() = %q, want %q", got, want)
	}
	p := Paths{Root: filepath.Join(base, "nested", AppName)}
	if err := p.Ensure(); err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(p.LogFile()) != p.Logs() || filepath.Dir(p.Database()) != p.Root {
		t.Fatalf("paths not inside the data folder: %q %q", p.LogFile(), p.Database())
	}
}
