package safetext

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces a secret in scrubbed text.
const Redacted = "[redacted]"

// MinSecret is the shortest value a Scrubber redacts: shorter ones ("1", "en") would
// mangle every message they happen to occur in, and guard nothing.
const MinSecret = 4

// Scrubber makes text that came from elsewhere (a server's status messages, error
// bodies, logs quoting them) safe to print: it removes control characters (escape
// sequences, carriage returns, bidi overrides, zero-width spaces; line feeds and tabs
// stay) and every secret it was given, in the forms a server is likely to echo
// (as given, the credential after its scheme word, a basic password, URL- and
// JSON-escaped). The zero value is ready to use and safe for concurrent use.
//
// A command line has one Scrubber and prints everything through its Writer, so no
// print path can forget it.
type Scrubber struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a secret containing another is replaced whole
}

// Add registers secrets (header values, keystore secrets, tokens) to be redacted.
func (s *Scrubber) Add(secrets ...string) {
	var forms []string
	for _, v := range secrets {
		forms = append(forms, variants(strings.TrimSpace(v))...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range forms {
		if len(f) >= MinSecret && !contains(s.secrets, f) {
			s.secrets = append(s.secrets, f)
		}
	}
	sort.SliceStable(s.secrets, func(i, j int) bool { return len(s.secrets[i]) > len(s.secrets[j]) })
}

func contains(ss []string, v string) bool {
	for _, s := range ss {
		if s == v {
			return true
		}
	}
	return false
}

// variants are the forms of a secret a server may echo back.
func variants(v string) []string {
	if v == "" {
		return nil
	}
	out := []string{v}
	fields := strings.Fields(v)
	if len(fields) > 1 { // "Bearer TOKEN", "Basic B64", "Token KEY"
		rest := strings.TrimSpace(strings.TrimPrefix(v, fields[0]))
		out = append(out, rest)
		if strings.EqualFold(fields[0], "basic") {
			if dec, err := base64.StdEncoding.DecodeString(rest); err == nil {
				userPass := string(dec)
				out = append(out, userPass)
				if _, pass, ok := strings.Cut(userPass, ":"); ok {
					out = append(out, pass)
				}
			}
		}
	}
	for _, f := range out[:len(out):len(out)] {
		out = append(out, url.QueryEscape(f), url.PathEscape(f))
		if b, err := json.Marshal(f); err == nil {
			out = append(out, string(b[1:len(b)-1]))
		}
	}
	return out
}

// Text returns text without control characters (but line feeds and tabs) and with
// every registered secret replaced by Redacted. Invalid UTF-8 is dropped.
func (s *Scrubber) Text(text string) string {
	text = stripControls(text)
	if s == nil {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.secrets {
		text = strings.ReplaceAll(text, v, Redacted)
	}
	if strings.Contains(text, cutMark) {
		text = redactCut(text, s.secrets)
	}
	return text
}

// cutMark ends text cut short (Truncate); minCut is how much of a secret's start
// before it counts as the secret cut short.
const (
	cutMark = "…"
	minCut  = 8
)

// redactCut redacts the start of a secret that ends where text was cut short ("eyJhbGc…"
// of a long token a server echoed into a message that was then truncated): the whole
// secret is not there for Text to find. secrets are longest first.
func redactCut(text string, secrets []string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, cutMark)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		head := text[:i]
		for _, v := range secrets {
			if n := cutTail(head, v); n > 0 {
				head = head[:len(head)-n] + Redacted
				break
			}
		}
		b.WriteString(head)
		b.WriteString(cutMark)
		text = text[i+len(cutMark):]
	}
}

// cutTail is the length of the longest start of v (at least minCut bytes, shorter
// than v) that head ends with; 0 for none.
func cutTail(head, v string) int {
	if len(v) <= minCut {
		return 0
	}
	for j := max(0, len(head)-len(v)+1); j <= len(head)-minCut; j++ {
		if head[j] == v[0] && strings.HasPrefix(v, head[j:]) {
			return len(head) - j
		}
	}
	return 0
}

// stripControls drops control characters except '\n' and '\t', zero-width spaces, bidi
// overrides and invalid UTF-8. It leaves text that has none untouched (no copy).
func stripControls(text string) string {
	clean := true
	for i, r := range text {
		if r == utf8.RuneError || dropped(r) {
			if r == utf8.RuneError {
				if _, n := utf8.DecodeRuneInString(text[i:]); n > 1 {
					continue // a real U+FFFD
				}
			}
			clean = false
			break
		}
	}
	if clean {
		return text
	}
	return strings.Map(func(r rune) rune {
		if dropped(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(text, ""))
}

func dropped(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r) || r == '\u200b' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// Writer returns a writer that scrubs (Text) everything written before passing it on
// to w. Each Write is scrubbed on its own: callers write whole messages (fmt.Fprint*,
// log/slog handlers and cobra do). w itself is returned when it already scrubs with s.
func (s *Scrubber) Writer(w io.Writer) io.Writer {
	if sw, ok := w.(*Writer); ok && sw.s == s {
		return w
	}
	return &Writer{s: s, w: w}
}

// Writer is the writer Scrubber.Writer returns.
type Writer struct {
	s *Scrubber
	w io.Writer
}

// Write scrubs p and writes the result; it reports len(p) written on success.
func (w *Writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.s.Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the writer underneath, for output that holds nothing from elsewhere
// and needs control characters of its own (a progress bar redrawn with "\r"), or that
// is a document rather than a message (an ItemCollection written to stdout).
func (w *Writer) Unwrap() io.Writer { return w.w }
