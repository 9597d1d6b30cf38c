package stacsearch

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Params are the terms of one search. The zero value matches everything.
type Params struct {
	Collections []string `json:"collections,omitempty"`
	IDs         []string `json:"ids,omitempty"`
	// BBox is minx,miny,maxx,maxy in WGS 84 (minx > maxx crosses the antimeridian).
	BBox []float64 `json:"bbox,omitempty"`
	// Intersects is a GeoJSON geometry; it excludes BBox.
	Intersects json.RawMessage `json:"intersects,omitempty"`
	// Datetime is an RFC 3339 instant or interval "start/end" (".." or "" for open).
	Datetime string `json:"datetime,omitempty"`
	// Filter is a CQL2-JSON expression, sent only where conformsTo declares filter and cql2-json.
	Filter json.RawMessage `json:"filter,omitempty"`
	// Query is a query-extension object, sent only where conformsTo declares query.
	Query json.RawMessage `json:"query,omitempty"`
	// MaxCloud keeps items whose eo:cloud_cover is at most this (percent). It is sent as
	// a filter or a query where the server declares one, and always checked on results,
	// because servers ignore what they do not support.
	MaxCloud *float64 `json:"maxCloud,omitempty"`
	// Limit is the page size asked for; 0 leaves it to the server.
	Limit int `json:"limit,omitempty"`
}

// Validate checks the parameters without a server. Errors wrap ErrInvalid.
func (p *Params) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	if len(p.BBox) != 0 {
		if len(p.BBox) != 4 {
			return bad("bbox needs 4 numbers (minx,miny,maxx,maxy), not %d", len(p.BBox))
		}
		for _, v := range p.BBox {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return bad("bbox has a number that is not finite")
			}
		}
		minx, miny, maxx, maxy := p.BBox[0], p.BBox[1], p.BBox[2], p.BBox[3]
		if minx < -180 || maxx > 180 || minx > 180 || maxx < -180 {
			return bad("bbox longitudes must be within -180..180")
		}
		if miny < -90 || maxy > 90 || miny > maxy {
			return bad("bbox latitudes must be within -90..90 with miny ≤ maxy")
		}
	}
	if len(p.Intersects) != 0 {
		if len(p.BBox) != 0 {
			return bad("bbox and intersects exclude each other")
		}
		var g struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(p.Intersects, &g) != nil || g.Type == "" || g.Type == "Feature" || g.Type == "FeatureCollection" {
			return bad("intersects must be one GeoJSON geometry")
		}
	}
	if err := checkDatetime(p.Datetime); err != nil {
		return bad("datetime %q: %v", p.Datetime, err)
	}
	if len(p.Filter) != 0 && !isObject(p.Filter) {
		return bad("filter must be a CQL2-JSON object")
	}
	if len(p.Query) != 0 && !isObject(p.Query) {
		return bad("query must be a JSON object")
	}
	if p.MaxCloud != nil && (*p.MaxCloud < 0 || *p.MaxCloud > 100 || math.IsNaN(*p.MaxCloud)) {
		return bad("cloud cover must be within 0..100")
	}
	if p.Limit < 0 {
		return bad("limit must not be negative")
	}
	return nil
}

func isObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}

// checkDatetime accepts an instant or an interval of instants or dates, "" or ".." for
// an open end.
func checkDatetime(s string) error {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, "/")
	if len(parts) > 2 {
		return fmt.Errorf("at most one /")
	}
	var ts []time.Time
	for _, part := range parts {
		if len(parts) == 2 && (part == "" || part == "..") {
			ts = append(ts, time.Time{})
			continue
		}
		t, err := parseInstant(part)
		if err != nil {
			return err
		}
		ts = append(ts, t)
	}
	if len(ts) == 2 && ts[0].IsZero() && ts[1].IsZero() {
		return fmt.Errorf("both ends open")
	}
	if len(ts) == 2 && !ts[0].IsZero() && !ts[1].IsZero() && ts[1].Before(ts[0]) {
		return fmt.Errorf("the end is before the start")
	}
	return nil
}

func parseInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time", s)
}

// normalDatetime writes dates as date-times (servers want RFC 3339 date-times; the end
// of a date range is the end of that day).
func normalDatetime(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, "/")
	if len(parts) == 1 {
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			parts = []string{s, s} // a day is the whole day
		}
	}
	for i, part := range parts {
		if t, err := time.Parse(time.DateOnly, part); err == nil {
			if i == 1 {
				t = t.Add(24*time.Hour - time.Second)
			}
			parts[i] = t.Format(time.RFC3339)
		} else if part == "" && len(parts) == 2 {
			parts[i] = ".."
		}
	}
	return strings.Join(parts, "/")
}

// cloudFilter is the CQL2-JSON of eo:cloud_cover ≤ max.
func cloudFilter(max float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"op": "<=", "args": []any{map[string]string{"property": "eo:cloud_cover"}, max}})
	return b
}

// and combines two CQL2-JSON expressions, either of which may be empty.
func and(a, b json.RawMessage) json.RawMessage {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0:
		return a
	}
	out, _ := json.Marshal(map[string]any{"op": "and", "args": []json.RawMessage{a, b}})
	return out
}

// withCloudQuery adds eo:cloud_cover lte max to a query-extension object.
func withCloudQuery(q json.RawMessage, max float64) json.RawMessage {
	m := map[string]json.RawMessage{}
	if len(q) != 0 {
		_ = json.Unmarshal(q, &m) // Validate checked it is an object
	}
	cond := map[string]json.RawMessage{}
	_ = json.Unmarshal(m["eo:cloud_cover"], &cond)
	cond["lte"] = json.RawMessage(strconv.FormatFloat(max, 'f', -1, 64))
	m["eo:cloud_cover"], _ = json.Marshal(cond)
	out, _ := json.Marshal(m)
	return out
}

// body is the POST body of the first search request.
func (p *Params) body(filter, query json.RawMessage) map[string]any {
	b := map[string]any{}
	if len(p.Collections) > 0 {
		b["collections"] = p.Collections
	}
	if len(p.IDs) > 0 {
		b["ids"] = p.IDs
	}
	if len(p.BBox) > 0 {
		b["bbox"] = p.BBox
	}
	if len(p.Intersects) > 0 {
		b["intersects"] = p.Intersects
	}
	if p.Datetime != "" {
		b["datetime"] = normalDatetime(p.Datetime)
	}
	if len(filter) > 0 {
		b["filter"] = filter
		b["filter-lang"] = "cql2-json"
	}
	if len(query) > 0 {
		b["query"] = query
	}
	if p.Limit > 0 {
		b["limit"] = p.Limit
	}
	return b
}

// query is the GET query string of the first search request.
func (p *Params) values(filter, query json.RawMessage) url.Values {
	v := url.Values{}
	if len(p.Collections) > 0 {
		v.Set("collections", strings.Join(p.Collections, ","))
	}
	if len(p.IDs) > 0 {
		v.Set("ids", strings.Join(p.IDs, ","))
	}
	if len(p.BBox) > 0 {
		s := make([]string, len(p.BBox))
		for i, f := range p.BBox {
			s[i] = strconv.FormatFloat(f, 'f', -1, 64)
		}
		v.Set("bbox", strings.Join(s, ","))
	}
	if len(p.Intersects) > 0 {
		v.Set("intersects", string(p.Intersects))
	}
	if p.Datetime != "" {
		v.Set("datetime", normalDatetime(p.Datetime))
	}
	if len(filter) > 0 {
		v.Set("filter", string(filter))
		v.Set("filter-lang", "cql2-json")
	}
	if len(query) > 0 {
		v.Set("query", string(query))
	}
	if p.Limit > 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	return v
}
