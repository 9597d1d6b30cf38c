package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/geojobs/geojobs/backend/runner"
	"github.com/geojobs/geojobs/backend/sweep"
)

// sweepFlags are the run command's batch flags.
type sweepFlags struct {
	file, input string
	parallel    int
}

func (s *sweepFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.file, "sweep", "", "run once per line of this file: JSON Lines of input overrides, a CSV with a header of input ids, or a GeoJSON FeatureCollection (with --sweep-input); --output is then the merged ItemCollection")
	fl.StringVar(&s.input, "sweep-input", "", "the input each feature of a --sweep FeatureCollection fills (the AOI)")
	fl.IntVar(&s.parallel, "parallel", 4, "with --sweep, how many jobs run at a time")
}

// runSweep runs the request once per sweep member and writes one merged ItemCollection.
// The exit status is ExitFailed when any member failed; the others' results are kept.
func runSweep(ctx context.Context, cmd *cobra.Command, f *runFlags, o runner.Options) error {
	usage := func(format string, args ...any) error {
		return &exitError{code: runner.ExitUsage, err: fmt.Errorf(format, args...)}
	}
	if f.sweep.parallel < 1 {
		return usage("--parallel must be at least 1")
	}
	if o.Output == "-" {
		return usage("--sweep needs --output to be a file (the members' results are kept next to it)")
	}
	data, err := os.ReadFile(f.sweep.file)
	if err != nil {
		return usage("--sweep: %v", err)
	}
	members, format, err := sweep.Parse(data, f.sweep.input, o.Request.Execute.Inputs)
	if err != nil {
		return usage("--sweep %s: %v", f.sweep.file, err)
	}
	if f.sweep.input != "" && format != sweep.GeoJSON {
		return usage("--sweep-input is for GeoJSON sweep files; %s is %s", f.sweep.file, format)
	}
	stderr := cmd.ErrOrStderr()
	if !f.quiet {
		fmt.Fprintf(stderr, "%d jobs from %s (%s), %d at a time\n", len(members), f.sweep.file, format, f.sweep.parallel)
	}
	sum, err := sweep.Run(ctx, sweep.Options{Base: o, Members: members, Parallel: f.sweep.parallel})
	if err != nil {
		return &exitError{code: runner.ExitOutput, err: fmt.Errorf("merged output %s: %w", o.Output, err)}
	}
	if ctx.Err() != nil {
		return &exitError{code: runner.ExitInterrupted, err: errors.New("interrupted; finished members' results are in " + o.Output)}
	}
	if !f.quiet || sum.Failed > 0 {
		fmt.Fprintf(stderr, "%d of %d jobs succeeded; %s written with %s (each job's results in %s)\n",
			len(members)-sum.Failed, len(members), o.Output, itemCount(sum.Items), sweep.MembersDir(o.Output))
	}
	if sum.Failed == 0 {
		return nil
	}
	var failed []string
	for _, oc := range sum.Outcomes {
		if oc.Err != nil && len(failed) < 10 {
			failed = append(failed, fmt.Sprintf("line %d (%v)", oc.Member.Line, oc.Err))
		}
	}
	more := ""
	if sum.Failed > len(failed) {
		more = fmt.Sprintf(", and %d more", sum.Failed-len(failed))
	}
	return &exitError{code: runner.ExitFailed, err: fmt.Errorf("%d of %d jobs failed: %s%s", sum.Failed, len(members), strings.Join(failed, "; "), more)}
}
