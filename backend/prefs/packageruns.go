package prefs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Setting keys of the built-in endpoint's runs of CWL application packages.
const (
	KeyCWLContainers = "local.cwl.containers"
	KeyCWLKeep       = "local.cwl.keep"
	KeyCWLMaxRuns    = "local.cwl.max_runs"
)

// The containers settings: how a package that asks for containers (DockerRequirement) runs.
const (
	ContainersAuto   = "auto"   // podman when it is installed, the tools on this computer otherwise
	ContainersPodman = "podman" // always podman (a run fails without it)
	ContainersNone   = "none"   // the tools installed on this computer (cwltool --no-container)
)

// The working folder settings: which runs keep theirs.
const (
	KeepFailed = "failed" // the failed runs' (to look into them); the default
	KeepAll    = "all"
	KeepNone   = "none"
)

// DefaultMaxRuns is the number of packages that run at once by default.
const DefaultMaxRuns = 2

// PackageRuns are the settings of the built-in endpoint's runs of deployed CWL
// packages. They apply to the next run.
type PackageRuns struct {
	Containers string // ContainersAuto, ContainersPodman or ContainersNone
	Keep       string // KeepFailed, KeepAll or KeepNone
	MaxRuns    int    // packages running at once, 1 to 16
}

// DefaultPackageRuns are the settings of a new installation.
func DefaultPackageRuns() PackageRuns {
	return PackageRuns{Containers: ContainersAuto, Keep: KeepFailed, MaxRuns: DefaultMaxRuns}
}

// LoadPackageRuns reads the settings; an unreadable or invalid value falls back to its default.
func LoadPackageRuns(ctx context.Context, s Settings) PackageRuns {
	p := DefaultPackageRuns()
	if v, ok, err := s.Setting(ctx, KeyCWLContainers); err == nil && ok && checkContainers(v) == nil {
		p.Containers = v
	}
	if v, ok, err := s.Setting(ctx, KeyCWLKeep); err == nil && ok && checkKeep(v) == nil {
		p.Keep = v
	}
	if v, ok, err := s.Setting(ctx, KeyCWLMaxRuns); err == nil && ok {
		if n, err := parseMaxRuns(v); err == nil {
			p.MaxRuns = n
		}
	}
	return p
}

// PackageRunsInput is the form as typed; empty fields mean "the default".
type PackageRunsInput struct{ Containers, Keep, MaxRuns string }

// SavePackageRuns validates in and stores it; nothing is stored when any field is refused.
func SavePackageRuns(ctx context.Context, s Settings, in PackageRunsInput) ([]*FieldError, error) {
	in = PackageRunsInput{strings.TrimSpace(in.Containers), strings.TrimSpace(in.Keep), strings.TrimSpace(in.MaxRuns)}
	var errs []*FieldError
	if in.Containers != "" {
		if err := checkContainers(in.Containers); err != nil {
			errs = append(errs, &FieldError{"cwl_containers", err.Error()})
		}
	}
	if in.Keep != "" {
		if err := checkKeep(in.Keep); err != nil {
			errs = append(errs, &FieldError{"cwl_keep", err.Error()})
		}
	}
	if in.MaxRuns != "" {
		if _, err := parseMaxRuns(in.MaxRuns); err != nil {
			errs = append(errs, &FieldError{"cwl_max_runs", err.Error()})
		}
	}
	if len(errs) > 0 {
		return errs, nil
	}
	return nil, saveSettings(ctx, s, [][2]string{{KeyCWLContainers, in.Containers}, {KeyCWLKeep, in.Keep}, {KeyCWLMaxRuns, in.MaxRuns}})
}

func checkContainers(v string) error {
	switch v {
	case ContainersAuto, ContainersPodman, ContainersNone:
		return nil
	}
	return fmt.Errorf("choose auto, podman or none")
}

func checkKeep(v string) error {
	switch v {
	case KeepFailed, KeepAll, KeepNone:
		return nil
	}
	return fmt.Errorf("choose failed, all or none")
}

func parseMaxRuns(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 16 {
		return 0, fmt.Errorf("give a number of runs between 1 and 16")
	}
	return n, nil
}
