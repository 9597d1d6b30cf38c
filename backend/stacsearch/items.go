package stacsearch

import (
	"encoding/json"
	"mime"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/geocheck"
	"github.com/geojobs/geojobs/backend/stac"
)

// CloudCover is the item's eo:cloud_cover, an int on some servers and a float on others.
func CloudCover(it *stac.Item) (float64, bool) {
	var f float64
	if raw, ok := it.Properties["eo:cloud_cover"]; ok && json.Unmarshal(raw, &f) == nil {
		return f, true
	}
	return 0, false
}

// ItemURL is the URL of the item itself (its self link, or canonical when it has no
// self), what a process input taking item URLs wants. "" when it has neither.
func ItemURL(it *stac.Item) string {
	for _, rel := range []string{"self", "canonical"} {
		for _, l := range it.Links {
			if l.Rel == rel && l.Href != "" {
				return l.Href
			}
		}
	}
	return ""
}

// Thumbnail is the href of an image a browser can show for the item: an asset with role
// thumbnail (or key thumbnail) of a web image type, else an overview such as Planetary
// Computer's rendered_preview. PC's "preview" has role thumbnail but is a GeoTIFF, which
// a browser cannot show. "" when there is none.
func Thumbnail(it *stac.Item) string {
	var best string
	bestRank := 0
	for _, k := range it.AssetKeys() {
		a := it.Assets[k]
		if !webImage(a.Type, a.Href) {
			continue
		}
		rank := 0
		switch {
		case slices.Contains(a.Roles, "thumbnail") || k == "thumbnail":
			rank = 3
		case slices.Contains(a.Roles, "overview") || k == "rendered_preview" || k == "preview":
			rank = 2
		}
		if rank > bestRank && httpHref(a.Href) {
			best, bestRank = a.Href, rank
		}
	}
	return best
}

func webImage(typ, href string) bool {
	if typ != "" {
		mt, _, _ := mime.ParseMediaType(typ)
		switch mt {
		case "image/png", "image/jpeg", "image/webp", "image/gif":
			return true
		}
		return false
	}
	// CMR-STAC assets have no type: go by extension.
	p := strings.ToLower(href)
	if u, err := url.Parse(href); err == nil {
		p = strings.ToLower(u.Path)
	}
	for _, ext := range []string{".png", ".jpg", ".jpeg", ".webp"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

func httpHref(h string) bool {
	return strings.HasPrefix(h, "https://") || strings.HasPrefix(h, "http://")
}

// keep applies the checks made on results whatever the server did: cloud cover (a
// server may ignore the filter), and, for static catalogs, every term.
func keep(it *stac.Item, p *Params) bool {
	if p.MaxCloud != nil {
		cc, ok := CloudCover(it)
		if !ok || cc > *p.MaxCloud {
			return false
		}
	}
	return true
}

// matches applies all of p to an item on the client (static catalogs).
func matches(it *stac.Item, p *Params) bool {
	if !keep(it, p) {
		return false
	}
	if len(p.Collections) > 0 && !slices.Contains(p.Collections, it.Collection) {
		return false
	}
	if len(p.IDs) > 0 && !slices.Contains(p.IDs, it.ID) {
		return false
	}
	if len(p.BBox) == 4 || len(p.Intersects) > 0 {
		area := p.BBox
		if len(area) != 4 {
			if b, ok := geocheck.Bounds(p.Intersects); ok {
				area = b[:]
			}
		}
		ib := it.BBox
		if len(ib) == 6 {
			ib = []float64{ib[0], ib[1], ib[3], ib[4]}
		}
		if len(ib) != 4 || len(area) != 4 || !bboxOverlap(area, ib) {
			return false
		}
	}
	if p.Datetime != "" {
		start, end, ok := interval(it)
		if !ok {
			return false
		}
		from, to := rangeOf(p.Datetime)
		if !from.IsZero() && end.Before(from) || !to.IsZero() && start.After(to) {
			return false
		}
	}
	return true
}

// interval is the item's time: start/end_datetime when given, else datetime.
func interval(it *stac.Item) (time.Time, time.Time, bool) {
	get := func(k string) (time.Time, bool) {
		var s string
		if json.Unmarshal(it.Properties[k], &s) != nil || s == "" {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	}
	s, ok1 := get("start_datetime")
	e, ok2 := get("end_datetime")
	if ok1 && ok2 {
		return s, e, true
	}
	t, ok := get("datetime")
	return t, t, ok
}

// rangeOf reads a Params.Datetime (already validated); open ends are zero.
func rangeOf(dt string) (from, to time.Time) {
	parts := strings.Split(normalDatetime(dt), "/")
	from, _ = time.Parse(time.RFC3339Nano, parts[0])
	to = from
	if len(parts) == 2 {
		to, _ = time.Parse(time.RFC3339Nano, parts[1])
	}
	return from, to
}

// bboxOverlap compares two WGS 84 boxes; a box with minx > maxx crosses the antimeridian.
func bboxOverlap(a, b []float64) bool {
	if a[1] > b[3] || b[1] > a[3] {
		return false
	}
	return lonOverlap(a[0], a[2], b[0], b[2])
}

func lonOverlap(a0, a1, b0, b1 float64) bool {
	split := func(x0, x1 float64) [][2]float64 {
		if x0 <= x1 {
			return [][2]float64{{x0, x1}}
		}
		return [][2]float64{{x0, 180}, {-180, x1}}
	}
	for _, x := range split(a0, a1) {
		for _, y := range split(b0, b1) {
			if x[0] <= y[1] && y[0] <= x[1] {
				return true
			}
		}
	}
	return false
}
