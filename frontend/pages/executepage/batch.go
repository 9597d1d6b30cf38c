package executepage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/sweep"
	"github.com/geojobs/geojobs/frontend/web"
)

// BatchCreator stores a batch (*batch.Engine).
type BatchCreator interface {
	Create(ctx context.Context, endpointID, processID, title, kind string, base *ogcapi.Execute, members []store.NewBatchMember) (store.Batch, error)
}

// Batch kinds the form offers.
const (
	BatchItems    = "items"    // one job per value of a list input (selected STAC items)
	BatchFeatures = "features" // one job per feature of an uploaded FeatureCollection
	BatchDates    = "dates"    // one job per month or week of a range
)

// BatchState is the form's "Run as a batch" card.
type BatchState struct {
	Enabled                     bool
	Kind, Input, From, To, Step string
	// Members is the preview: what would be sent.
	Members []sweep.Labeled
	// MembersJSON carries the previewed members to the confirmation (an uploaded file
	// is not sent twice).
	MembersJSON string
	Err         string
}

func readBatch(r *http.Request) BatchState {
	b := BatchState{Kind: r.FormValue("batch_kind"), Input: r.FormValue("batch_input"), From: r.FormValue("batch_from"),
		To: r.FormValue("batch_to"), Step: r.FormValue("batch_step"), MembersJSON: r.FormValue("batch_members")}
	if b.Step == "" {
		b.Step = sweep.Monthly
	}
	return b
}

// batchMembers works out the members from the form.
func batchMembers(r *http.Request, b BatchState, req *forms.Request) ([]sweep.Labeled, error) {
	if r.FormValue("op") == "batch-run" && b.MembersJSON != "" {
		var ms []sweep.Labeled
		if err := json.Unmarshal([]byte(b.MembersJSON), &ms); err != nil {
			return nil, fmt.Errorf("the previewed jobs could not be read; preview again")
		}
		return ms, nil
	}
	if b.Input == "" {
		return nil, fmt.Errorf("choose the input that changes from job to job")
	}
	switch b.Kind {
	case BatchItems:
		v, ok := req.Execute.Inputs[b.Input]
		if !ok {
			return nil, fmt.Errorf("%s has no values: fill it (Find items) first", b.Input)
		}
		return sweep.ForEachElement(b.Input, v)
	case BatchFeatures:
		if r.MultipartForm == nil || len(r.MultipartForm.File["batch_file"]) == 0 || r.MultipartForm.File["batch_file"][0].Size == 0 {
			return nil, fmt.Errorf("choose a GeoJSON file of features")
		}
		f, err := r.MultipartForm.File["batch_file"][0].Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, 32<<20))
		if err != nil {
			return nil, err
		}
		return sweep.ForEachFeature(data, b.Input, req.Execute.Inputs[b.Input])
	case BatchDates:
		from, err1 := time.Parse(time.DateOnly, b.From)
		to, err2 := time.Parse(time.DateOnly, b.To)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("give the first and last day of the range")
		}
		return sweep.ForEachWindow(b.Input, from, to, b.Step)
	}
	return nil, fmt.Errorf("choose what to run the process for")
}

// batch previews or creates a batch from a valid form.
func (h *Handler) batch(w http.ResponseWriter, r *http.Request, m Model, req *forms.Request) error {
	if h.batches == nil {
		return web.BadRequest("Batches are not available here.")
	}
	ms, err := batchMembers(r, m.Batch, req)
	if err == nil {
		err = validateMembers(m.Process, req.Execute, ms)
	}
	if err != nil {
		m.Batch.Err = strings.TrimPrefix(err.Error(), "sweep: invalid sweep file: ")
		return h.render(w, r, m, http.StatusUnprocessableEntity)
	}
	if r.FormValue("op") == "batch-preview" {
		b, _ := json.Marshal(ms)
		m.Batch.Members, m.Batch.MembersJSON = ms, string(b)
		return h.render(w, r, m, 0)
	}
	members := make([]store.NewBatchMember, len(ms))
	for i, x := range ms {
		in, _ := json.Marshal(x.Inputs)
		aoi := x.AOI
		if aoi == nil {
			aoi = req.AOI
		}
		members[i] = store.NewBatchMember{Line: x.Line, Label: x.Label, Inputs: in, AOI: aoi}
	}
	title := fmt.Sprintf("%s for each %s", m.Process.ID, map[string]string{BatchItems: "item", BatchFeatures: "feature", BatchDates: m.Batch.Step[:len(m.Batch.Step)-2]}[m.Batch.Kind])
	b, err := h.batches.Create(r.Context(), m.Endpoint.ID, m.Process.ID, title, m.Batch.Kind, req.Execute, members)
	if err != nil {
		return err
	}
	web.Redirect(w, r, "/batches/"+b.ID)
	return nil
}

// validateMembers checks every member's request against the description before
// anything is stored, and names the first that fails.
func validateMembers(p *ogcapi.Process, base *ogcapi.Execute, ms []sweep.Labeled) error {
	for _, x := range ms {
		ex := *base
		ex.Inputs = sweep.Apply(base.Inputs, x.Member)
		if probs := forms.Validate(p, &ex); len(probs) > 0 {
			return fmt.Errorf("job %d (%s) would be refused: %s", x.Line, x.Label, probs.Error())
		}
	}
	return nil
}
