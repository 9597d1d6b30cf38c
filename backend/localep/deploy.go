package localep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/localep/cwl"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/safetext"
	"github.com/spf13/afero"
)

// deployedPackage is what is stored of a deployed process (processes/{id}.json).
type deployedPackage struct {
	MediaType string          `json:"mediaType"` // as deployed; GET /package answers with it
	Body      []byte          `json:"body"`      // the request body as deployed
	Workflow  string          `json:"workflow"`  // the CWL workflow id (w)
	CWL       json.RawMessage `json:"cwl"`       // the CWL document (fetched for ogcapppkg links) as JSON
	Deployed  time.Time       `json:"deployed"`
	Process   ogcapi.Process  `json:"process"` // the derived description
}

func (s *Server) loadPackages() error {
	entries, err := afero.ReadDir(s.st.fs, s.st.path("processes"))
	if err != nil {
		return fmt.Errorf("localep: read deployed processes: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		var pkg deployedPackage
		if err := s.st.readJSON(s.st.path("processes", name), &pkg); err != nil {
			s.log.Warn("local endpoint: skipping unreadable deployed process", "file", name, "err", err)
			continue
		}
		p, err := packageProcess(&pkg)
		if err != nil {
			s.log.Warn("local endpoint: skipping deployed process", "file", name, "err", err)
			continue
		}
		if old, clash := s.processes[p.desc.ID]; clash && !old.yields {
			s.log.Warn("local endpoint: a deployed process has the id of a built-in one; ignoring it", "process", p.desc.ID)
			continue
		}
		s.processes[p.desc.ID] = p
	}
	return nil
}

// packageProcess makes the process of a deployed package.
func packageProcess(pkg *deployedPackage) (*process, error) {
	d := pkg.Process
	d.JobControlOptions = []string{ogcapi.AsyncExecute, ogcapi.Dismiss}
	d.OutputTransmission = []string{ogcapi.TransmissionValue, ogcapi.TransmissionReference}
	return prepare(&process{
		desc: d,
		pkg:  pkg,
		// File inputs may be given by reference: the run downloads them.
		acceptsRefs: true,
		run: func(ctx context.Context, rc *runContext, inputs map[string]json.RawMessage) (map[string]outputValue, error) {
			return rc.s.runPackage(ctx, rc, pkg, inputs)
		},
	})
}

// readPackage reads a deploy/replace body into a package: CWL (YAML or JSON) or an
// OGC application package whose executionUnit holds or links to the CWL.
func (s *Server) readPackage(w http.ResponseWriter, r *http.Request) (*deployedPackage, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = ""
	}
	switch mt {
	case ogcapi.MediaCWL, ogcapi.MediaCWLYAML, ogcapi.MediaCWLJSON, ogcapi.MediaOGCAppPkg:
	default:
		return nil, newProblem(http.StatusUnsupportedMediaType, ogcapi.ExcUnsupportedMedia, "Unsupported media type",
			"deploy accepts %s, %s, %s and %s, got %q", ogcapi.MediaCWL, ogcapi.MediaCWLYAML, ogcapi.MediaCWLJSON, ogcapi.MediaOGCAppPkg, ct)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxPkg))
	if err != nil {
		return nil, newProblem(http.StatusRequestEntityTooLarge, excBadRequest, "Package too large", "cannot read the package (at most %d bytes): %v", s.maxPkg, err)
	}
	var doc *cwl.Document
	if mt == ogcapi.MediaOGCAppPkg {
		doc, err = s.appPackageCWL(r.Context(), body)
	} else {
		doc, err = cwl.Parse(body)
	}
	if err != nil {
		var p *problem
		if errors.As(err, &p) {
			return nil, p
		}
		return nil, badRequest("%v", err)
	}
	wf, err := doc.Workflow(r.URL.Query().Get("w"))
	if errors.Is(err, cwl.ErrWorkflowNotFound) {
		return nil, newProblem(http.StatusBadRequest, ogcapi.ExcWorkflowNotFound, "Workflow not found", "%v", err)
	}
	if err != nil {
		return nil, badRequest("%v", err)
	}
	if !cwl.ValidID(wf.ID) {
		return nil, badRequest("the workflow id %q cannot be a process id here (letters, digits, '.', '_' and '-', at most 128)", wf.ID)
	}
	return &deployedPackage{
		MediaType: mt, Body: body, Workflow: wf.ID, CWL: doc.Canonical(),
		Deployed: time.Now().UTC(), Process: wf.Process(),
	}, nil
}

// appPackageCWL finds the CWL of an application/ogcapppkg+json body: an executionUnit
// that is a qualified value (CWL in-line, JSON object or YAML text) or a link to the
// CWL (fetched over http or https, at most MaxPackageBytes).
func (s *Server) appPackageCWL(ctx context.Context, body []byte) (*cwl.Document, error) {
	var pkg struct {
		ExecutionUnit json.RawMessage `json:"executionUnit"`
	}
	if err := json.Unmarshal(body, &pkg); err != nil {
		return nil, badRequest("the application package is not JSON: %v", err)
	}
	if len(pkg.ExecutionUnit) == 0 {
		return nil, badRequest("the application package has no executionUnit")
	}
	units := []json.RawMessage{pkg.ExecutionUnit}
	var arr []json.RawMessage
	if json.Unmarshal(pkg.ExecutionUnit, &arr) == nil {
		units = arr
	}
	var kinds []string
	for _, raw := range units {
		var u struct {
			Href      string          `json:"href"`
			Type      string          `json:"type"`
			Value     json.RawMessage `json:"value"`
			MediaType string          `json:"mediaType"`
		}
		if err := json.Unmarshal(raw, &u); err != nil {
			return nil, badRequest("an executionUnit is not an object: %v", err)
		}
		switch {
		case u.Href != "":
			return s.fetchCWL(ctx, u.Href)
		case len(u.Value) > 0:
			var text string
			if json.Unmarshal(u.Value, &text) == nil {
				return cwl.Parse([]byte(text))
			}
			return cwl.Parse(u.Value)
		}
		kinds = append(kinds, orDefault(u.Type, "unknown"))
	}
	return nil, newProblem(http.StatusUnsupportedMediaType, ogcapi.ExcUnsupportedMedia, "Unsupported execution unit",
		"the local endpoint deploys CWL only (an executionUnit link to CWL or a CWL value), got execution units of type %s", strings.Join(kinds, ", "))
}

func (s *Server) fetchCWL(ctx context.Context, href string) (*cwl.Document, error) {
	u, err := url.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badRequest("the executionUnit href must be an http(s) URL, got %q", href)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, badRequest("the executionUnit href %q: %v", href, err)
	}
	req.Header.Set("Accept", "application/cwl+yaml, application/cwl, application/yaml, application/json;q=0.9, */*;q=0.5")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, newProblem(http.StatusBadRequest, excBadRequest, "Cannot fetch the CWL", "fetching the executionUnit %s failed: %v", safetext.URL(u), errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, newProblem(http.StatusBadRequest, excBadRequest, "Cannot fetch the CWL", "fetching the executionUnit %s answered %s", safetext.URL(u), resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, s.maxPkg+1))
	if err != nil {
		return nil, newProblem(http.StatusBadRequest, excBadRequest, "Cannot fetch the CWL", "reading the executionUnit %s failed: %v", safetext.URL(u), err)
	}
	if int64(len(b)) > s.maxPkg {
		return nil, newProblem(http.StatusBadRequest, excBadRequest, "CWL too large", "the executionUnit %s is larger than %d bytes", safetext.URL(u), s.maxPkg)
	}
	return cwl.Parse(b)
}

// deploy is POST /processes.
func (s *Server) deploy(w http.ResponseWriter, r *http.Request) error {
	pkg, err := s.readPackage(w, r)
	if err != nil {
		return err
	}
	p, err := packageProcess(pkg)
	if err != nil {
		return badRequest("the package's description is unusable: %v", err)
	}
	id := p.desc.ID
	loc := s.baseURL(r) + "/processes/" + id
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.processes[id]; ok && !old.yields {
		if old.builtin {
			return newProblem(http.StatusForbidden, ogcapi.ExcImmutableProc, "Immutable process", "process %q is built in and cannot be replaced", id)
		}
		w.Header().Set("Location", loc)
		return newProblem(http.StatusConflict, ogcapi.ExcDuplicatedProc, "Duplicated process", "process %q is already deployed; replace it with PUT %s", id, loc)
	}
	if err := s.st.writeJSON(s.st.processPath(id), pkg); err != nil {
		return err
	}
	s.processes[id] = p
	s.log.Info("local endpoint: process deployed", "process", id)
	w.Header().Set("Location", loc)
	return writeJSON(w, http.StatusCreated, s.summary(r, p))
}

// replace is PUT /processes/{id}; the package must describe the same process id.
func (s *Server) replace(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	s.mu.RLock()
	old, ok := s.processes[id]
	s.mu.RUnlock()
	if !ok {
		return noSuchProcess(id)
	}
	if old.builtin {
		return newProblem(http.StatusForbidden, ogcapi.ExcImmutableProc, "Immutable process", "process %q is built in and cannot be replaced", id)
	}
	if r.URL.Query().Get("w") == "" {
		q := r.URL.Query()
		q.Set("w", id) // replace the workflow of the same id by default
		r.URL.RawQuery = q.Encode()
	}
	pkg, err := s.readPackage(w, r)
	if err != nil {
		return err
	}
	if pkg.Workflow != id {
		return badRequest("the package describes process %q, not %q", pkg.Workflow, id)
	}
	p, err := packageProcess(pkg)
	if err != nil {
		return badRequest("the package's description is unusable: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.processes[id]; !ok {
		return noSuchProcess(id)
	}
	if err := s.st.writeJSON(s.st.processPath(id), pkg); err != nil {
		return err
	}
	s.processes[id] = p
	s.log.Info("local endpoint: process replaced", "process", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// undeploy is DELETE /processes/{id}. Jobs of the process stay listed.
func (s *Server) undeploy(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.processes[id]
	if !ok {
		return noSuchProcess(id)
	}
	if p.builtin {
		return newProblem(http.StatusForbidden, ogcapi.ExcImmutableProc, "Immutable process", "process %q is built in and cannot be undeployed", id)
	}
	if err := s.st.fs.Remove(s.st.processPath(id)); err != nil {
		return fmt.Errorf("remove package %s: %w", id, err)
	}
	delete(s.processes, id)
	for _, b := range builtins() { // a built-in process it took the place of comes back
		if b.desc.ID == id && b.yields {
			if bp, err := prepare(b); err == nil {
				s.processes[id] = bp
			}
		}
	}
	s.log.Info("local endpoint: process undeployed", "process", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getPackage is GET /processes/{id}/package: the body used to deploy, in its media type.
func (s *Server) getPackage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.lookupProcess(r.PathValue("id"))
	if err != nil {
		return err
	}
	if p.pkg == nil {
		return newProblem(http.StatusNotFound, ogcapi.ExcNoSuchProcess, "No package", "process %q is built in and has no application package", p.desc.ID)
	}
	w.Header().Set("Content-Type", p.pkg.MediaType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.pkg.Body)
	return nil
}
