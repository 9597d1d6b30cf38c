package keystorepage

import (
	"cmp"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/frontend/components"
)

// uses are the uses the page explains for every key, in display order.
var uses = []keystore.Use{keystore.Input, keystore.Output, keystore.Endpoint, keystore.Download}

// Rule is whether a key may serve one use, and why not.
type Rule struct {
	Use keystore.Use
	Why string // "" when allowed
}

// View is a key as the page shows it: every field but the secret, of which only
// its presence is known.
type View struct {
	Key       keystore.Key // Secret and Session are always empty here
	HasSecret bool
	Rules     []Rule
	SignIn    *SignInView // oidc keys: who is signed in
}

// viewOf strips the secret and the tokens off k: nothing the page renders can hold them.
func viewOf(k keystore.Key) View {
	v := View{HasSecret: !k.Secret.IsZero(), SignIn: signInOf(k)}
	k.Secret, k.Session = "", nil
	v.Key = k
	for _, u := range uses {
		r := Rule{Use: u}
		if err := k.CanUse(u); err != nil {
			r.Why = err.Error() // a *keystore.NotAllowedError: the reason alone
		}
		v.Rules = append(v.Rules, r)
	}
	return v
}

// Why returns the reason the key cannot serve u ("" when it can).
func (v View) Why(u keystore.Use) string {
	for _, r := range v.Rules {
		if r.Use == u {
			return r.Why
		}
	}
	return ""
}

// LockModel is the page while the keystore is locked.
type LockModel struct {
	// Creating: there is no keystore file yet; the passphrase chosen now protects it.
	Creating bool
	// Keychain: the OS keychain holds (or will hold) the key; no passphrase is asked.
	Keychain bool
	Err      string // why unlocking failed
}

// ListModel is the keys page.
type ListModel struct {
	Keys       []View
	Protection string
	Notice     string
}

// FormModel is the add/edit form. It never holds a secret.
type FormModel struct {
	Edit bool // editing Key.Name (the name cannot change)
	View View
	Err  string
}

// TestResult is the outcome of trying a key against its server.
type TestResult struct {
	OK bool
	// Unchecked: the server answered without needing the key, so the key was not checked.
	Unchecked bool
	// Message says a failure in words people can act on; Detail is what was tried
	// and what the server answered.
	Message string
	Detail  string
}

// DetailModel is one key with its rules, a test result and the export tool.
type DetailModel struct {
	View      View
	Test      *TestResult
	Export    string // the export payload (JSON), when one was made
	ExportErr string
	Sent      string // what the service answered to the posted payload
	KeyURL    string // the service key URL the user gave, shown back
	SendURL   string
	PEM       string // the service key the user pasted, shown back
	// ConfirmPassphrase: an export needs the keystore passphrase typed again (else the
	// OS keychain confirms it).
	ConfirmPassphrase bool
}

// Target is where a picked value goes in the execution form: the control's id and
// name and its type.
type Target struct {
	ID, Name string
	Type     string // "url" or "text"
	Use      keystore.Use
}

var (
	targetIDRE   = regexp.MustCompile(`^f-i[0-9]{1,4}-[0-9]{1,4}(-href)?$`)
	targetNameRE = regexp.MustCompile(`^i[0-9]{1,4}\.[0-9]{1,4}\.(href|v)$`)
)

// valid reports whether the target names a control of the execution form.
func (t Target) valid() bool {
	return targetIDRE.MatchString(t.ID) && targetNameRE.MatchString(t.Name) && (t.Type == "url" || t.Type == "text")
}

// query is the target as URL parameters for the picker's own requests.
func (t Target) query(extra ...string) string {
	q := url.Values{"for": {t.ID}, "name": {t.Name}, "type": {t.Type}, "use": {t.Use.String()}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q.Encode()
}

// pickID is the id of the picker's body; msgID of its message line.
func (t Target) pickID() string { return t.ID + "-pick" }
func (t Target) msgID() string  { return t.ID + "-pickmsg" }

// placeholder is what the replaced control shows when empty.
func (t Target) placeholder() string {
	if t.Type == "url" {
		return "https://… (the server fetches it)"
	}
	return ""
}

// PickModel is the picker: the keys that can (and cannot) serve the target.
type PickModel struct {
	Target Target
	Refs   bool // picking a keystore://NAME reference rather than an object
	Locked bool
	Keys   []View
	Err    string
}

// BrowseModel is a bucket listing in the picker.
type BrowseModel struct {
	Target  Target
	Key     string
	Bucket  string
	Prefix  string
	Objects []s3.Object
	More    bool
	Err     string
}

// Expiries are the lifetimes offered for a presigned URL.
var Expiries = []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour, s3.MaxPresignExpiry}

// DefaultExpiry is the presigned URL lifetime chosen unless the user picks another:
// long enough for a queued job to start, short enough to be worth little if leaked.
const DefaultExpiry = 24 * time.Hour

func expiryLabel(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return strconv.Itoa(n) + " days"
	}
	n := int(d / time.Hour)
	if n == 1 {
		return "1 hour"
	}
	return strconv.Itoa(n) + " hours"
}

func expirySeconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// parent is the prefix one level up ("a/b/" → "a/", "a/" → "").
func parent(prefix string) string {
	p := strings.TrimSuffix(prefix, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i+1]
	}
	return ""
}

// pick is the hx-* attributes of a picker button: it loads get into target, in place
// (more: further attribute names and values).
func pick(get, target, testID string, more ...string) templ.Attributes {
	a := templ.Attributes{"hx-get": get, "hx-target": target, "hx-select": "unset", "hx-swap": "outerHTML", "hx-push-url": "false"}
	return components.With(a, append([]string{"data-testid", testID}, more...)...)
}

// base is the last segment of an object key or prefix.
func base(key string) string {
	k := strings.TrimSuffix(key, "/")
	if i := strings.LastIndex(k, "/"); i >= 0 {
		k = k[i+1:]
	}
	if strings.HasSuffix(key, "/") {
		return k + "/"
	}
	return k
}

func size(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB"
	case n < 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
}

func path(parts ...string) string {
	p := "/keystore"
	for _, s := range parts {
		p += "/" + url.PathEscape(s)
	}
	return p
}

var kindLabels = map[keystore.Kind]string{
	keystore.KindS3:     "S3 bucket",
	keystore.KindEODATA: "EODATA (Copernicus)",
	keystore.KindWebDAV: "WebDAV share",
	keystore.KindHTTP:   "HTTP endpoint",
	keystore.KindOIDC:   "Sign-in (OpenID Connect)",
}

func kindLabel(k keystore.Kind) string { return cmp.Or(kindLabels[k], string(k)) }

// kinds are the kinds offered when adding a key.
var kinds = []keystore.Kind{keystore.KindS3, keystore.KindEODATA, keystore.KindWebDAV, keystore.KindHTTP, keystore.KindOIDC}

// secretLabel is the key's SecretLabel as a form's label.
func secretLabel(k keystore.Key) string {
	l := k.SecretLabel()
	return strings.ToUpper(l[:1]) + l[1:]
}

func isStorage(k keystore.Kind) bool { return k == keystore.KindS3 || k == keystore.KindEODATA }

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func (m FormModel) title() string {
	if m.Edit {
		return "Edit " + m.View.Key.Name
	}
	return "Add a key"
}

func (m FormModel) action() string {
	if m.Edit {
		return keyPath(m.View.Key.Name)
	}
	return "/keystore"
}

var useLabels = map[keystore.Use]string{
	keystore.Input:    "Inputs: data a process reads",
	keystore.Output:   "Outputs: where results are written",
	keystore.Endpoint: "Endpoint login",
	keystore.Download: "Downloads by geojobs",
}

func useLabel(u keystore.Use) string { return cmp.Or(useLabels[u], u.String()) }

func pickerTestID(refs bool) string {
	if refs {
		return "keystore-ref-picker"
	}
	return "bucket-picker"
}

func refsParam(refs bool) []string {
	if refs {
		return []string{"refs", "1"}
	}
	return nil
}
