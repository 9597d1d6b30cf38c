// Package workflows has no code: its test checks the GitHub Actions workflows
// (.github/workflows), which nothing here runs, so that a YAML mistake cannot leave the
// Windows and macOS tests unrun without anyone noticing.
package workflows
