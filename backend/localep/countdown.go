package localep

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func countdownProcess() *process {
	return &process{
		builtin: true, resumable: true, run: runCountdown,
		desc: ogcapi.Process{
			ProcessSummary: ogcapi.ProcessSummary{
				ID: "countdown", Version: "1.0.0",
				DescriptionType: ogcapi.DescriptionType{
					Title: "Countdown",
					Description: "Counts down the given number of seconds, reporting progress and a message at each step and " +
						"writing a log. It runs asynchronously only; dismissing the job stops it, and a countdown interrupted " +
						"by a restart of geojobs resumes where it was.",
					Keywords: []string{"test", "demo", "async"},
				},
				JobControlOptions:  []string{ogcapi.AsyncExecute, ogcapi.Dismiss},
				OutputTransmission: []string{ogcapi.TransmissionValue, ogcapi.TransmissionReference},
			},
			Inputs: map[string]ogcapi.InputDescription{
				"seconds": {
					DescriptionType: ogcapi.DescriptionType{Title: "Seconds", Description: "How long to count, in seconds (fractions allowed)."},
					MinOccurs:       intp(0),
					Schema:          raw(`{"type":"number","minimum":0,"maximum":3600,"default":10}`),
				},
				"step": {
					DescriptionType: ogcapi.DescriptionType{Title: "Step", Description: "Seconds between two progress reports."},
					MinOccurs:       intp(0),
					Schema:          raw(`{"type":"number","minimum":0.01,"maximum":60,"default":1}`),
				},
			},
			Outputs: map[string]ogcapi.OutputDescription{
				"message": {
					DescriptionType: ogcapi.DescriptionType{Title: "Message", Description: "Says how long the countdown ran."},
					Schema:          raw(`{"type":"string"}`),
				},
			},
		},
	}
}

type countdownState struct {
	Elapsed float64 `json:"elapsed"` // seconds counted so far
}

func runCountdown(ctx context.Context, rc *runContext, inputs map[string]json.RawMessage) (map[string]outputValue, error) {
	total, step := 10.0, 1.0
	if v, ok := inputs["seconds"]; ok {
		_ = json.Unmarshal(v, &total)
	}
	if v, ok := inputs["step"]; ok {
		_ = json.Unmarshal(v, &step)
	}
	var st countdownState
	if rc.State(&st) {
		rc.Logf("resuming after a restart at %.2f s of %.2f s", st.Elapsed, total)
	} else {
		rc.Logf("counting down %.2f s in steps of %.2f s", total, step)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for st.Elapsed < total {
		d := math.Min(step, total-st.Elapsed)
		timer.Reset(time.Duration(d * float64(time.Second)))
		select {
		case <-timer.C:
		case <-ctx.Done():
			rc.Logf("stopped at %.2f s: %v", st.Elapsed, context.Cause(ctx))
			return nil, context.Cause(ctx)
		}
		st.Elapsed = math.Min(total, st.Elapsed+d)
		left := total - st.Elapsed
		rc.SetState(st)
		rc.Progress(int(st.Elapsed/total*100), fmt.Sprintf("%.2f s left", left))
		rc.Logf("%.2f s left", left)
	}
	rc.Logf("done")
	msg, _ := json.Marshal(fmt.Sprintf("counted down %g seconds", total))
	return map[string]outputValue{"message": {Doc: msg}}, nil
}
