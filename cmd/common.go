package cmd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/geojobs/geojobs/backend/config"
	"github.com/geojobs/geojobs/backend/keystore"
)

func defaultDataDir() string { return config.DefaultDataDir() }

// exitError carries a specific exit status out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

func asExitCoder(err error, target *interface{ ExitCode() int }) bool {
	return errors.As(err, target)
}

// logger opens the data dir's log file and stderr at the chosen level.
func (o *rootOptions) logger(stderr io.Writer, toFile bool) (*slog.Logger, io.Closer, error) {
	level, err := config.ParseLevel(o.LogLevel)
	if err != nil {
		return nil, nil, err
	}
	file := ""
	if toFile {
		p := config.Paths{Root: o.DataDir}
		if err := p.Ensure(); err != nil {
			return nil, nil, err
		}
		file = p.LogFile()
	}
	return config.Logger(stderr, file, level)
}

// hideKeys makes the scrubber redact the secrets of an unlocked keystore's keys, and
// the tokens of every sign-in session it takes up later (renewed during a run).
func (o *rootOptions) hideKeys(st *keystore.Store) {
	if st == nil {
		return
	}
	st.OnSecrets(o.scrub.Add)
	if st.Locked() {
		return
	}
	keys, err := st.List()
	if err != nil {
		return
	}
	for _, k := range keys {
		o.scrub.Add(k.Secrets()...)
	}
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
