//go:build (desktop || dev) && !bindings

package app

const generatingBindings = false
