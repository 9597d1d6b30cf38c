package localep

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

const defaultFailMessage = "the fail process failed, as asked"

func failProcess() *process {
	return &process{
		builtin: true, run: runFail,
		desc: ogcapi.Process{
			ProcessSummary: ogcapi.ProcessSummary{
				ID: "fail", Version: "1.0.0",
				DescriptionType: ogcapi.DescriptionType{
					Title: "Fail",
					Description: "Fails with the given message after an optional delay, to show how failures look: the " +
						"message is in the job status and in the exception that the results endpoint returns.",
					Keywords: []string{"test", "demo", "error"},
				},
				JobControlOptions:  []string{ogcapi.SyncExecute, ogcapi.AsyncExecute, ogcapi.Dismiss},
				OutputTransmission: []string{ogcapi.TransmissionValue},
			},
			Inputs: map[string]ogcapi.InputDescription{
				"message": {
					DescriptionType: ogcapi.DescriptionType{Title: "Message", Description: "The reason of the failure."},
					MinOccurs:       intp(0),
					Schema:          raw(`{"type":"string","minLength":1,"maxLength":2000,"default":"` + defaultFailMessage + `"}`),
				},
				"delay": {
					DescriptionType: ogcapi.DescriptionType{Title: "Delay", Description: "Seconds to wait before failing."},
					MinOccurs:       intp(0),
					Schema:          raw(`{"type":"number","minimum":0,"maximum":3600,"default":0}`),
				},
			},
			Outputs: map[string]ogcapi.OutputDescription{
				"never": {
					DescriptionType: ogcapi.DescriptionType{Title: "Never", Description: "Never produced: the process always fails."},
					Schema:          raw(`{"type":"string"}`),
				},
			},
		},
	}
}

func runFail(ctx context.Context, rc *runContext, inputs map[string]json.RawMessage) (map[string]outputValue, error) {
	msg, delay := defaultFailMessage, 0.0
	if v, ok := inputs["message"]; ok {
		_ = json.Unmarshal(v, &msg)
	}
	if v, ok := inputs["delay"]; ok {
		_ = json.Unmarshal(v, &delay)
	}
	if delay > 0 {
		rc.Progress(0, "waiting before failing")
		t := time.NewTimer(time.Duration(delay * float64(time.Second)))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	rc.Logf("failing: %s", msg)
	return nil, errors.New(msg)
}
