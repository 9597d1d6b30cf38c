//go:build !windows && (desktop || dev || bindings)

package main

// attachConsole is needed only by the Windows GUI-subsystem exe; elsewhere the desktop binary
// keeps the standard streams it was started with.
func attachConsole() {}
