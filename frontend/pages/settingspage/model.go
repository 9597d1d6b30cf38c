package settingspage

import (
	"strconv"

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
	// Packages are the built-in endpoint's package-run settings (nil: not shown).
	Packages *PackagesModel
}

// PackagesModel is the card of the built-in endpoint's runs of CWL packages.
type PackagesModel struct {
	Runs    prefs.PackageRuns
	Options []ContainerOption
	// Input is what the user typed when a save was refused (nil: show the stored values).
	Input  *prefs.PackageRunsInput
	Errors map[string]string
	Saved  bool
}

// ContainerOption is one containers setting and what it does on this computer.
type ContainerOption struct {
	Value, Label string
	How          string // "podman not found: running the tools installed on this computer … (cwltool --no-container)"
	Problem      string // why a package cannot run with it ("" when it can)
}

func (p *PackagesModel) containers() string {
	if p.Input != nil && p.Input.Containers != "" {
		return p.Input.Containers
	}
	return p.Runs.Containers
}

// current is the option in force (or chosen in a refused form).
func (p *PackagesModel) current() ContainerOption {
	for _, o := range p.Options {
		if o.Value == p.containers() {
			return o
		}
	}
	return ContainerOption{}
}

func (p *PackagesModel) keep() string {
	if p.Input != nil && p.Input.Keep != "" {
		return p.Input.Keep
	}
	return p.Runs.Keep
}

func (p *PackagesModel) maxRuns() string {
	if p.Input != nil {
		return p.Input.MaxRuns
	}
	return strconv.Itoa(p.Runs.MaxRuns)
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
