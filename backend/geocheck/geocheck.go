// Package geocheck checks areas before they are sent: GeoJSON geometries for validity
// (rings closed, enough positions, no self-intersection, holes inside their shell,
// CRS84 ranges) and bounding boxes for their order and ranges. Messages say what is
// wrong and where, for a person. Geometries are held as github.com/paulmach/orb types;
// orb has no validity checker, so the ring checks are here. GeoJSON is decoded by hand:
// orb/geojson would bring in the MongoDB BSON driver for two dozen lines.
//
// The form (backend/forms), `geojobs run` and the built-in endpoint all check with it.
package geocheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// GeoJSON checks a GeoJSON geometry, Feature or FeatureCollection (CRS84). The
// error says what is wrong and where ("polygon 2, hole 1: …").
func GeoJSON(raw json.RawMessage) error {
	geoms, err := decodeGeoJSON(raw)
	if err != nil {
		return err
	}
	for i, g := range geoms {
		where := ""
		if len(geoms) > 1 {
			where = "feature " + strconv.Itoa(i+1) + ": "
		}
		if err := checkGeometry(g); err != nil {
			return fmt.Errorf("%s%w", where, err)
		}
	}
	return nil
}

// decodeGeoJSON reads the geometries of a GeoJSON geometry, Feature or FeatureCollection
// (a feature without geometry is skipped).
func decodeGeoJSON(raw json.RawMessage) ([]orb.Geometry, error) {
	var head struct {
		Type     string            `json:"type"`
		Geometry json.RawMessage   `json:"geometry"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, errors.New("not a GeoJSON object")
	}
	switch head.Type {
	case "Feature":
		if len(head.Geometry) == 0 || string(head.Geometry) == "null" {
			return nil, errors.New("the Feature has no geometry")
		}
		g, err := decodeGeometry(head.Geometry)
		if err != nil {
			return nil, err
		}
		return []orb.Geometry{g}, nil
	case "FeatureCollection":
		var out []orb.Geometry
		for i, f := range head.Features {
			gs, err := decodeGeoJSON(f)
			if err != nil {
				return nil, fmt.Errorf("feature %d: %w", i+1, err)
			}
			out = append(out, gs...)
		}
		if len(out) == 0 {
			return nil, errors.New("the FeatureCollection has no feature with a geometry")
		}
		return out, nil
	}
	g, err := decodeGeometry(raw)
	if err != nil {
		return nil, err
	}
	return []orb.Geometry{g}, nil
}

func decodeGeometry(raw json.RawMessage) (orb.Geometry, error) {
	var g struct {
		Type        string            `json:"type"`
		Coordinates json.RawMessage   `json:"coordinates"`
		Geometries  []json.RawMessage `json:"geometries"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, errors.New("not a GeoJSON geometry")
	}
	bad := func(err error) error {
		return fmt.Errorf("the %s has malformed coordinates (%s)", g.Type, jsonTypeProblem(err))
	}
	switch g.Type {
	case "Point":
		var c []float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil || len(c) < 2 {
			return nil, bad(err)
		}
		return orb.Point{c[0], c[1]}, nil
	case "MultiPoint", "LineString":
		var c [][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, bad(err)
		}
		ps, err := points(c)
		if err != nil {
			return nil, bad(err)
		}
		if g.Type == "MultiPoint" {
			return orb.MultiPoint(ps), nil
		}
		return orb.LineString(ps), nil
	case "MultiLineString", "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, bad(err)
		}
		if g.Type == "MultiLineString" {
			out := orb.MultiLineString{}
			for _, l := range c {
				ps, err := points(l)
				if err != nil {
					return nil, bad(err)
				}
				out = append(out, orb.LineString(ps))
			}
			return out, nil
		}
		p, err := polygon(c)
		if err != nil {
			return nil, bad(err)
		}
		return p, nil
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, bad(err)
		}
		out := orb.MultiPolygon{}
		for _, pc := range c {
			p, err := polygon(pc)
			if err != nil {
				return nil, bad(err)
			}
			out = append(out, p)
		}
		return out, nil
	case "GeometryCollection":
		out := orb.Collection{}
		for _, r := range g.Geometries {
			gg, err := decodeGeometry(r)
			if err != nil {
				return nil, err
			}
			out = append(out, gg)
		}
		return out, nil
	case "":
		return nil, errors.New(`a GeoJSON object needs a "type"`)
	}
	return nil, fmt.Errorf("%q is not a GeoJSON geometry type", truncate(g.Type, 40))
}

func points(c [][]float64) ([]orb.Point, error) {
	out := make([]orb.Point, len(c))
	for i, p := range c {
		if len(p) < 2 {
			return nil, fmt.Errorf("position %d has %d number(s), not 2 or 3", i+1, len(p))
		}
		out[i] = orb.Point{p[0], p[1]}
	}
	return out, nil
}

func polygon(c [][][]float64) (orb.Polygon, error) {
	p := make(orb.Polygon, 0, len(c))
	for _, r := range c {
		ps, err := points(r)
		if err != nil {
			return nil, err
		}
		p = append(p, orb.Ring(ps))
	}
	return p, nil
}

func jsonTypeProblem(err error) string {
	if err == nil {
		return "too few numbers"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "expected numbers, found a " + te.Value
	}
	return err.Error()
}

// checkGeometry checks one geometry in CRS84.
func checkGeometry(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Point:
		return checkPosition(g, "the point")
	case orb.MultiPoint:
		for i, p := range g {
			if err := checkPosition(p, "point "+strconv.Itoa(i+1)); err != nil {
				return err
			}
		}
	case orb.LineString:
		return checkLine(g, "the line")
	case orb.MultiLineString:
		for i, l := range g {
			if err := checkLine(l, "line "+strconv.Itoa(i+1)); err != nil {
				return err
			}
		}
	case orb.Polygon:
		return checkPolygon(g, "")
	case orb.MultiPolygon:
		if len(g) == 0 {
			return errors.New("the MultiPolygon has no polygon")
		}
		for i, p := range g {
			if err := checkPolygon(p, "polygon "+strconv.Itoa(i+1)+", "); err != nil {
				return err
			}
		}
	case orb.Collection:
		for i, gg := range g {
			if err := checkGeometry(gg); err != nil {
				return fmt.Errorf("geometry %d: %w", i+1, err)
			}
		}
	}
	return nil
}

func checkPosition(p orb.Point, where string) error {
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 {
		return fmt.Errorf("%s: longitude %s is outside -180…180 (positions are longitude, latitude)", where, num(p[0]))
	}
	if p[1] < -90 || p[1] > 90 {
		return fmt.Errorf("%s: latitude %s is outside -90…90 (positions are longitude, latitude)", where, num(p[1]))
	}
	return nil
}

func checkLine(l orb.LineString, where string) error {
	for i, p := range l {
		if err := checkPosition(p, fmt.Sprintf("%s, position %d", where, i+1)); err != nil {
			return err
		}
	}
	if len(dedup(l)) < 2 {
		return fmt.Errorf("%s needs at least 2 distinct positions, has %d", where, len(dedup(l)))
	}
	return nil
}

// ringName names ring i of a polygon for a message.
func ringName(prefix string, i int) string {
	if i == 0 {
		return prefix + "the outer ring"
	}
	return prefix + "hole " + strconv.Itoa(i)
}

// checkPolygon checks the rings of a polygon: enough positions, closed, inside CRS84,
// with an area, not crossing themselves or each other, and holes inside the shell.
func checkPolygon(p orb.Polygon, prefix string) error {
	if len(p) == 0 {
		return fmt.Errorf("%sthe polygon has no ring", prefix)
	}
	rings := make([]orb.Ring, len(p))
	for i, r := range p {
		name := ringName(prefix, i)
		for j, pt := range r {
			if err := checkPosition(pt, fmt.Sprintf("%s, position %d", name, j+1)); err != nil {
				return err
			}
		}
		if len(r) < 4 {
			return fmt.Errorf("%s has %d positions: a ring needs at least 4 (3 corners, then the first repeated last)", name, len(r))
		}
		if r[0] != r[len(r)-1] {
			return fmt.Errorf("%s is not closed: it ends at %s, not at its first position %s", name, pt(r[len(r)-1]), pt(r[0]))
		}
		rings[i] = dedup(r)
		if len(rings[i]) < 4 {
			return fmt.Errorf("%s has fewer than 3 distinct corners", name)
		}
		if collinear(rings[i]) {
			return fmt.Errorf("%s has no area: its corners lie on one line", name)
		}
	}
	if err := checkCrossings(rings, prefix); err != nil {
		return err
	}
	for i := 1; i < len(rings); i++ {
		// The rings do not cross: a hole is inside the shell when any of its
		// corners is (one not on the shell's boundary).
		inside := false
		for _, c := range rings[i][:len(rings[i])-1] {
			if !onRing(rings[0], c) {
				inside = planar.RingContains(rings[0], c)
				break
			}
		}
		if !inside {
			return fmt.Errorf("%s lies outside the outer ring (holes must be inside it)", ringName(prefix, i))
		}
	}
	return nil
}

// dedup drops consecutive repeated positions.
func dedup(r []orb.Point) []orb.Point {
	out := make([]orb.Point, 0, len(r))
	for i, p := range r {
		if i == 0 || p != r[i-1] {
			out = append(out, p)
		}
	}
	return out
}

type segment struct {
	ring, idx int // ring and edge index (edge idx goes from position idx to idx+1)
	a, b      orb.Point
}

// checkCrossings reports the first place where an edge crosses or touches another
// (other than its neighbours in the same ring). Edges are swept by their west end so
// that large rings are checked in about n log n.
func checkCrossings(rings []orb.Ring, prefix string) error {
	var segs []segment
	edges := make([]int, len(rings))
	for ri, r := range rings {
		edges[ri] = len(r) - 1
		for i := 0; i+1 < len(r); i++ {
			segs = append(segs, segment{ring: ri, idx: i, a: r[i], b: r[i+1]})
		}
	}
	west := func(s segment) float64 { return min(s.a[0], s.b[0]) }
	slices.SortFunc(segs, func(x, y segment) int {
		if d := west(x) - west(y); d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
		return 0
	})
	for i, s := range segs {
		east := max(s.a[0], s.b[0])
		for _, t := range segs[i+1:] {
			if west(t) > east {
				break
			}
			if s.ring == t.ring && adjacent(s.idx, t.idx, edges[s.ring]) {
				continue
			}
			at, ok := intersection(s.a, s.b, t.a, t.b)
			if !ok {
				continue
			}
			if s.ring > t.ring || s.ring == t.ring && s.idx > t.idx {
				s, t = t, s
			}
			if s.ring == t.ring {
				return fmt.Errorf("%s crosses itself at %s: edge %d (%s → %s) meets edge %d (%s → %s)",
					ringName(prefix, s.ring), pt(at), s.idx+1, pt(s.a), pt(s.b), t.idx+1, pt(t.a), pt(t.b))
			}
			return fmt.Errorf("%s and %s meet at %s", ringName(prefix, s.ring), ringName(prefix, t.ring), pt(at))
		}
	}
	return nil
}

// adjacent reports edges i and j of a ring of n edges that share a corner.
func adjacent(i, j, n int) bool {
	d := i - j
	return d == 1 || d == -1 || (n > 2 && (d == n-1 || d == 1-n))
}

// intersection returns a point the segments ab and cd have in common, if any.
func intersection(a, b, c, d orb.Point) (orb.Point, bool) {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		// Proper crossing.
		den := (a[0]-b[0])*(c[1]-d[1]) - (a[1]-b[1])*(c[0]-d[0])
		t := ((a[0]-c[0])*(c[1]-d[1]) - (a[1]-c[1])*(c[0]-d[0])) / den
		return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}, true
	}
	switch {
	case o1 == 0 && onSegment(a, b, c):
		return c, true
	case o2 == 0 && onSegment(a, b, d):
		return d, true
	case o3 == 0 && onSegment(c, d, a):
		return a, true
	case o4 == 0 && onSegment(c, d, b):
		return b, true
	}
	return orb.Point{}, false
}

// orient is the sign of the turn a → b → c: 1 left, -1 right, 0 collinear.
func orient(a, b, c orb.Point) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// onSegment reports whether c, collinear with ab, lies on the segment ab.
func onSegment(a, b, c orb.Point) bool {
	return min(a[0], b[0]) <= c[0] && c[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= c[1] && c[1] <= max(a[1], b[1])
}

// collinear reports a ring whose corners all lie on one line.
func collinear(r orb.Ring) bool {
	for _, c := range r[2:] {
		if orient(r[0], r[1], c) != 0 {
			return false
		}
	}
	return true
}

func onRing(r orb.Ring, c orb.Point) bool {
	for i := 0; i+1 < len(r); i++ {
		if orient(r[i], r[i+1], c) == 0 && onSegment(r[i], r[i+1], c) {
			return true
		}
	}
	return false
}

func pt(p orb.Point) string { return "(" + num(p[0]) + ", " + num(p[1]) + ")" }

func num(f float64) string {
	return strconv.FormatFloat(math.Round(f*1e6)/1e6, 'f', -1, 64)
}

// BBox checks a bounding box's numbers (4 or 6). In CRS84 (crs "" or …/CRS84[h])
// latitudes must be in -90…90 with the minimum below the maximum, and longitudes in
// -180…180; a minimum longitude above the maximum is a box crossing the antimeridian,
// which is legal: note says so. In another CRS the minimum must not exceed the maximum.
func BBox(c []float64, crs string) (note string, err error) {
	if len(c) != 4 && len(c) != 6 {
		return "", fmt.Errorf("a bounding box has 4 or 6 numbers (minx,miny,maxx,maxy), got %d", len(c))
	}
	half := len(c) / 2
	minx, miny, maxx, maxy := c[0], c[1], c[half], c[half+1]
	for _, v := range c {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "", errors.New("a bounding box holds finite numbers")
		}
	}
	if crs != "" && !IsCRS84(crs) {
		for i := 0; i < half; i++ {
			if c[i] > c[half+i] {
				return "", fmt.Errorf("the minimum of axis %d (%s) is above its maximum (%s): enter the minimums first", i+1, num(c[i]), num(c[half+i]))
			}
		}
		return "", nil
	}
	for _, y := range []float64{miny, maxy} {
		if y < -90 || y > 90 {
			return "", fmt.Errorf("latitude %s is outside -90…90 (enter minLon,minLat,maxLon,maxLat)", num(y))
		}
	}
	for _, x := range []float64{minx, maxx} {
		if x < -180 || x > 180 {
			return "", fmt.Errorf("longitude %s is outside -180…180", num(x))
		}
	}
	if miny > maxy {
		return "", fmt.Errorf("the minimum latitude %s is above the maximum latitude %s: enter minLon,minLat,maxLon,maxLat (did you swap the corners?)", num(miny), num(maxy))
	}
	if minx > maxx {
		return fmt.Sprintf("The box's west edge (%s) is east of its east edge (%s): it is read as a box crossing the antimeridian (180°), %s° wide. If you meant the box between them, swap the longitudes.",
			num(minx), num(maxx), num(maxx+360-minx)), nil
	}
	return "", nil
}

// IsCRS84 reports a CRS URI of CRS84 (or none, which means CRS84).
func IsCRS84(crs string) bool {
	return crs == "" || strings.HasSuffix(crs, "/CRS84") || strings.HasSuffix(crs, "/CRS84h")
}

// GeometryOf turns GeoJSON for an input that takes one geometry into that geometry:
// a Feature gives its geometry, a FeatureCollection of one feature that feature's
// geometry, and one of several polygons their MultiPolygon when multi (the input takes
// a MultiPolygon). Anything else is returned as it is.
func GeometryOf(raw json.RawMessage, multi bool) (json.RawMessage, error) {
	var head struct {
		Type     string            `json:"type"`
		Geometry json.RawMessage   `json:"geometry"`
		Features []json.RawMessage `json:"features"`
	}
	if json.Unmarshal(raw, &head) != nil {
		return raw, nil
	}
	switch head.Type {
	case "Feature":
		if len(head.Geometry) == 0 || string(head.Geometry) == "null" {
			return nil, errors.New("the Feature has no geometry")
		}
		return head.Geometry, nil
	case "FeatureCollection":
		var geoms []json.RawMessage
		for _, f := range head.Features {
			var ft struct {
				Geometry json.RawMessage `json:"geometry"`
			}
			if json.Unmarshal(f, &ft) == nil && len(ft.Geometry) > 0 && string(ft.Geometry) != "null" {
				geoms = append(geoms, ft.Geometry)
			}
		}
		switch {
		case len(geoms) == 0:
			return nil, errors.New("the FeatureCollection has no feature with a geometry")
		case len(geoms) == 1:
			return geoms[0], nil
		case !multi:
			return nil, fmt.Errorf("the FeatureCollection has %d features and this input takes one geometry: keep only the feature you mean", len(geoms))
		}
		var polys [][][][]float64
		for i, g := range geoms {
			var gg struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			}
			_ = json.Unmarshal(g, &gg)
			switch gg.Type {
			case "Polygon":
				var c [][][]float64
				if json.Unmarshal(gg.Coordinates, &c) != nil {
					return nil, fmt.Errorf("feature %d: the Polygon has malformed coordinates", i+1)
				}
				polys = append(polys, c)
			case "MultiPolygon":
				var c [][][][]float64
				if json.Unmarshal(gg.Coordinates, &c) != nil {
					return nil, fmt.Errorf("feature %d: the MultiPolygon has malformed coordinates", i+1)
				}
				polys = append(polys, c...)
			default:
				return nil, fmt.Errorf("the FeatureCollection has %d features and feature %d is a %s: keep only the feature you mean", len(geoms), i+1, truncate(gg.Type, 40))
			}
		}
		return json.Marshal(map[string]any{"type": "MultiPolygon", "coordinates": polys})
	}
	return raw, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
