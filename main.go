//go:build !(desktop || dev || bindings)

// geojobs runs processing on OGC API – Processes servers: a user interface in the browser
// (or the desktop window), a built-in local endpoint, and a headless `geojobs run`.
package main

import (
	"os"

	"github.com/geojobs/geojobs/cmd"
)

func main() { os.Exit(cmd.Execute()) }
