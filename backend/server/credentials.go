package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/geojobs/geojobs/backend/atomicfile"
	"github.com/geojobs/geojobs/backend/netpolicy"
)

// CredentialsFile is the file, in the data folder, through which geojobs' own command
// line reaches the running app: its URL and API token, readable by the folder's owner
// only (mode 0600), never passed on a command line. It exists while the app runs.
const CredentialsFile = "ui-credentials.json"

// Credentials are the running app's URL and token.
type Credentials struct {
	URL   string `json:"url"`
	Token string `json:"token"`
	PID   int    `json:"pid"`
}

// WriteCredentials writes c into dir (mode 0600) and returns a function that removes
// the file.
func WriteCredentials(dir string, c Credentials) (remove func(), err error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, CredentialsFile)
	if err := atomicfile.WriteOS(p, b, 0o600); err != nil {
		return nil, fmt.Errorf("app credentials: %w", err)
	}
	return func() { _ = os.Remove(p) }, nil
}

// ErrNoApp: no running app left its credentials in the data folder.
var ErrNoApp = errors.New("no running geojobs app uses this data folder")

// ReadCredentials reads the running app's credentials from dir. A file that others
// may read or write is refused.
func ReadCredentials(dir string) (Credentials, error) {
	p := filepath.Join(dir, CredentialsFile)
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return Credentials{}, ErrNoApp
	}
	if err != nil {
		return Credentials{}, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Credentials{}, fmt.Errorf("%s is readable by other users: not used", p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return Credentials{}, err
	}
	var c Credentials
	if err := json.Unmarshal(b, &c); err != nil || c.URL == "" || c.Token == "" {
		return Credentials{}, fmt.Errorf("%s is not usable", p)
	}
	return c, nil
}

// Covers reports whether rawURL is one of the app's (same origin, normalised path
// under its URL).
func (c Credentials) Covers(rawURL string) bool {
	return c.URL != "" && netpolicy.UnderString(rawURL, c.URL)
}

// Apply adds the token as a bearer header to requests for the app's URLs, and nothing
// to others.
func (c Credentials) Apply(req *http.Request) error {
	if c.Token != "" && req.URL != nil && c.Covers(req.URL.String()) {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return nil
}
