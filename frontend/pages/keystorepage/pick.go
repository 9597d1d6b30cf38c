package keystorepage

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/frontend/web"
)

// The picker is a fragment of the execution form, loaded when its "Browse bucket" or
// "Use a keystore key" disclosure opens. Its requests are GETs (the enclosing form is
// not sent with them) and it fills a control by replacing it: the object as a
// presigned HTTPS URL, or a keystore://NAME reference. A locked keystore is unlocked
// on the Keystore page, never through the execution form, so a passphrase never
// travels with a job.

// RefScheme is the scheme of a keystore reference passed to a process that knows how
// to use it (EOCanvas' convention).
const RefScheme = "keystore://"

func target(r *http.Request) (Target, error) {
	q := r.URL.Query()
	t := Target{ID: q.Get("for"), Name: q.Get("name"), Type: q.Get("type"), Use: keystore.Input}
	if t.Type == "" {
		t.Type = "url"
	}
	switch q.Get("use") {
	case "", "input":
	case "output":
		t.Use = keystore.Output
	default:
		return t, web.BadRequest("Unknown use " + strconv.Quote(q.Get("use")) + ".")
	}
	if !t.valid() {
		return t, web.BadRequest("The picker does not name a field of the execution form.")
	}
	return t, nil
}

// fragment renders c, of which an HTMX request targeting id gets only that fragment.
func (h *Handler) fragment(w http.ResponseWriter, r *http.Request, id string, c templ.Component, status int) error {
	return h.render(w, r, "Keystore", c, status, id)
}

// refused explains, in the picker's message line, why the target was not filled; the
// control keeps its value.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, t Target, why string, status int) error {
	if web.IsHTMX(r) {
		w.Header().Set("HX-Retarget", "#"+t.msgID())
		w.Header().Set("HX-Reswap", "innerHTML")
	}
	return h.fragment(w, r, t.ID, Filled(t, "", why), status)
}

// pick lists the keys for the target: S3 and EODATA keys to browse, or any storage
// key for a reference. Keys that cannot serve the use are shown with the reason.
func (h *Handler) Pick(w http.ResponseWriter, r *http.Request) error {
	t, err := target(r)
	if err != nil {
		return err
	}
	m := PickModel{Target: t, Refs: r.URL.Query().Get("refs") == "1"}
	if h.keys.Locked() {
		m.Locked = true
		return h.fragment(w, r, t.pickID(), PickView(m), 0)
	}
	keys, err := h.keys.List()
	if err != nil {
		return h.storeErr(w, r, err)
	}
	for _, k := range keys {
		if k.Kind == keystore.KindHTTP || (!m.Refs && !isStorage(k.Kind)) {
			continue
		}
		m.Keys = append(m.Keys, viewOf(k))
	}
	return h.fragment(w, r, t.pickID(), PickView(m), 0)
}

// pickKey returns the named key if it may serve the target's use.
func (h *Handler) pickKey(r *http.Request, t Target) (*keystore.Key, string, error) {
	if h.keys.Locked() {
		return nil, "The keystore is locked: unlock it on the Keystore page, then try again.", nil
	}
	k, err := h.keys.Get(r.URL.Query().Get("key"))
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, "There is no key of that name in the keystore.", nil
	}
	if err != nil {
		return nil, "", err
	}
	if err := k.CanUse(t.Use); err != nil {
		return nil, "The key " + strconv.Quote(k.Name) + " cannot be used here: " + err.Error() + ".", nil
	}
	return k, "", nil
}

// keyToFill is pickKey for a request that fills the target: a key that cannot serve
// it is refused in the picker's message line (the answer is written: done).
func (h *Handler) keyToFill(w http.ResponseWriter, r *http.Request, t Target) (k *keystore.Key, done bool, err error) {
	k, why, err := h.pickKey(r, t)
	if err != nil || why == "" {
		return k, false, err
	}
	return nil, true, h.refused(w, r, t, why, http.StatusUnprocessableEntity)
}

// browse lists a folder of the key's bucket.
func (h *Handler) Browse(w http.ResponseWriter, r *http.Request) error {
	t, err := target(r)
	if err != nil {
		return err
	}
	m := BrowseModel{Target: t, Key: r.URL.Query().Get("key"), Prefix: r.URL.Query().Get("prefix")}
	k, why, err := h.pickKey(r, t)
	switch {
	case err != nil:
		return err
	case why != "":
		m.Err = why
		return h.fragment(w, r, t.pickID(), BrowseView(m), http.StatusUnprocessableEntity)
	case !isStorage(k.Kind):
		m.Err = "Only S3 and EODATA keys open a bucket to browse."
		return h.fragment(w, r, t.pickID(), BrowseView(m), http.StatusUnprocessableEntity)
	}
	if m.Prefix != "" && k.Prefix != "" && !strings.HasPrefix(m.Prefix, k.Prefix) {
		m.Prefix = "" // outside the key's prefix: start at its top
	}
	m.Objects, m.Bucket, m.More, err = h.remote.ListObjects(r.Context(), k, m.Prefix)
	if err != nil {
		m.Err = scrub(err.Error(), k)
		return h.fragment(w, r, t.pickID(), BrowseView(m), http.StatusBadGateway)
	}
	return h.fragment(w, r, t.pickID(), BrowseView(m), 0)
}

// pickObject fills the target with a presigned URL of the object: the process
// fetches it over HTTPS and needs no credentials.
func (h *Handler) PickObject(w http.ResponseWriter, r *http.Request) error {
	t, err := target(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	object := q.Get("object")
	expiry := DefaultExpiry
	if s := q.Get("expiry"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 60 || time.Duration(n)*time.Second > MaxExpiry {
			return web.BadRequest("The link lifetime must be between a minute and 7 days.")
		}
		expiry = time.Duration(n) * time.Second
	}
	k, done, err := h.keyToFill(w, r, t)
	if done || err != nil {
		return err
	}
	switch {
	case t.Use != keystore.Input:
		return h.refused(w, r, t, "A link to read an object is for inputs.", http.StatusUnprocessableEntity)
	case object == "" || strings.HasSuffix(object, "/"):
		return web.BadRequest("Choose an object, not a folder.")
	}
	u, err := h.remote.Presign(r.Context(), k, object, expiry)
	if err != nil {
		return h.refused(w, r, t, scrub(err.Error(), k), http.StatusBadGateway)
	}
	h.log.Info("presigned an object for an input", "key", k.Name, "object", object, "expiry", expiry.String())
	return h.fragment(w, r, t.ID, Filled(t, u, "A link to "+object+" valid for "+expiryLabel(expiry)+": the process needs no credentials."), 0)
}

// pickRef fills the target with a keystore://NAME reference.
func (h *Handler) PickRef(w http.ResponseWriter, r *http.Request) error {
	t, err := target(r)
	if err != nil {
		return err
	}
	k, done, err := h.keyToFill(w, r, t)
	if done || err != nil {
		return err
	}
	return h.fragment(w, r, t.ID, Filled(t, RefScheme+k.Name, "The process reads the key "+k.Name+" from its own keystore (export it for the service first)."), 0)
}

// MaxExpiry is the longest presigned URL lifetime (S3's limit).
const MaxExpiry = 7 * 24 * time.Hour
