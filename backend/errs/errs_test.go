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
		{errs.Wrap(errs.Unavailable, errors.New("reset"), "GET x"), errs.Unavailable},
		{errs.Errorf(errs.Conflict, "busy: %w", errMissing), errs.Conflict},
		{fmt.Errorf("x: %w", context.Canceled), errs.Canceled},
		{context.DeadlineExceeded, errs.Timeout},
	} {
		if got := errs.CodeOf(c.err); got != c.want {
			t.Errorf("CodeOf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if err := errs.Errorf(errs.Conflict, "busy: %w", errMissing); !errors.Is(err, errMissing) || err.Error() != "busy: no such thing" {
		t.Errorf("Errorf keeps the chain and the text: %v", err)
	}
	if errs.Wrap(errs.Internal, nil, "x") != nil {
		t.Error("Wrap(nil) is not nil")
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
