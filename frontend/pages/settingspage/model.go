package settingspage

import (
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/frontend/pages/jobspage"
)

// Paths are the files geojobs keeps, shown so the user can find (and back up) them.
type Paths struct {
	DataDir, Database, Keystore, LogFile, LocalEndpoint string
}

// Model is the Settings page.
type Model struct {
	Version string
	Paths   Paths
	// KeystoreState says whether the keystore is locked, and how it is protected.
	KeystoreState string
	Prefs         prefs.Prefs
	// Input is what the user typed when a save was refused (nil: show the stored values).
	Input  *prefs.Input
	Errors map[string]string
	Saved  bool
	Notify jobspage.NotifyModel
}

func (m Model) allowPrivate() bool {
	if m.Input != nil {
		return m.Input.AllowPrivate == "on"
	}
	return m.Prefs.AllowPrivate
}

func (m Model) value(field string) string {
	if m.Input != nil {
		switch field {
		case "tiles_url":
			return m.Input.TilesURL
		case "warn_km2":
			return m.Input.WarnKm2
		case "downloads_dir":
			return m.Input.DownloadsDir
		}
	}
	switch field {
	case "tiles_url":
		return m.Prefs.TilesURL
	case "warn_km2":
		return m.Prefs.WarnKm2Attr()
	case "downloads_dir":
		return m.Prefs.DownloadsDir
	}
	return ""
}
