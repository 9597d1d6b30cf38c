package executepage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/itemfinder"
	"github.com/geojobs/geojobs/backend/stacsearch"
	"github.com/geojobs/geojobs/frontend/web"
)

// Finder searches STAC catalogs for the form's "Find items" (backend/itemfinder).
type Finder interface {
	Catalogs(ctx context.Context) ([]itemfinder.Catalog, error)
	Collections(ctx context.Context, catalogID string) ([]stacsearch.CollectionInfo, bool, error)
	Search(ctx context.Context, catalogID string, p stacsearch.Params) (*itemfinder.Page, error)
	More(ctx context.Context, token string) (*itemfinder.Page, error)
}

// footprints keeps the last pages' footprints for their maps (HTMX drops script
// elements from swapped content, so the map fetches them).
var footprints = struct {
	sync.Mutex
	byID  map[string][]byte
	order []string
}{byID: map[string][]byte{}}

func keepFootprints(items []itemfinder.Item) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	footprints.Lock()
	defer footprints.Unlock()
	footprints.byID[id] = itemfinder.FeatureCollection(items)
	footprints.order = append(footprints.order, id)
	if len(footprints.order) > 100 {
		delete(footprints.byID, footprints.order[0])
		footprints.order = footprints.order[1:]
	}
	return id
}

func (h *Handler) FindFootprints(w http.ResponseWriter, r *http.Request) error {
	footprints.Lock()
	b, ok := footprints.byID[r.PathValue("id")]
	footprints.Unlock()
	if !ok {
		return web.NotFound("These footprints are gone; search again.")
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(b)
	return err
}

var itemName = regexp.MustCompile(`(?i)(^|[_\-\s])(stac_?items?|items?|scenes?)($|[_\-\s])`)

// takesItems reports an input whose values are STAC item URLs: named so (stac_items,
// item), or strings of format uri (one, several, or a list).
func takesItems(fl forms.Field) bool {
	if fl.Kind != forms.KindText && fl.Kind != forms.KindURI && fl.Kind != forms.KindList {
		return false
	}
	if itemName.MatchString(fl.ID) {
		return true
	}
	var s struct {
		Format string `json:"format"`
		Items  struct {
			Format string `json:"format"`
		} `json:"items"`
	}
	_ = json.Unmarshal(fl.Schema, &s)
	return fl.Kind == forms.KindURI || fl.ItemKind == forms.KindURI || s.Format == "uri" || s.Items.Format == "uri"
}

// FinderModel is the picker of one input.
type FinderModel struct {
	Base     string // the process's find/ URL
	Index    int
	Input    string
	Catalogs []itemfinder.Catalog
	// Collections and Cloud are of the chosen catalog.
	Catalog     string
	Collections []stacsearch.CollectionInfo
	Cloud       bool
	Page        *itemfinder.Page
	Err         string
	More        bool // a "more" answer: rows only
}

func (h *Handler) findModel(r *http.Request) (FinderModel, forms.Field, *forms.Form, error) {
	m, err := h.load(r)
	if err != nil {
		return FinderModel{}, forms.Field{}, nil, err
	}
	if h.finder == nil {
		return FinderModel{}, forms.Field{}, nil, web.NotFound("Finding items is not available here.")
	}
	idx, _ := strconv.Atoi(r.URL.Query().Get("idx"))
	fl, ok := m.field(strconv.Itoa(idx))
	if !ok || !takesItems(fl) {
		return FinderModel{}, fl, nil, web.NotFound("That input does not take items.")
	}
	return FinderModel{Base: m.action()[:len(m.action())-len("execute")] + "find/", Index: idx, Input: fl.ID}, fl, m.Form, nil
}

// fragment writes a component alone (an HTMX swap).
func fragment(w http.ResponseWriter, r *http.Request, c templ.Component) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return c.Render(r.Context(), w)
}

func (h *Handler) FindPanel(w http.ResponseWriter, r *http.Request) error {
	fm, _, _, err := h.findModel(r)
	if err != nil {
		return err
	}
	if fm.Catalogs, err = h.finder.Catalogs(r.Context()); err != nil {
		return err
	}
	fm.Catalog = itemfinder.BuiltIn
	fm.Collections, fm.Cloud, err = h.finder.Collections(r.Context(), fm.Catalog)
	if err != nil {
		fm.Err = "The catalog could not be read: " + describe(err)
	}
	return fragment(w, r, FinderPanel(fm))
}

func (h *Handler) FindCollections(w http.ResponseWriter, r *http.Request) error {
	fm, _, _, err := h.findModel(r)
	if err != nil {
		return err
	}
	fm.Catalog = r.URL.Query().Get(fm.name("catalog"))
	fm.Collections, fm.Cloud, err = h.finder.Collections(r.Context(), fm.Catalog)
	if err != nil {
		fm.Err = "The catalog could not be read: " + describe(err)
	}
	return fragment(w, r, FinderTerms(fm))
}

func (h *Handler) FindSearch(w http.ResponseWriter, r *http.Request) error {
	fm, _, form, err := h.findModel(r)
	if err != nil {
		return err
	}
	if err := r.ParseMultipartForm(maxForm); err != nil && err != http.ErrNotMultipart {
		return web.BadRequest("The form could not be read.")
	}
	if tok := r.FormValue(fm.name("more")); tok != "" {
		fm.More = true
		fm.Page, err = h.finder.More(r.Context(), tok)
	} else {
		var p stacsearch.Params
		p, err = searchParams(r, fm, form)
		if err == nil {
			fm.Page, err = h.finder.Search(r.Context(), r.FormValue(fm.name("catalog")), p)
		}
	}
	if err != nil {
		fm.Err = describe(err)
		fm.Page = nil
	}
	return fragment(w, r, FinderResults(fm))
}

// searchParams reads the picker's terms; the area is the form's own area of interest.
func searchParams(r *http.Request, fm FinderModel, form *forms.Form) (stacsearch.Params, error) {
	p := stacsearch.Params{Limit: 10}
	if c := strings.TrimSpace(r.FormValue(fm.name("collection"))); c != "" {
		p.Collections = []string{c}
	}
	from, to := r.FormValue(fm.name("from")), r.FormValue(fm.name("to"))
	if from != "" || to != "" {
		p.Datetime = from + "/" + to
	}
	if c := strings.TrimSpace(r.FormValue(fm.name("cloud"))); c != "" {
		v, err := strconv.ParseFloat(strings.Replace(c, ",", ".", 1), 64)
		if err != nil {
			return p, web.BadRequest("Cloud cover must be a number of percent.")
		}
		p.MaxCloud = &v
	}
	for _, fl := range form.Fields {
		if fl.AOI == "" {
			continue
		}
		v := strings.TrimSpace(r.FormValue(fl.Name(0, "v")))
		if v == "" {
			continue
		}
		p.BBox, p.Intersects = areaOf(fl.AOI, v)
		break
	}
	return p, p.Validate()
}

// areaOf reads an AOI field's value as a bbox or a geometry.
func areaOf(format, v string) ([]float64, json.RawMessage) {
	switch format {
	case forms.AOIBBoxString:
		var box []float64
		for _, s := range strings.Split(v, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return nil, nil
			}
			box = append(box, f)
		}
		if len(box) == 4 {
			return box, nil
		}
	case forms.AOIOGCBBox:
		var b struct{ BBox []float64 }
		if json.Unmarshal([]byte(v), &b) == nil && len(b.BBox) >= 4 {
			if len(b.BBox) == 6 {
				return []float64{b.BBox[0], b.BBox[1], b.BBox[3], b.BBox[4]}, nil
			}
			return b.BBox[:4], nil
		}
	case forms.AOIGeometry:
		return nil, json.RawMessage(v)
	case forms.AOIFeature:
		var f struct{ Geometry json.RawMessage }
		if json.Unmarshal([]byte(v), &f) == nil {
			return nil, f.Geometry
		}
	}
	return nil, nil
}

// fill puts the picked item URLs into field idx: one value, the list, or one row each.
func (m *Model) fill(r *http.Request, index string) int {
	fl, ok := m.field(index)
	if !ok {
		return 0
	}
	urls := r.Form["find."+index+".pick"]
	if len(urls) == 0 {
		return 0
	}
	if m.Values.Inputs == nil {
		m.Values.Inputs = map[string][]forms.Occurrence{}
	}
	switch {
	case fl.Kind == forms.KindList:
		m.Values.Inputs[fl.ID] = []forms.Occurrence{{Value: strings.Join(urls, ",")}}
	case fl.Many():
		occ := make([]forms.Occurrence, 0, len(urls))
		for _, u := range urls {
			occ = append(occ, forms.Occurrence{Value: u})
		}
		m.Values.Inputs[fl.ID] = occ
	default:
		m.Values.Inputs[fl.ID] = []forms.Occurrence{{Value: urls[0]}}
		return 1
	}
	return len(urls)
}

func (fm FinderModel) name(part string) string { return "find." + strconv.Itoa(fm.Index) + "." + part }

func describe(err error) string {
	_, title, detail := web.Describe(err)
	if detail != "" {
		return title + ": " + detail
	}
	return title
}

func (fm FinderModel) id(part string) string { return "find-" + strconv.Itoa(fm.Index) + "-" + part }

func (fm FinderModel) firstCollection() string {
	if len(fm.Collections) > 0 {
		return fm.Collections[0].ID
	}
	return ""
}

func moreVals(fm FinderModel) string {
	b, _ := json.Marshal(map[string]string{fm.name("more"): fm.Page.More})
	return string(b)
}

func findURL(m Model, part string) string {
	return m.action()[:len(m.action())-len("execute")] + "find/" + part
}

// footprintsURL is where the map of a page of items fetches its footprints.
func footprintsURL(items []itemfinder.Item) string {
	return "/find/footprints/" + keepFootprints(items)
}
