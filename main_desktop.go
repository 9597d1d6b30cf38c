//go:build desktop || dev || bindings

// geojobs' desktop build (wails build, or go build -tags desktop,production): the same
// command line, whose root command opens the desktop window instead of a browser.
package main

import (
	"os"

	"github.com/geojobs/geojobs/cmd"
)

func main() {
	attachConsole()
	os.Exit(cmd.ExecuteDesktop())
}
