// Package importrules holds, in its test, the layering rules of ARCHITECTURE.md
// ("Import rules"), checked over `go list` and the frontend's source on every `make test`.
// It has no code of its own.
package importrules
