package jobs

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// fakeOGC is an OGC API – Processes server for the monitor's tests. Its jobs advance
// one state each time their current state has been served whole to a status request,
// so that every state is observable: a monitor that loses none records them all.
// Chaos makes a share of the job requests fail in every way a real server can.
type fakeOGC struct {
	mu      sync.Mutex
	jobs    map[string]*fakeJob
	order   []string
	rng     *rand.Rand
	chaos   float64 // share of GET /jobs/... requests that misbehave
	nextID  int
	down    atomic.Bool // every request answers 503
	hangup  atomic.Bool // every request is answered by a reset connection
	postErr int         // status the next POST answers (0: normal)
	postRST bool        // the next POST reads the request and resets the connection
	reuseID bool        // POSTs answer the last job id again (a broken or hostile server)

	noList   bool            // GET /jobs answers 404
	maxLimit int             // most jobs on one page of the job list
	unlisted map[string]bool // jobs the job list leaves out
	lists    atomic.Int64    // job list pages served
	listTry  atomic.Int64    // GET /jobs requests, answered or not
	unlistN  int             // every unlistN-th job created is left out of the job list
	statusN  map[string]int  // status requests by job

	requests atomic.Int64
	failures map[string]int // chaos answers by kind
	refused  map[string]int // requests answered 503 while down, by job ID
}

type fakeState struct {
	Status   string
	Progress int
	Message  string
}

type fakeJob struct {
	id       string
	states   []fakeState
	pos      int
	served   []fakeState // states served whole, in order
	forgetAt int         // forget the job once this state was served (-1: never)
	gone     bool
	reason   string // failure reason of a failing job
	listed   int    // states first served by the job list
}

// fakeInputs are the countdown's inputs on the fake server.
type fakeInputs struct {
	Steps    int  `json:"steps"`
	Fail     bool `json:"fail"`
	ForgetAt int  `json:"forgetAt"` // 0: never
}

func newFakeOGC(chaos float64, seed uint64) *fakeOGC {
	return &fakeOGC{jobs: map[string]*fakeJob{}, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), chaos: chaos,
		failures: map[string]int{}, maxLimit: 7, unlisted: map[string]bool{}, statusN: map[string]int{}}
}

func (f *fakeOGC) statusDoc(j *fakeJob, s fakeState) []byte {
	b, _ := json.Marshal(map[string]any{"jobID": j.id, "processID": "countdown", "type": "process",
		"status": s.Status, "progress": s.Progress, "message": s.Message,
		"links": []map[string]string{{"rel": "self", "type": "application/json", "href": "/jobs/" + j.id}}})
	return b
}

func (f *fakeOGC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	defer stirred.Fire()
	if f.hangup.Load() {
		reset(w)
		return
	}
	if f.down.Load() {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/jobs/"); ok {
			id, _ := strings.CutSuffix(rest, "/results")
			f.mu.Lock()
			if f.refused == nil {
				f.refused = map[string]int{}
			}
			f.refused[id]++
			f.mu.Unlock()
		}
		w.Header().Set("Retry-After", "1")
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/processes/countdown/execution":
		f.execute(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/jobs":
		f.list(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/jobs/"):
		rest := strings.TrimPrefix(r.URL.Path, "/jobs/")
		id, results := strings.CutSuffix(rest, "/results")
		if f.misbehave(w) {
			return
		}
		if results {
			f.results(w, id)
		} else {
			f.status(w, id)
		}
	default:
		writeExc(w, http.StatusNotFound, "not-found", "no such resource")
	}
}

func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

func writeExc(w http.ResponseWriter, status int, typ, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(ogcapi.Exception{Type: ogcapi.ExcPrefix + typ, Title: typ, Status: status, Detail: detail})
}

// misbehave answers a share of the requests with a failure and reports whether it did.
func (f *fakeOGC) misbehave(w http.ResponseWriter) bool {
	f.mu.Lock()
	roll := f.rng.Float64()
	kind := f.rng.IntN(5)
	f.mu.Unlock()
	if roll >= f.chaos {
		return false
	}
	names := []string{"500", "503", "reset", "truncated", "malformed"}
	f.mu.Lock()
	f.failures[names[kind]]++
	f.mu.Unlock()
	switch kind {
	case 0:
		writeExc(w, http.StatusInternalServerError, "internal", "database is locked")
	case 1:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	case 2:
		reset(w)
	case 3:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "200")
		w.Write([]byte(`{"jobID":"x","status":"runn`))
	case 4:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"jobID": "x", "status": running}`))
	}
	return true
}

func (f *fakeOGC) execute(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Inputs fakeInputs `json:"inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeExc(w, http.StatusBadRequest, "invalid-parameter-value", err.Error())
		return
	}
	f.mu.Lock()
	if f.postRST {
		f.postRST = false
		f.mu.Unlock()
		reset(w)
		return
	}
	if f.postErr != 0 {
		status := f.postErr
		f.postErr = 0
		f.mu.Unlock()
		writeExc(w, status, "invalid-parameter-value", "seconds must not be negative")
		return
	}
	if !f.reuseID {
		f.nextID++
	}
	j := &fakeJob{id: fmt.Sprintf("srv-%04d", f.nextID), forgetAt: req.Inputs.ForgetAt - 1}
	j.states = append(j.states, fakeState{Status: ogcapi.StatusAccepted})
	for i := 0; i < req.Inputs.Steps; i++ {
		p := i * 100 / req.Inputs.Steps
		j.states = append(j.states, fakeState{Status: ogcapi.StatusRunning, Progress: p, Message: fmt.Sprintf("%d steps left", req.Inputs.Steps-i)})
	}
	if req.Inputs.Fail {
		j.reason = "out of memory in step " + fmt.Sprint(req.Inputs.Steps)
		j.states = append(j.states, fakeState{Status: ogcapi.StatusFailed, Progress: 100, Message: j.reason})
	} else {
		j.states = append(j.states, fakeState{Status: ogcapi.StatusSuccessful, Progress: 100, Message: "done"})
	}
	f.jobs[j.id] = j
	f.order = append(f.order, j.id)
	if f.unlistN > 0 && f.nextID%f.unlistN == 0 {
		f.unlisted[j.id] = true
	}
	body := f.statusDoc(j, j.states[0])
	j.served = append(j.served, j.states[0])
	if len(j.states) > 1 {
		j.pos = 1
	}
	f.mu.Unlock()
	w.Header().Set("Location", "/jobs/"+j.id)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write(body)
}

func (f *fakeOGC) status(w http.ResponseWriter, id string) {
	f.mu.Lock()
	f.statusN[id]++
	j := f.jobs[id]
	if j == nil || j.gone {
		f.mu.Unlock()
		writeExc(w, http.StatusNotFound, "no-such-job", "job "+id+" is unknown")
		return
	}
	s := j.states[j.pos]
	body := f.statusDoc(j, s)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if _, err := w.Write(body); err != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.advance(j, s)
}

// advance notes that state s of job j was served whole and moves the job on.
func (f *fakeOGC) advance(j *fakeJob, s fakeState) {
	if len(j.served) == 0 || j.served[len(j.served)-1] != s {
		j.served = append(j.served, s)
	}
	if j.forgetAt >= 0 && j.pos >= j.forgetAt {
		j.gone = true
	}
	if j.pos < len(j.states)-1 {
		j.pos++
	}
}

func (f *fakeOGC) results(w http.ResponseWriter, id string) {
	f.mu.Lock()
	j := f.jobs[id]
	var state fakeState
	if j != nil {
		state = j.states[j.pos]
	}
	f.mu.Unlock()
	switch {
	case j == nil || j.gone:
		writeExc(w, http.StatusNotFound, "no-such-job", "job "+id+" is unknown")
	case state.Status == ogcapi.StatusFailed:
		writeExc(w, http.StatusInternalServerError, "NoApplicableCode", j.reason)
	case state.Status != ogcapi.StatusSuccessful:
		writeExc(w, http.StatusNotFound, "result-not-ready", "still running")
	default:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"message":{"value":"counted %d steps"}}`, len(j.states)-2)
	}
}

// list is GET /jobs, oldest first, in pages of limit jobs (default 10) linked by
// next links; every job listed counts as served, as by a status request.
func (f *fakeOGC) list(w http.ResponseWriter, r *http.Request) {
	f.listTry.Add(1)
	if f.noList {
		writeExc(w, http.StatusNotFound, "not-found", "no job list here")
		return
	}
	if f.misbehave(w) {
		return
	}
	f.lists.Add(1)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, f.maxLimit)
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	f.mu.Lock()
	var listed []*fakeJob
	for _, id := range f.order {
		if j := f.jobs[id]; !j.gone && !f.unlisted[id] {
			listed = append(listed, j)
		}
	}
	lo, hi := min(offset, len(listed)), min(offset+limit, len(listed))
	page := listed[lo:hi]
	jobs := make([]json.RawMessage, len(page))
	states := make([]fakeState, len(page))
	for i, j := range page {
		states[i] = j.states[j.pos]
		jobs[i] = f.statusDoc(j, states[i])
	}
	f.mu.Unlock()
	links := []map[string]string{}
	if hi < len(listed) {
		links = append(links, map[string]string{"rel": "next", "type": "application/json",
			"href": fmt.Sprintf("/jobs?limit=%d&offset=%d", limit, hi)})
	}
	body, _ := json.Marshal(map[string]any{"jobs": jobs, "links": links})
	w.Header().Set("Content-Type", "application/json")
	if _, err := w.Write(body); err != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, j := range page {
		if j.states[j.pos] == states[i] {
			if len(j.served) == 0 || j.served[len(j.served)-1] != states[i] {
				j.listed++
			}
			f.advance(j, states[i])
		}
	}
}

// goDown makes every request answer 503 and forgets which jobs were refused before.
func (f *fakeOGC) goDown() {
	f.mu.Lock()
	f.refused = map[string]int{}
	f.mu.Unlock()
	f.down.Store(true)
}

// wasRefused reports whether a request for the job was answered 503 since goDown.
func (f *fakeOGC) wasRefused(remoteID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused[remoteID] > 0
}

// served returns the states a job's status requests were answered with, in order.
func (f *fakeOGC) served(id string) []fakeState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeState(nil), f.jobs[id].served...)
}

// listedStates returns how many of the job's states were first served by the job list.
func (f *fakeOGC) listedStates(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jobs[id].listed
}

// statusRequests returns how many status requests the job had.
func (f *fakeOGC) statusRequests(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statusN[id]
}

func (f *fakeOGC) gone(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jobs[id].gone
}

// addJob creates a job on the server directly (as another client would).
func (f *fakeOGC) addJob(steps int, at time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	j := &fakeJob{id: fmt.Sprintf("other-%04d", f.nextID), forgetAt: -1}
	j.states = []fakeState{{Status: ogcapi.StatusRunning, Progress: 0, Message: "started elsewhere"}}
	for i := 1; i < steps; i++ {
		j.states = append(j.states, fakeState{Status: ogcapi.StatusRunning, Progress: i * 100 / steps})
	}
	j.states = append(j.states, fakeState{Status: ogcapi.StatusSuccessful, Progress: 100, Message: "done"})
	f.jobs[j.id] = j
	f.order = append(f.order, j.id)
	return j.id
}
