// Package prefs holds the user's preferences (map tiles, AOI size warning, download
// folder), typed and validated over the store's settings table. Secrets never go here.
package prefs

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Setting keys in the store.
const (
	KeyTilesURL     = "map.tiles_url"
	KeyWarnKm2      = "map.warn_km2"
	KeyDownloadsDir = "downloads.dir"
	// KeyPrivateNetwork: "on" lets any server's results reach loopback and
	// private-network addresses (netpolicy.Scope.AllowPrivate).
	KeyPrivateNetwork = "net.allow_private"
)

// DefaultTilesURL is OpenStreetMap's standard tile layer; "none" keeps maps offline.
const (
	DefaultTilesURL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
	TilesNone       = "none"
	DefaultWarnKm2  = 250000
)

// Settings is what prefs needs of the store.
type Settings interface {
	Setting(ctx context.Context, key string) (string, bool, error)
	SetSetting(ctx context.Context, key, value string) error
	DeleteSetting(ctx context.Context, key string) error
}

// Prefs are the user's preferences with defaults filled in.
type Prefs struct {
	// TilesURL is the online base layer's XYZ template, or TilesNone.
	TilesURL string
	// WarnKm2 is the AOI area above which the map warns.
	WarnKm2 float64
	// DownloadsDir is the folder under which each job's downloads go.
	DownloadsDir string
	// AllowPrivate lets the results of any server make geojobs fetch from loopback,
	// private-network and link-local addresses (for users whose servers hand out
	// links on a private network under a public name). Off by default.
	AllowPrivate bool
}

// DefaultDownloadsDir is ~/Downloads/geojobs (or a folder under the temp dir without a home).
func DefaultDownloadsDir() string {
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, "Downloads", "geojobs")
	}
	return filepath.Join(os.TempDir(), "geojobs-downloads")
}

// Defaults are the preferences of a new installation.
func Defaults() Prefs {
	return Prefs{TilesURL: DefaultTilesURL, WarnKm2: DefaultWarnKm2, DownloadsDir: DefaultDownloadsDir()}
}

// Load reads the preferences; an unreadable or invalid value falls back to its default.
func Load(ctx context.Context, s Settings) Prefs {
	p := Defaults()
	if v, ok, err := s.Setting(ctx, KeyTilesURL); err == nil && ok && CheckTilesURL(v) == nil {
		p.TilesURL = v
	}
	if v, ok, err := s.Setting(ctx, KeyWarnKm2); err == nil && ok {
		if f, err := parseKm2(v); err == nil {
			p.WarnKm2 = f
		}
	}
	if v, ok, err := s.Setting(ctx, KeyDownloadsDir); err == nil && ok && filepath.IsAbs(v) {
		p.DownloadsDir = v
	}
	if v, ok, err := s.Setting(ctx, KeyPrivateNetwork); err == nil && ok && v == "on" {
		p.AllowPrivate = true
	}
	return p
}

// FieldError names the preference a value was refused for.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Input is a preferences form as typed; empty fields mean "the default".
type Input struct {
	TilesURL, WarnKm2, DownloadsDir string
	// AllowPrivate is "on" when the private-network switch is ticked.
	AllowPrivate string
}

// Save validates in and stores it; nothing is stored when any field is refused.
func Save(ctx context.Context, s Settings, in Input) ([]*FieldError, error) {
	var errs []*FieldError
	tiles := strings.TrimSpace(in.TilesURL)
	if tiles != "" {
		if err := CheckTilesURL(tiles); err != nil {
			errs = append(errs, &FieldError{"tiles_url", err.Error()})
		}
	}
	km2 := strings.TrimSpace(in.WarnKm2)
	if km2 != "" {
		if _, err := parseKm2(km2); err != nil {
			errs = append(errs, &FieldError{"warn_km2", err.Error()})
		}
	}
	dir := strings.TrimSpace(in.DownloadsDir)
	if dir != "" && !filepath.IsAbs(dir) {
		errs = append(errs, &FieldError{"downloads_dir", "give a full path (it starts with / or a drive letter)"})
	}
	if len(errs) > 0 {
		return errs, nil
	}
	if dir != "" {
		dir = filepath.Clean(dir)
	}
	return nil, saveSettings(ctx, s, [][2]string{{KeyTilesURL, tiles}, {KeyWarnKm2, km2}, {KeyDownloadsDir, dir},
		{KeyPrivateNetwork, map[bool]string{true: "on"}[in.AllowPrivate == "on"]}})
}

// saveSettings stores each key's value, and deletes the keys whose value is "" (the
// default applies again).
func saveSettings(ctx context.Context, s Settings, kvs [][2]string) error {
	for _, kv := range kvs {
		var err error
		if kv[1] == "" {
			err = s.DeleteSetting(ctx, kv[0])
		} else {
			err = s.SetSetting(ctx, kv[0], kv[1])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// CheckTilesURL accepts "none" or an https (or loopback http) XYZ template with {z}, {x} and {y}.
func CheckTilesURL(v string) error {
	if v == TilesNone {
		return nil
	}
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(v, p) {
			return fmt.Errorf("a tile URL template needs {z}, {x} and {y} (or write %q to stay offline)", TilesNone)
		}
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(v))
	if err != nil || u.Host == "" {
		return fmt.Errorf("not a URL")
	}
	host := u.Hostname()
	if u.Scheme != "https" && !(u.Scheme == "http" && (host == "127.0.0.1" || host == "localhost" || host == "::1")) {
		return fmt.Errorf("tiles must come over https (plain http only from this computer)")
	}
	return nil
}

func parseKm2(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(v), ",", ""), 64)
	if err != nil || f <= 0 || f > 6e8 {
		return 0, fmt.Errorf("give an area in km² between 1 and 600,000,000")
	}
	return f, nil
}

// WarnKm2Attr formats WarnKm2 for the map element's warn-km2 attribute (the default
// for a zero Prefs).
func (p Prefs) WarnKm2Attr() string {
	if p.WarnKm2 <= 0 {
		p.WarnKm2 = DefaultWarnKm2
	}
	return strconv.FormatFloat(p.WarnKm2, 'f', -1, 64)
}

// TilesAttr is the map element's tiles-url attribute (the default for a zero Prefs).
func (p Prefs) TilesAttr() string {
	if p.TilesURL == "" {
		return DefaultTilesURL
	}
	return p.TilesURL
}
