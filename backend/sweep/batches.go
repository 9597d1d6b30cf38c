package sweep

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"
)

// Labeled is a member with a label for people (item id, window, feature name) and the
// area it covers, for the batch map.
type Labeled struct {
	Member
	Label string
	AOI   json.RawMessage
}

// ForEachElement makes one member per element of an array input's value: the input
// gets an array of that one element (one job per selected item).
func ForEachElement(input string, value json.RawMessage) ([]Labeled, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(value, &elems); err != nil || len(elems) == 0 {
		return nil, fmt.Errorf("%w: %s has no list of values to run for each", ErrInvalid, input)
	}
	out := make([]Labeled, len(elems))
	for i, e := range elems {
		one, _ := json.Marshal([]json.RawMessage{e})
		out[i] = Labeled{Member: Member{Line: i + 1, Inputs: map[string]json.RawMessage{input: one}}, Label: elementLabel(e, i)}
	}
	return out, nil
}

// elementLabel names an element: the last path segment of a URL (an item id), else
// the value cut short.
func elementLabel(e json.RawMessage, i int) string {
	var s string
	if json.Unmarshal(e, &s) == nil {
		if u, err := url.Parse(s); err == nil && u.Path != "" && u.Host != "" {
			return strings.TrimSuffix(path.Base(u.Path), ".json")
		}
		if len(s) > 60 {
			s = s[:60] + "…"
		}
		return s
	}
	return fmt.Sprintf("value %d", i+1)
}

// ForEachFeature makes one member per feature of a FeatureCollection, the feature's
// geometry filling input (shaped like the base value, see AOIValue).
func ForEachFeature(data []byte, input string, like json.RawMessage) ([]Labeled, error) {
	ms, format, err := Parse(data, input, map[string]json.RawMessage{input: like})
	if err != nil {
		return nil, err
	}
	if format != GeoJSON {
		return nil, fmt.Errorf("%w: the file is not a GeoJSON FeatureCollection", ErrInvalid)
	}
	var fc struct {
		Features []struct {
			Geometry   json.RawMessage        `json:"geometry"`
			Properties map[string]interface{} `json:"properties"`
		} `json:"features"`
	}
	_ = json.Unmarshal(data, &fc)
	out := make([]Labeled, len(ms))
	for i, m := range ms {
		label := fmt.Sprintf("feature %d", i+1)
		for _, k := range []string{"name", "title", "id"} {
			if v, ok := fc.Features[i].Properties[k]; ok && v != nil {
				label = fmt.Sprint(v)
				break
			}
		}
		out[i] = Labeled{Member: m, Label: label, AOI: fc.Features[i].Geometry}
	}
	return out, nil
}

// Steps of date windows.
const (
	Monthly = "monthly"
	Weekly  = "weekly"
)

// ForEachWindow makes one member per calendar month or week (Monday to Sunday, cut to
// the range) from from to to, both days included; input gets the window as an RFC 3339
// interval "start/end".
func ForEachWindow(input string, from, to time.Time, step string) ([]Labeled, error) {
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
	if to.Before(from) {
		return nil, fmt.Errorf("%w: the range ends before it starts", ErrInvalid)
	}
	var out []Labeled
	for start := from; !start.After(to); {
		var next time.Time
		var label string
		switch step {
		case Monthly:
			next = time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			label = start.Format("2006-01")
		case Weekly:
			wd := (int(start.Weekday()) + 6) % 7 // days since Monday
			next = start.AddDate(0, 0, 7-wd)
			y, w := start.ISOWeek()
			label = fmt.Sprintf("%d-W%02d", y, w)
		default:
			return nil, fmt.Errorf("%w: step %q (want monthly or weekly)", ErrInvalid, step)
		}
		end := next.Add(-time.Second)
		if end.After(to.Add(24*time.Hour - time.Second)) {
			end = to.Add(24*time.Hour - time.Second)
		}
		v, _ := json.Marshal(start.Format(time.RFC3339) + "/" + end.Format(time.RFC3339))
		out = append(out, Labeled{Member: Member{Line: len(out) + 1, Inputs: map[string]json.RawMessage{input: v}}, Label: label})
		if len(out) > MaxMembers {
			return nil, fmt.Errorf("%w: more than %d windows", ErrInvalid, MaxMembers)
		}
		start = next
	}
	return out, nil
}
