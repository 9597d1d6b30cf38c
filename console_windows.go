//go:build windows && (desktop || dev || bindings)

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// attachParentProcess is ATTACH_PARENT_PROCESS: attach to the console of the process that
// started this one.
const attachParentProcess = ^uint32(0)

var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// attachConsole gives the desktop exe, a GUI-subsystem binary, the console of the shell that
// started it, so `geojobs run`, `geojobs keys` and every other subcommand print where the
// user typed them. Standard handles that already point somewhere (a pipe, a file: output
// redirected by the caller) are kept; started from Explorer there is no parent console and
// nothing changes.
func attachConsole() {
	out := validStd(windows.STD_OUTPUT_HANDLE)
	errh := validStd(windows.STD_ERROR_HANDLE)
	in := validStd(windows.STD_INPUT_HANDLE)
	if out && errh && in {
		return
	}
	if r, _, _ := procAttachConsole.Call(uintptr(attachParentProcess)); r == 0 {
		return
	}
	if !out {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stdout = f
		}
	}
	if !errh {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stderr = f
		}
	}
	if !in {
		if f, err := os.OpenFile("CONIN$", os.O_RDWR, 0); err == nil {
			os.Stdin = f
		}
	}
}

func validStd(which uint32) bool {
	h, err := windows.GetStdHandle(which)
	return err == nil && h != 0 && h != windows.InvalidHandle
}
