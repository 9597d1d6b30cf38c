//go:build bindings

package app

// generatingBindings: `wails build` runs the binary built with -tags bindings to
// generate JavaScript bindings; Run must then only call wails.Run, with no side effects.
const generatingBindings = true
