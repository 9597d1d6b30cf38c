package ogcapi

import (
	"bytes"
	"encoding/json"
	"strings"
)

// scanJobStates reads a job list document of the plain shape servers send: an
// object whose "jobs" are objects, the fields JobState holds spelled as statusDoc
// spells them, each once, their values strings (or null), progress any value. It
// checks the whole document is JSON as encoding/json does, and skips the other
// fields without decoding them. ok is false for anything else (a spelling in
// another case, an escaped or non-ASCII name, a duplicate, a value of another
// type, invalid JSON): the caller then decodes the document in full, so that the
// two ways never read a document differently.
func scanJobStates(body []byte) (l *JobStateList, ok bool) {
	s := scanner{b: bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\ufeff")))}
	l = &JobStateList{}
	var sawJobs, sawLinks bool
	ok = s.object(func(key []byte) bool {
		switch {
		case string(key) == "jobs" && !sawJobs:
			sawJobs = true
			return s.jobs(l)
		case string(key) == "links" && !sawLinks:
			sawLinks = true
			start := s.i
			if !s.value() {
				return false
			}
			return json.Unmarshal(s.b[start:s.i], &l.Links) == nil
		case foldsTo(key, "jobs", "links"):
			return false
		}
		return s.value()
	})
	s.space()
	return l, ok && s.i == len(s.b)
}

// jobs reads the array of job entries (or null).
func (s *scanner) jobs(l *JobStateList) bool {
	if s.null() {
		return true
	}
	if !s.byte('[') {
		return false
	}
	s.depth++
	s.space()
	if s.byte(']') {
		s.depth--
		return true
	}
	for {
		s.space()
		start := s.i
		var j JobState
		var id, altID string
		var seen [len(docKeys)]bool
		var progress [2][]byte // progress, percentCompleted
		ok := s.object(func(key []byte) bool {
			k := docKey(key)
			switch {
			case k < 0:
				return !foldsTo(key, docKeys[:]...) && s.value()
			case k == keyLinks:
				return s.links()
			case k > keyLinks:
				return s.textOrNull()
			}
			if seen[k] {
				return false
			}
			seen[k] = true
			if k == keyProgress || k == keyPercent {
				vs := s.i
				if !s.value() {
					return false
				}
				progress[k-keyProgress] = s.b[vs:s.i]
				return true
			}
			v, ok := s.text()
			switch k {
			case keyJobID:
				id = v
			case keyID:
				altID = v
			case keyStatus:
				j.Status = normStatus(v)
			case keyMessage:
				j.Message = v
			case keyUpdated:
				j.Updated = parseTime(v)
			}
			return ok
		})
		if !ok {
			return false
		}
		// as statusDoc.info reads them
		j.JobID = cmpOr(id, altID)
		if j.Progress = parseProgress(progress[0]); j.Progress == nil {
			j.Progress = parseProgress(progress[1])
		}
		j.raw = s.b[start:s.i]
		l.Jobs = append(l.Jobs, j)
		s.space()
		if s.byte(']') {
			s.depth--
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}

// The fields of a status document (statusDoc): first those JobState holds, then
// links, then the other texts.
const (
	keyJobID = iota
	keyID
	keyStatus
	keyMessage
	keyUpdated
	keyProgress
	keyPercent
	keyLinks
)

var docKeys = [...]string{"jobID", "id", "status", "message", "updated", "progress", "percentCompleted", "links",
	"processID", "type", "created", "started", "finished", "job_start_datetime", "job_end_datetime"}

var linkKeys = [...]string{"href", "rel", "type", "hreflang", "title"}

func docKey(key []byte) int {
	for i, k := range docKeys {
		if string(key) == k {
			return i
		}
	}
	return -1
}

// links skips a list of links (or null), checking that encoding/json reads it as Links.
func (s *scanner) links() bool {
	if s.null() {
		return true
	}
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return false
	}
	// An array whose elements are null or objects whose Link fields are texts.
	s.i++
	s.depth++
	s.space()
	if s.byte(']') {
		s.depth--
		return true
	}
	for {
		s.space()
		if !s.null() && !s.object(func(key []byte) bool {
			for _, k := range linkKeys {
				if string(key) == k {
					return s.textOrNull()
				}
			}
			return !foldsTo(key, linkKeys[:]...) && s.value()
		}) {
			return false
		}
		s.space()
		if s.byte(']') {
			s.depth--
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}

// foldsTo reports whether encoding/json could match key to one of names other than
// exactly: in another case, or through a name it would unescape or fold beyond ASCII.
func foldsTo(key []byte, names ...string) bool {
	for _, c := range key {
		if c == '\\' || c >= 0x80 {
			return true
		}
	}
	for _, n := range names {
		if strings.EqualFold(string(key), n) {
			return true
		}
	}
	return false
}

// scanner walks a JSON document, checking it as it goes.
type scanner struct {
	b     []byte
	i     int
	depth int // of nested objects and arrays
}

// maxDepth is encoding/json's limit of nesting.
const maxDepth = 10000

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (s *scanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) literal(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}

func (s *scanner) null() bool { return s.literal("null") }

// object reads an object, calling field with each name, positioned at its value;
// field must consume the value.
func (s *scanner) object(field func(key []byte) bool) bool {
	s.space()
	if !s.byte('{') {
		return false
	}
	if s.depth++; s.depth > maxDepth {
		return false
	}
	s.space()
	if s.byte('}') {
		s.depth--
		return true
	}
	for {
		s.space()
		start := s.i
		if !s.str() {
			return false
		}
		key := s.b[start+1 : s.i-1]
		s.space()
		if !s.byte(':') {
			return false
		}
		s.space()
		if !field(key) {
			return false
		}
		s.space()
		if s.byte('}') {
			s.depth--
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}

// text reads a string value (or null, as ""), decoded as encoding/json would.
func (s *scanner) text() (string, bool) {
	if s.null() {
		return "", true
	}
	start := s.i
	if !s.str() {
		return "", false
	}
	raw := s.b[start+1 : s.i-1]
	for _, c := range raw {
		if c == '\\' || c >= 0x80 {
			var v string // escapes, or UTF-8 to check: the standard decoding
			err := json.Unmarshal(s.b[start:s.i], &v)
			return v, err == nil
		}
	}
	return string(raw), true
}

// textOrNull skips a string or null.
func (s *scanner) textOrNull() bool { return s.null() || s.str() }

// str skips a string, checking its escapes and that it holds no control character.
func (s *scanner) str() bool {
	if !s.byte('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if s.i >= len(s.b) {
				return false
			}
			e := s.b[s.i]
			s.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(s.b)-s.i < 4 {
					return false
				}
				for _, h := range s.b[s.i : s.i+4] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				s.i += 4
			default:
				return false
			}
		}
	}
	return false
}

// value skips any value, checking it.
func (s *scanner) value() bool {
	s.space()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{':
		return s.object(func([]byte) bool { return s.value() })
	case c == '[':
		s.i++
		if s.depth++; s.depth > maxDepth {
			return false
		}
		s.space()
		if s.byte(']') {
			s.depth--
			return true
		}
		for {
			if !s.value() {
				return false
			}
			s.space()
			if s.byte(']') {
				s.depth--
				return true
			}
			if !s.byte(',') {
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.null()
	default:
		return s.number()
	}
}

// number skips a number as JSON writes them: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	s.byte('-')
	if s.byte('0') {
	} else if !s.digits() {
		return false
	}
	if s.byte('.') && !s.digits() {
		return false
	}
	if s.byte('e') || s.byte('E') {
		if !s.byte('+') {
			s.byte('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits consumes one or more digits.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
