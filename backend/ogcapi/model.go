package ogcapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the documents of OGC API – Processes Part 1 (1.0) and Part 2 (DRU)
// as Go types. They are shared by the client (which reads them leniently: see the
// UnmarshalJSON methods) and by the built-in endpoint (which writes them exactly as
// the standard says). Unknown members are kept where a document may carry foreign
// members that a caller might need (Extra).

// Well-known link relations. Servers also emit the short tokens; use RelIs to compare.
const (
	RelConformance = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
	RelProcesses   = "http://www.opengis.net/def/rel/ogc/1.0/processes"
	RelJobList     = "http://www.opengis.net/def/rel/ogc/1.0/job-list"
	RelExecute     = "http://www.opengis.net/def/rel/ogc/1.0/execute"
	RelResults     = "http://www.opengis.net/def/rel/ogc/1.0/results"
	RelExceptions  = "http://www.opengis.net/def/rel/ogc/1.0/exceptions"
	RelProcessDesc = "http://www.opengis.net/def/rel/ogc/1.0/process-desc"
)

// RelIs reports whether rel names the relation want, accepting the full OGC URI
// (http or https) and the short token after the last slash ("results", "conformance").
func RelIs(rel, want string) bool {
	if rel == want {
		return true
	}
	strip := func(s string) string {
		s = strings.TrimPrefix(s, "https://")
		return strings.TrimPrefix(s, "http://")
	}
	if strip(rel) == strip(want) {
		return true
	}
	if i := strings.LastIndex(want, "/"); i >= 0 && strings.HasPrefix(want, "http") {
		return rel == want[i+1:]
	}
	return false
}

// Link is a web link (link.yaml).
type Link struct {
	Href     string `json:"href"`
	Rel      string `json:"rel,omitempty"`
	Type     string `json:"type,omitempty"`
	HrefLang string `json:"hreflang,omitempty"`
	Title    string `json:"title,omitempty"`
}

// Links is a list of links with lookup helpers.
type Links []Link

// Find returns the first link whose rel matches (see RelIs) and, when typ is not
// empty, whose type starts with typ.
func (ls Links) Find(rel, typ string) (Link, bool) {
	for _, l := range ls {
		if RelIs(l.Rel, rel) && (typ == "" || l.Type == "" || strings.HasPrefix(l.Type, typ)) {
			return l, true
		}
	}
	return Link{}, false
}

// All returns every link whose rel matches.
func (ls Links) All(rel string) Links {
	var out Links
	for _, l := range ls {
		if RelIs(l.Rel, rel) {
			out = append(out, l)
		}
	}
	return out
}

// LandingPage is GET / (landingPage.yaml).
type LandingPage struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Links       Links  `json:"links"`
}

// ConfClasses is GET /conformance (confClasses.yaml).
type ConfClasses struct {
	ConformsTo []string `json:"conformsTo"`
}

// JobControl values of jobControlOptions.
const (
	SyncExecute  = "sync-execute"
	AsyncExecute = "async-execute"
	Dismiss      = "dismiss"
)

// Transmission modes.
const (
	TransmissionValue     = "value"
	TransmissionReference = "reference"
)

// Metadata is an entry of a description's metadata array.
type Metadata struct {
	Title string          `json:"title,omitempty"`
	Role  string          `json:"role,omitempty"`
	Href  string          `json:"href,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// DescriptionType holds the members every description shares (descriptionType.yaml).
type DescriptionType struct {
	Title       string     `json:"title,omitempty"`
	Description string     `json:"description,omitempty"`
	Keywords    []string   `json:"keywords,omitempty"`
	Metadata    []Metadata `json:"metadata,omitempty"`
}

// ProcessSummary is an entry of GET /processes (processSummary.yaml).
type ProcessSummary struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	DescriptionType
	JobControlOptions  []string `json:"jobControlOptions,omitempty"`
	OutputTransmission []string `json:"outputTransmission,omitempty"`
	// Mutable is Part 2's static indicator; nil means absent (default true).
	Mutable *bool `json:"mutable,omitempty"`
	Links   Links `json:"links,omitempty"`
}

// IsMutable reports the Part 2 static indicator, true when absent.
func (p ProcessSummary) IsMutable() bool { return p.Mutable == nil || *p.Mutable }

// Allows reports whether jobControlOptions lists opt. An absent list allows
// sync and async (the standard sets no default, so either answer may come back).
func (p ProcessSummary) Allows(opt string) bool {
	if len(p.JobControlOptions) == 0 {
		return opt == SyncExecute || opt == AsyncExecute
	}
	for _, o := range p.JobControlOptions {
		if o == opt {
			return true
		}
	}
	return false
}

// ProcessList is GET /processes (processList.yaml).
type ProcessList struct {
	Processes []ProcessSummary `json:"processes"`
	Links     Links            `json:"links"`
}

// Process is GET /processes/{id} (process.yaml).
type Process struct {
	ProcessSummary
	Inputs  map[string]InputDescription  `json:"inputs,omitempty"`
	Outputs map[string]OutputDescription `json:"outputs,omitempty"`

	outputOrder []string // the outputs' ids as the description listed them
}

// UnmarshalJSON reads a description and remembers the order of its outputs.
func (p *Process) UnmarshalJSON(b []byte) error {
	type plain Process
	if err := json.Unmarshal(b, (*plain)(p)); err != nil {
		return err
	}
	var m struct {
		Outputs json.RawMessage `json:"outputs"`
	}
	p.outputOrder = nil
	if json.Unmarshal(b, &m) == nil {
		p.outputOrder = objectKeys(m.Outputs)
	}
	return nil
}

// OutputIDs returns the ids of the outputs in the order the description lists them
// (sorted when the description was not read from JSON).
func (p *Process) OutputIDs() []string {
	if len(p.outputOrder) == len(p.Outputs) {
		ok := true
		for _, id := range p.outputOrder {
			if _, in := p.Outputs[id]; !in {
				ok = false
			}
		}
		if ok {
			return slices.Clone(p.outputOrder)
		}
	}
	return slices.Sorted(maps.Keys(p.Outputs))
}

// objectKeys returns the member names of a JSON object in order; nil if it is not one.
func objectKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return nil
		}
	}
	return keys
}

// Unbounded is the MaxOccurs value of "unbounded".
const Unbounded = -1

// MaxOccurs is an integer or the string "unbounded" (stored as Unbounded).
// Zero means absent (the default, 1).
type MaxOccurs int

// N returns the effective maximum: 1 when absent, Unbounded for "unbounded".
func (m MaxOccurs) N() int {
	if m == 0 {
		return 1
	}
	return int(m)
}

// Many reports whether more than one value is allowed, so that the value must be sent
// as a JSON array (CLIENT-NOTES 18).
func (m MaxOccurs) Many() bool { return m == Unbounded || m > 1 }

func (m MaxOccurs) MarshalJSON() ([]byte, error) {
	if m == Unbounded {
		return []byte(`"unbounded"`), nil
	}
	return []byte(strconv.Itoa(int(m))), nil
}

func (m *MaxOccurs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*m = 0
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		if strings.EqualFold(s, "unbounded") {
			*m = Unbounded
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("maxOccurs: %q is neither an integer nor \"unbounded\"", s)
		}
		*m = MaxOccurs(n)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("maxOccurs: %s", b)
	}
	*m = MaxOccurs(int(f))
	return nil
}

// InputDescription describes one input (inputDescription.yaml). Schema is the raw
// OpenAPI 3.0 schema object, kept verbatim (it may carry $ref, oneOf, unknown keywords).
type InputDescription struct {
	DescriptionType
	MinOccurs *int            `json:"minOccurs,omitempty"` // nil means absent (default 1)
	MaxOccurs MaxOccurs       `json:"maxOccurs,omitempty"`
	Schema    json.RawMessage `json:"schema"`
}

// Min returns the effective minOccurs (1 when absent).
func (d InputDescription) Min() int {
	if d.MinOccurs == nil {
		return 1
	}
	return *d.MinOccurs
}

// OutputDescription describes one output (outputDescription.yaml).
type OutputDescription struct {
	DescriptionType
	Schema json.RawMessage `json:"schema"`
}

// Format is format.yaml.
type Format struct {
	MediaType string          `json:"mediaType,omitempty"`
	Encoding  string          `json:"encoding,omitempty"`
	Schema    json.RawMessage `json:"schema,omitempty"`
}

// Output is an entry of the execute request's outputs (output.yaml).
type Output struct {
	Format           *Format `json:"format,omitempty"`
	TransmissionMode string  `json:"transmissionMode,omitempty"`
}

// Subscriber is the callback block of an execute request.
type Subscriber struct {
	SuccessURI    string `json:"successUri,omitempty"`
	InProgressURI string `json:"inProgressUri,omitempty"`
	FailedURI     string `json:"failedUri,omitempty"`
}

// Response values of the execute request.
const (
	ResponseRaw      = "raw"
	ResponseDocument = "document"
)

// Execute is the body of POST /processes/{id}/execution (execute.yaml). Input values
// are kept as raw JSON: the caller builds them (see BuildInput) so that bare objects
// are wrapped in {"value": …} and maxOccurs > 1 gives an array.
type Execute struct {
	Inputs     map[string]json.RawMessage `json:"inputs,omitempty"`
	Outputs    map[string]Output          `json:"outputs,omitempty"`
	Response   string                     `json:"response,omitempty"`
	Subscriber *Subscriber                `json:"subscriber,omitempty"`
}

// Status codes of a job (statusCode.yaml) and the extras real servers send.
const (
	StatusAccepted   = "accepted"
	StatusRunning    = "running"
	StatusSuccessful = "successful"
	StatusFailed     = "failed"
	StatusDismissed  = "dismissed"
	StatusPaused     = "paused"  // ZOO-Project
	StatusCreated    = "created" // Part 4
)

// Terminal reports whether a job in status s will not change any more.
func Terminal(s string) bool {
	return s == StatusSuccessful || s == StatusFailed || s == StatusDismissed
}

// StatusInfo is a job's status (statusInfo.yaml). Reading accepts v2's "id" for
// "jobID", a missing type, progress and timestamps.
type StatusInfo struct {
	JobID     string     `json:"jobID"`
	ProcessID string     `json:"processID,omitempty"`
	Type      string     `json:"type"`
	Status    string     `json:"status"`
	Message   string     `json:"message,omitempty"`
	Created   *time.Time `json:"created,omitempty"`
	Started   *time.Time `json:"started,omitempty"`
	Finished  *time.Time `json:"finished,omitempty"`
	Updated   *time.Time `json:"updated,omitempty"`
	// Progress is 0–100; nil when the server did not say.
	Progress *int  `json:"progress,omitempty"`
	Links    Links `json:"links,omitempty"`
}

// statusDoc is a status document as servers write it: the fields of StatusInfo, as
// text, and the other names some servers use for them.
type statusDoc struct {
	JobID     string          `json:"jobID"`
	ID        string          `json:"id"`
	ProcessID string          `json:"processID"`
	Type      string          `json:"type"`
	Status    string          `json:"status"`
	Message   string          `json:"message"`
	Created   string          `json:"created"`
	Started   string          `json:"started"`
	Finished  string          `json:"finished"`
	Updated   string          `json:"updated"`
	Progress  json.RawMessage `json:"progress"`
	Links     Links           `json:"links"`
	// pygeoapi 0.17–0.19 (before PR #1906) names started and finished so.
	JobStart string `json:"job_start_datetime"`
	JobEnd   string `json:"job_end_datetime"`
	// CRIM Weaver sends percentCompleted beside (older versions: instead of) progress.
	Percent json.RawMessage `json:"percentCompleted"`
}

func (s *StatusInfo) UnmarshalJSON(b []byte) error {
	var raw statusDoc
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = raw.info()
	return nil
}

// info is the StatusInfo the document says.
func (raw *statusDoc) info() StatusInfo {
	s := StatusInfo{
		JobID: raw.JobID, ProcessID: raw.ProcessID, Type: raw.Type,
		Status: normStatus(raw.Status), Message: raw.Message, Links: raw.Links,
	}
	if s.JobID == "" {
		s.JobID = raw.ID
	}
	s.Created, s.Started = parseTime(raw.Created), parseTime(cmpOr(raw.Started, raw.JobStart))
	s.Finished, s.Updated = parseTime(cmpOr(raw.Finished, raw.JobEnd)), parseTime(raw.Updated)
	s.Progress = parseProgress(raw.Progress)
	if s.Progress == nil {
		s.Progress = parseProgress(raw.Percent)
	}
	return s
}

// statusAliases maps the status words of servers that do not use statusCode.yaml's
// to the standard ones: Weaver's "succeeded" (its OGC mode), PyWPS's "started" and
// "exception", and the OWSLib/WPS forms with a "Process" prefix ("ProcessSucceeded").
var statusAliases = map[string]string{
	"succeeded": StatusSuccessful, "success": StatusSuccessful,
	"started": StatusRunning, "exception": StatusFailed,
}

// normStatus returns the status in lower case, with aliases mapped to the standard words.
func normStatus(v string) string {
	s := strings.ToLower(strings.TrimSpace(v))
	if t, ok := strings.CutPrefix(s, "process"); ok {
		switch t {
		case StatusAccepted, StatusRunning, StatusFailed, StatusPaused, "started", "succeeded":
			s = t
		}
	}
	if a, ok := statusAliases[s]; ok {
		return a
	}
	return s
}

// parseProgress reads a percentage given as a number or a string ("40", "40%"); nil when absent.
func parseProgress(raw json.RawMessage) *int {
	p := bytes.TrimSpace(raw)
	if len(p) == 0 || string(p) == "null" {
		return nil
	}
	if f, err := strconv.ParseFloat(string(p), 64); err == nil && (p[0] == '-' || p[0] >= '0' && p[0] <= '9') {
		n := int(f) // a JSON number (the common case: no second decoding)
		return &n
	}
	var f float64
	if json.Unmarshal(p, &f) != nil {
		var str string
		if json.Unmarshal(p, &str) == nil {
			f, _ = strconv.ParseFloat(strings.TrimSuffix(str, "%"), 64)
		}
	}
	n := int(f)
	return &n
}

// parseTime reads RFC 3339 and the few variants servers emit; nil when absent or unreadable.
func parseTime(v string) *time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t
		}
	}
	return nil
}

// JobList is GET /jobs (jobList.yaml).
type JobList struct {
	Jobs  []StatusInfo `json:"jobs"`
	Links Links        `json:"links"`
}

// jobListDoc is a JobList as read: its entries are decoded in the same pass as the
// list. (As []StatusInfo, encoding/json would scan each entry three times to hand it
// to StatusInfo.UnmarshalJSON; a monitor reads lists of thousands of jobs every second.)
type jobListDoc struct {
	Jobs  []statusDoc `json:"jobs"`
	Links Links       `json:"links"`
}

func (d *jobListDoc) list() *JobList {
	l := &JobList{Jobs: make([]StatusInfo, len(d.Jobs)), Links: d.Links}
	for i := range d.Jobs {
		l.Jobs[i] = d.Jobs[i].info()
	}
	return l
}

// Exception is an RFC 7807 problem / OGC exception body (exception.yaml).
type Exception struct {
	Type     string `json:"type"`
	Title    string `json:"title,omitempty"`
	Status   int    `json:"status,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// Exception type URIs (v1.0 and Part 2).
const (
	ExcPrefix           = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
	ExcNoSuchProcess    = ExcPrefix + "no-such-process"
	ExcNoSuchJob        = ExcPrefix + "no-such-job"
	ExcResultNotReady   = ExcPrefix + "result-not-ready"
	ExcInvalidParameter = ExcPrefix + "invalid-parameter-value"
	ExcPrefix2          = "http://www.opengis.net/def/exceptions/ogcapi-processes-2/1.0/"
	ExcDuplicatedProc   = ExcPrefix2 + "duplicated-process"
	ExcImmutableProc    = ExcPrefix2 + "immutable-process"
	ExcUnsupportedMedia = ExcPrefix2 + "unsupported-media-type"
	ExcWorkflowNotFound = ExcPrefix2 + "workflow-not-found"
)

// Conformance class URIs (Part 1 1.0 and Part 2). Compare with ConfClasses.Has.
const (
	ConfPrefix             = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"
	ConfCore               = ConfPrefix + "core"
	ConfProcessDescription = ConfPrefix + "ogc-process-description"
	ConfJSON               = ConfPrefix + "json"
	ConfHTML               = ConfPrefix + "html"
	ConfOAS30              = ConfPrefix + "oas30"
	ConfJobList            = ConfPrefix + "job-list"
	ConfCallback           = ConfPrefix + "callback"
	ConfDismiss            = ConfPrefix + "dismiss"
	ConfPrefix2            = "http://www.opengis.net/spec/ogcapi-processes-2/1.0/conf/"
	ConfDRU                = ConfPrefix2 + "deploy-replace-undeploy"
	ConfOGCAppPkg          = ConfPrefix2 + "ogcapppkg"
	ConfCWL                = ConfPrefix2 + "cwl"
	ConfDocker             = ConfPrefix2 + "docker"
)

// Has reports whether the declared classes include class, comparing URIs
// without their scheme and trailing slash (ZOO sends http://, the Part 2 ATS https://).
func (c ConfClasses) Has(class string) bool {
	norm := func(s string) string {
		s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "https://"), "http://")
		return strings.TrimSuffix(s, "/")
	}
	want := norm(class)
	for _, u := range c.ConformsTo {
		if norm(u) == want {
			return true
		}
	}
	return false
}

// Media types used by Part 2 deploy.
const (
	MediaOGCAppPkg = "application/ogcapppkg+json"
	MediaCWL       = "application/cwl"
	MediaCWLYAML   = "application/cwl+yaml"
	MediaCWLJSON   = "application/cwl+json"
)
