package errs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/geojobs/geojobs/backend/errs"
)

var errMissing = errs.New(errs.NotFound, "no such thing")

func TestCodeOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want errs.Code
	}{
		{nil, errs.Unknown},
		{errors.New("plain"), errs.Unknown},
		{errMissing, errs.NotFound},
		{fmt.Errorf("job 7: %w", errMissing), errs.NotFound},
		{&errs.Error{Code: errs.Unavailable, Msg: "GET x", Err: errors.New("reset")}, errs.Unavailable},
		{&errs.Error{Code: errs.Conflict, Msg: "busy", Err: errMissing}, errs.Conflict}, // the outer code wins
		{fmt.Errorf("x: %w", context.Canceled), errs.Canceled},
		{context.DeadlineExceeded, errs.Timeout},
	} {
		if got := errs.CodeOf(c.err); got != c.want {
			t.Errorf("CodeOf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if err := (&errs.Error{Code: errs.Conflict, Msg: "busy", Err: errMissing}); !errors.Is(err, errMissing) {
		t.Errorf("an Error keeps the chain: %v", err)
	}
}

// Every code has its status, exit status and words, and none is the generic one by
// accident.
func TestMappings(t *testing.T) {
	for c := errs.Unknown; c <= errs.Internal; c++ {
		if c.String() == "" || errs.Title(c) == "" {
			t.Errorf("%d has no name or title", c)
		}
		generic := c == errs.Unknown || c == errs.Internal || c == errs.DataLoss
		if (errs.Status(c) == http.StatusInternalServerError) != generic {
			t.Errorf("%v → HTTP %d", c, errs.Status(c))
		}
		if generic != (errs.Title(c) == "Something went wrong") && c != errs.DataLoss {
			t.Errorf("%v → %q", c, errs.Title(c))
		}
	}
	if errs.Exit(errs.InvalidArgument) != errs.ExitUsage || errs.Exit(errs.Unavailable) != errs.ExitServer ||
		errs.Exit(errs.Canceled) != errs.ExitInterrupted || errs.Exit(errs.Unknown) != errs.ExitFailed {
		t.Error("exit statuses")
	}
}
