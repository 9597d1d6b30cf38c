// Package keystorepage is the Keystore page: unlocking the keystore, listing, adding,
// editing, removing and testing keys, exporting a key for a service, and the picker
// the execution form uses to pass a bucket object (as a presigned URL) or a
// keystore://NAME reference. Secrets go one way only: a form may send one in, no page
// ever sends one back (the page shows •••• and an empty "Replace" field).
package keystorepage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keycheck"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// Keys is what the page needs of the keystore (*keystore.Store).
type Keys interface {
	Locked() bool
	NeedsPassphrase() bool
	Protection() keystore.Protection
	Unlock(passphrase string) error
	SetPassphrase(passphrase string) error
	Lock()
	List() ([]keystore.Key, error)
	Get(name string) (*keystore.Key, error)
	Add(k keystore.Key) (*keystore.Key, error)
	Update(k keystore.Key) (*keystore.Key, error)
	Remove(name string) error
	// Confirm is the fresh confirmation an export needs (keystore.Store.Confirm).
	Confirm(passphrase string) error
	ConfirmNeedsPassphrase() bool
}

var _ Keys = (*keystore.Store)(nil)

// Remote is what the page needs to try keys and work with what they open; the
// application provides it over keycheck and s3. Errors must be classified by the
// keystore's sentinels and must never contain a secret.
type Remote interface {
	// Check tries the key against its server.
	Check(ctx context.Context, k *keystore.Key) (keycheck.Report, error)
	// ListObjects lists the key's bucket under prefix (a folder view).
	ListObjects(ctx context.Context, k *keystore.Key, prefix string) (objs []s3.Object, bucket string, more bool, err error)
	// Presign returns a GET URL for the object that works without credentials until expiry.
	Presign(ctx context.Context, k *keystore.Key, object string, expiry time.Duration) (string, error)
	// ServiceKey fetches a service's RSA public key (PEM) from url.
	ServiceKey(ctx context.Context, url string) ([]byte, error)
	// SendExport posts an export payload (JSON) to url and says what the service answered.
	SendExport(ctx context.Context, url string, payload []byte) (string, error)
}

// Handler serves the page.
type Handler struct {
	keys    Keys
	remote  Remote
	log     *slog.Logger
	signIn  SignIns // nil: oidc keys cannot sign in from the page
	openURL func(url string) error
	pending signIns
}

// Deps are the page's dependencies; Keys and Remote are required.
type Deps struct {
	Keys   Keys
	Remote Remote
	// SignIns signs oidc keys in and out; nil: they cannot sign in from the page.
	SignIns SignIns
	// OpenURL opens the provider's sign-in page in the system browser: the
	// desktop shell's (its window is no browser to sign in with). Nil in browser
	// mode, where the page links to the provider's page.
	OpenURL func(url string) error
	Logger  *slog.Logger
}

// New returns the page's handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Handler{keys: d.Keys, remote: d.Remote, signIn: d.SignIns, openURL: d.OpenURL, log: d.Logger}
}

func keyPath(name string, parts ...string) string {
	return path(append([]string{"keys", name}, parts...)...)
}

// render writes a page of the Keystore section.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, title string, c templ.Component, status int, fragments ...string) error {
	return web.Render(w, r, web.Page{Title: title, Section: components.SectionKeystore, Content: c, Status: status, Fragments: fragments})
}

// locked renders the unlock form in place of a page that needs the keys.
func (h *Handler) locked(w http.ResponseWriter, r *http.Request, m LockModel, status int) error {
	m.Creating = h.keys.Protection() == keystore.Unprotected
	m.Keychain = !h.keys.NeedsPassphrase()
	return h.render(w, r, "Unlock the keystore", LockView(m), status)
}

func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	if h.keys.Locked() {
		return h.locked(w, r, LockModel{}, 0)
	}
	keys, err := h.keys.List()
	if err != nil {
		return h.storeErr(w, r, err)
	}
	m := ListModel{Protection: h.keys.Protection().String()}
	for _, k := range keys {
		m.Keys = append(m.Keys, viewOf(k))
	}
	return h.render(w, r, "Keystore", ListView(m), 0)
}

// maxPassphrase bounds a passphrase (scrypt hashes whatever it gets).
const maxPassphrase = 1024

// unlock opens the keystore with the passphrase, which is used once and never
// logged, stored or rendered back.
func (h *Handler) Unlock(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read.")
	}
	pass := r.PostFormValue("passphrase")
	creating := h.keys.Protection() == keystore.Unprotected
	switch {
	case len(pass) > maxPassphrase:
		return h.locked(w, r, LockModel{Err: "The passphrase is too long (at most 1024 characters)."}, http.StatusUnprocessableEntity)
	case creating && h.keys.NeedsPassphrase() && len(pass) < keystore.MinPassphrase:
		return h.locked(w, r, LockModel{Err: fmt.Sprintf("Choose a passphrase of at least %d characters.", keystore.MinPassphrase)}, http.StatusUnprocessableEntity)
	case creating && h.keys.NeedsPassphrase() && pass != r.PostFormValue("passphrase2"):
		return h.locked(w, r, LockModel{Err: "The two passphrases differ. Type the same passphrase twice."}, http.StatusUnprocessableEntity)
	}
	if err := h.keys.Unlock(pass); err != nil {
		var msg string
		status := http.StatusUnprocessableEntity
		switch {
		case errors.Is(err, keystore.ErrWrongPassphrase):
			msg, status = "Wrong passphrase: the keystore did not open. Try again (the keystore file is unchanged).", http.StatusForbidden
		case errors.Is(err, keystore.ErrPassphraseRequired):
			msg = "Enter the keystore's passphrase."
		case errors.Is(err, keystore.ErrCorrupt), errors.Is(err, keystore.ErrKeychain):
			msg, status = err.Error(), http.StatusConflict
		default:
			h.log.Error("unlocking the keystore", "err", err)
			msg, status = "The keystore could not be opened. The details are in the log.", http.StatusInternalServerError
		}
		return h.locked(w, r, LockModel{Err: msg}, status)
	}
	if creating && h.keys.NeedsPassphrase() {
		// Written now, not at the first key: else, locked while still empty, the
		// keystore would "unlock" with any passphrase and keep the last one typed.
		if err := h.keys.SetPassphrase(pass); err != nil {
			h.keys.Lock()
			h.log.Error("creating the keystore", "err", err)
			return h.locked(w, r, LockModel{Err: "The keystore could not be written. The details are in the log."}, http.StatusInternalServerError)
		}
	}
	h.log.Info("keystore unlocked", "protection", h.keys.Protection().String())
	web.Redirect(w, r, "/keystore")
	return nil
}

func (h *Handler) Lock(w http.ResponseWriter, r *http.Request) error {
	h.keys.Lock()
	h.log.Info("keystore locked")
	web.Redirect(w, r, "/keystore")
	return nil
}

// storeErr maps keystore errors to pages: a locked store asks for the passphrase.
func (h *Handler) storeErr(w http.ResponseWriter, r *http.Request, err error) error {
	switch {
	case errors.Is(err, keystore.ErrLocked):
		return h.locked(w, r, LockModel{}, http.StatusLocked)
	case errors.Is(err, keystore.ErrNotFound):
		return web.NotFound("There is no key of that name in the keystore.")
	case errors.Is(err, keystore.ErrInvalid):
		return web.BadRequest(err.Error())
	}
	return err
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) (*keystore.Key, bool, error) {
	if h.keys.Locked() {
		return nil, false, h.locked(w, r, LockModel{}, http.StatusLocked)
	}
	k, err := h.keys.Get(r.PathValue("name"))
	if err != nil {
		return nil, false, h.storeErr(w, r, err)
	}
	return k, true, nil
}

func (h *Handler) Detail(w http.ResponseWriter, r *http.Request) error {
	k, ok, err := h.get(w, r)
	if !ok {
		return err
	}
	return h.renderDetail(w, r, DetailModel{View: viewOf(*k)}, 0)
}

func (h *Handler) renderDetail(w http.ResponseWriter, r *http.Request, m DetailModel, status int) error {
	m.ConfirmPassphrase = h.keys.ConfirmNeedsPassphrase()
	return h.render(w, r, m.View.Key.Name, DetailView(m), status, "key-test", "key-export")
}

// formKey reads the key form. The secret is read here and only passed on to the store.
func formKey(r *http.Request) keystore.Key {
	f := r.PostFormValue
	k := keystore.Key{
		Name: f("name"), Kind: keystore.Kind(f("kind")), Description: strings.TrimSpace(f("description")),
		Endpoint: strings.TrimSpace(f("endpoint")), Bucket: strings.TrimSpace(f("bucket")), Region: strings.TrimSpace(f("region")),
		PathStyle: f("path_style") == "on", Public: f("public") == "on", AccessKey: strings.TrimSpace(f("access_key")),
		Readable: f("readable") == "on", Username: strings.TrimSpace(f("username")),
		Scheme: keystore.HTTPScheme(f("scheme")), Header: strings.TrimSpace(f("header")), Prefix: strings.TrimSpace(f("prefix")),
		Issuer: strings.TrimSpace(f("issuer")), ClientID: strings.TrimSpace(f("client_id")), Flow: keystore.OIDCFlow(f("flow")),
		Scopes: strings.Fields(f("scopes")),
		Secret: keystore.Secret(f("secret")),
	}
	return k
}

func (h *Handler) NewForm(w http.ResponseWriter, r *http.Request) error {
	if h.keys.Locked() {
		return h.locked(w, r, LockModel{}, http.StatusLocked)
	}
	k := keystore.Key{Kind: keystore.KindS3, Scheme: keystore.SchemeBearer}
	if kind, err := keystore.ParseKind(r.URL.Query().Get("kind")); err == nil {
		k.Kind = kind
	}
	// Changing the kind re-renders the form with what was typed (never the secret).
	q := r.URL.Query()
	k.Name, k.Description = q.Get("name"), q.Get("description")
	if s := keystore.HTTPScheme(q.Get("scheme")); s == keystore.SchemeBasic || s == keystore.SchemeHeader {
		k.Scheme = s
	}
	if k.Kind == keystore.KindEODATA {
		k.Endpoint, k.Region, k.Bucket = keystore.EODATAEndpoint, keystore.EODATARegion, keystore.EODATABucket
	}
	if k.Kind == keystore.KindOIDC {
		k.Scheme, k.Flow = "", keystore.FlowAuthCode
		k.Prefix, k.Issuer = q.Get("prefix"), q.Get("issuer") // from the endpoint page's "Set up sign-in"
	}
	return h.render(w, r, "Add a key", FormView(FormModel{View: viewOf(k)}), 0, "key-form")
}

func (h *Handler) Create(w http.ResponseWriter, r *http.Request) error {
	if h.keys.Locked() {
		return h.locked(w, r, LockModel{}, http.StatusLocked)
	}
	k := formKey(r)
	saved, err := h.keys.Add(k)
	if err != nil {
		return h.saveFailed(w, r, FormModel{View: viewOf(k)}, err)
	}
	h.log.Info("key added", "key", saved.Name, "kind", string(saved.Kind))
	web.Redirect(w, r, keyPath(saved.Name))
	return nil
}

// saveFailed re-renders the form with the reason. The secret typed is not sent back:
// the form asks for it again.
func (h *Handler) saveFailed(w http.ResponseWriter, r *http.Request, m FormModel, err error) error {
	switch {
	case errors.Is(err, keystore.ErrInvalid):
		m.Err = strings.TrimPrefix(err.Error(), keystore.ErrInvalid.Error()+": ")
	case errors.Is(err, keystore.ErrExists):
		m.Err = "There is already a key named " + strconv.Quote(m.View.Key.Name) + "."
	default:
		return h.storeErr(w, r, err)
	}
	m.View.HasSecret = m.Edit // an edit keeps the stored secret
	return h.render(w, r, "Add a key", FormView(m), http.StatusUnprocessableEntity, "key-form")
}

func (h *Handler) EditForm(w http.ResponseWriter, r *http.Request) error {
	k, ok, err := h.get(w, r)
	if !ok {
		return err
	}
	return h.render(w, r, "Edit "+k.Name, FormView(FormModel{Edit: true, View: viewOf(*k)}), 0, "key-form")
}

func (h *Handler) Update(w http.ResponseWriter, r *http.Request) error {
	cur, ok, err := h.get(w, r)
	if !ok {
		return err
	}
	k := formKey(r)
	k.Name = cur.Name
	saved, err := h.keys.Update(k) // an empty secret keeps the stored one
	if err != nil {
		return h.saveFailed(w, r, FormModel{Edit: true, View: viewOf(k)}, err)
	}
	h.log.Info("key updated", "key", saved.Name, "kind", string(saved.Kind), "secret_replaced", !k.Secret.IsZero())
	web.Redirect(w, r, keyPath(saved.Name))
	return nil
}

func (h *Handler) Remove(w http.ResponseWriter, r *http.Request) error {
	if h.keys.Locked() {
		return h.locked(w, r, LockModel{}, http.StatusLocked)
	}
	name := r.PathValue("name")
	if err := h.keys.Remove(name); err != nil {
		return h.storeErr(w, r, err)
	}
	h.log.Info("key removed", "key", name)
	web.Redirect(w, r, "/keystore")
	return nil
}

// test tries the key for real and shows what the server answered.
func (h *Handler) Test(w http.ResponseWriter, r *http.Request) error {
	k, ok, err := h.get(w, r)
	if !ok {
		return err
	}
	m := DetailModel{View: viewOf(*k)}
	rep, err := h.remote.Check(r.Context(), k)
	if err != nil {
		m.Test = &TestResult{Message: keycheck.Explain(k, err), Detail: scrub(err.Error(), k)}
		h.log.Info("key test failed", "key", k.Name, "code", errs.CodeOf(err).String())
	} else {
		m.Test = &TestResult{OK: true, Unchecked: rep.Unchecked, Detail: scrub(rep.Detail, k)}
	}
	return h.renderDetail(w, r, m, 0)
}

// maxPEM bounds a pasted or fetched service key.
const maxPEM = 64 << 10

// export encrypts the key for a service whose RSA public key is pasted or fetched,
// shows the payload and, when asked, posts it to the service. The session is not
// enough: the keystore passphrase is typed again (or the OS keychain asked again)
// for every export, before anything else is done.
func (h *Handler) Export(w http.ResponseWriter, r *http.Request) error {
	k, ok, err := h.get(w, r)
	if !ok {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxPEM)
	m := DetailModel{View: viewOf(*k), KeyURL: strings.TrimSpace(r.PostFormValue("key_url")),
		SendURL: strings.TrimSpace(r.PostFormValue("send_url")), PEM: strings.TrimSpace(r.PostFormValue("pem"))}
	fail := func(msg string) error {
		m.ExportErr = scrub(msg, k)
		return h.renderDetail(w, r, m, http.StatusUnprocessableEntity)
	}
	switch err := h.keys.Confirm(r.PostFormValue("passphrase")); {
	case errors.Is(err, keystore.ErrLocked):
		h.log.Warn("key export refused: the keystore locked itself after wrong passphrases", "key", k.Name)
		return h.locked(w, r, LockModel{Err: "The keystore locked itself after several wrong passphrases. Unlock it to go on."}, http.StatusLocked)
	case errors.Is(err, keystore.ErrPassphraseRequired):
		return fail("Type the keystore passphrase to confirm the export.")
	case errors.Is(err, keystore.ErrWrongPassphrase):
		h.log.Warn("key export refused: wrong passphrase", "key", k.Name)
		return fail("That is not the keystore passphrase: the key was not exported.")
	case err != nil:
		return fail("The OS keychain did not confirm the export: " + err.Error())
	}
	pem := []byte(m.PEM)
	switch {
	case len(pem) == 0 && m.KeyURL == "":
		return fail("Paste the service's public key (PEM) or give the URL it is published at.")
	case len(pem) == 0:
		if pem, err = h.remote.ServiceKey(r.Context(), m.KeyURL); err != nil {
			return fail("The service key could not be fetched: " + err.Error())
		}
	}
	exp, err := k.ExportFor(pem)
	if err != nil {
		return fail(strings.TrimPrefix(err.Error(), keystore.ErrInvalid.Error()+": "))
	}
	payload, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return err
	}
	m.Export = string(payload)
	if m.SendURL != "" {
		ans, err := h.remote.SendExport(r.Context(), m.SendURL, payload)
		if err != nil {
			m.ExportErr = scrub("The payload could not be sent: "+err.Error(), k)
		} else {
			m.Sent = scrub(ans, k)
		}
	}
	h.log.Info("key exported for a service", "key", k.Name, "sent", m.SendURL != "" && m.ExportErr == "")
	return h.renderDetail(w, r, m, 0)
}

// scrub masks the key's secret in a message, in case a server echoed it back.
func scrub(msg string, k *keystore.Key) string {
	if s := k.Secret.Reveal(); len(s) >= 4 {
		msg = strings.ReplaceAll(msg, s, keystore.Mask)
	}
	return msg
}
