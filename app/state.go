package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/geojobs/geojobs/backend/atomicfile"
)

// Window size limits, in device-independent pixels.
const (
	DefaultWidth  = 1280
	DefaultHeight = 800
	MinWidth      = 1024
	MinHeight     = 640
	// maxSide guards against a corrupt state file asking for an absurd window.
	maxSide = 16384
)

// Zoom limits for View → Zoom in/out.
const (
	MinZoom  = 0.5
	MaxZoom  = 3.0
	ZoomStep = 0.1
)

// StateFile is the desktop state's file name inside the data dir.
const StateFile = "desktop.json"

// State is what the desktop shell remembers between launches.
type State struct {
	X         int     `json:"x"`
	Y         int     `json:"y"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Maximised bool    `json:"maximised,omitempty"`
	Placed    bool    `json:"placed,omitempty"` // X and Y are a remembered position
	Zoom      float64 `json:"zoom,omitempty"`
}

// DefaultState is a centred 1280×800 window at 100 %.
func DefaultState() State { return State{Width: DefaultWidth, Height: DefaultHeight, Zoom: 1} }

// Normalized returns s with the size clamped to [Min, maxSide] and a zoom in range.
func (s State) Normalized() State {
	clamp := func(v, lo, def int) int {
		switch {
		case v == 0:
			return def
		case v < lo:
			return lo
		case v > maxSide:
			return maxSide
		}
		return v
	}
	s.Width = clamp(s.Width, MinWidth, DefaultWidth)
	s.Height = clamp(s.Height, MinHeight, DefaultHeight)
	switch {
	case s.Zoom == 0:
		s.Zoom = 1
	case s.Zoom < MinZoom:
		s.Zoom = MinZoom
	case s.Zoom > MaxZoom:
		s.Zoom = MaxZoom
	}
	if s.X < -maxSide || s.X > maxSide || s.Y < -maxSide || s.Y > maxSide {
		s.X, s.Y, s.Placed = 0, 0, false
	}
	return s
}

// LoadState reads the state from dir. A missing file gives DefaultState; a corrupt
// one gives DefaultState and an error to log (the app still starts).
func LoadState(dir string) (State, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultState(), nil
	}
	if err != nil {
		return DefaultState(), fmt.Errorf("reading the window state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return DefaultState(), fmt.Errorf("window state %s is not valid JSON (using defaults): %w", filepath.Join(dir, StateFile), err)
	}
	return s.Normalized(), nil
}

// SaveState writes s to dir atomically (a temp file renamed over the old one), so a
// crash while saving never leaves a truncated file.
func SaveState(dir string, s State) error {
	b, err := json.MarshalIndent(s.Normalized(), "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteOS(filepath.Join(dir, StateFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving the window state: %w", err)
	}
	return nil
}

// StepZoom returns z changed by steps of ZoomStep (0 resets to 100 %), within limits,
// rounded to whole percents.
func StepZoom(z float64, steps int) float64 {
	if steps == 0 {
		return 1
	}
	z += float64(steps) * ZoomStep
	z = float64(int(z*100+0.5)) / 100
	return min(max(z, MinZoom), MaxZoom)
}
