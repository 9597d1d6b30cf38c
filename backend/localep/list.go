package localep

import (
	"maps"
	"net/http"
	"slices"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func (s *Server) listProcesses(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r)
	if err != nil {
		return err
	}
	s.mu.RLock()
	ids := slices.Sorted(maps.Keys(s.processes))
	procs := make([]*process, len(ids))
	for i, id := range ids {
		procs[i] = s.processes[id]
	}
	s.mu.RUnlock()
	lo, hi := window(offset, limit, len(procs))
	list := ogcapi.ProcessList{Processes: []ogcapi.ProcessSummary{}}
	for _, p := range procs[lo:hi] {
		list.Processes = append(list.Processes, s.summary(r, p))
	}
	for _, l := range s.pageLinks(r, offset, limit, len(procs)) {
		list.Links = append(list.Links, ogcapi.Link{Href: l.href, Rel: l.rel, Type: "application/json"})
	}
	return writeJSON(w, http.StatusOK, list)
}
