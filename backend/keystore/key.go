package keystore

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Kind is what a key gives access to.
type Kind string

// The kinds of key.
const (
	// KindS3 is an S3 (or S3-compatible) bucket: access key + secret key.
	KindS3 Kind = "s3"
	// KindEODATA is the CREODIAS / CDSE "eodata" S3 archive: an S3 key with the
	// archive's endpoint, region and bucket filled in; read only.
	KindEODATA Kind = "eodata"
	// KindWebDAV is a WebDAV share (WEkEO Drive, Nextcloud, …): username + password.
	KindWebDAV Kind = "webdav"
	// KindHTTP is a credential for an HTTP endpoint (an OGC API server): a bearer
	// token, a basic user/password, or an API-key header.
	KindHTTP Kind = "http"
)

// ParseKind accepts a kind name, case-insensitively.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case KindS3, KindEODATA, KindWebDAV, KindHTTP, KindOIDC:
		return k, nil
	}
	return "", fmt.Errorf("%w: unknown key kind %q (want s3, eodata, webdav, http or oidc)", ErrInvalid, s)
}

// HTTPScheme is how an HTTP key authenticates.
type HTTPScheme string

// The HTTP schemes.
const (
	// SchemeBearer sends "Authorization: Bearer <Secret>".
	SchemeBearer HTTPScheme = "bearer"
	// SchemeBasic sends "Authorization: Basic base64(Username:Secret)".
	SchemeBasic HTTPScheme = "basic"
	// SchemeHeader sends "<Header>: <Secret>" (API keys).
	SchemeHeader HTTPScheme = "header"
)

// EODATA defaults: the Copernicus Data Space Ecosystem / CREODIAS eodata archive.
const (
	EODATAEndpoint = "https://eodata.dataspace.copernicus.eu"
	EODATARegion   = "default"
	EODATABucket   = "eodata"
)

// Key is one named credential. Secret fields are of type Secret, so printing,
// logging or JSON-encoding a Key never shows them.
//
// Which fields apply depends on Kind:
//   - S3, EODATA: AccessKey, Secret (the secret key), Bucket, Prefix, Region,
//     Endpoint, PathStyle; Public for S3 (a public bucket: input only).
//   - WebDAV: Endpoint, Username, Secret (the password), Readable.
//   - HTTP: Scheme, Username (basic), Header (header), Secret, Prefix (the URL the
//     key is for).
//   - OIDC: Issuer, ClientID, Secret (the client secret, optional), Scopes, Flow,
//     Prefix (the URL the key is for), Session (the tokens of the sign-in).
type Key struct {
	Name        string    `json:"name"`
	Kind        Kind      `json:"kind"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`

	// Endpoint is the S3 or WebDAV server URL (https://host[:port][/path]).
	Endpoint string `json:"endpoint,omitempty"`
	// Bucket and Prefix restrict an S3 key to s3://Bucket/Prefix. An empty Bucket
	// means every bucket on Endpoint.
	Bucket    string `json:"bucket,omitempty"`
	Region    string `json:"region,omitempty"`
	PathStyle bool   `json:"pathStyle,omitempty"`
	// Public marks an S3 key for a public bucket (or read-only credentials): inputs only.
	Public    bool   `json:"public,omitempty"`
	AccessKey string `json:"accessKey,omitempty"`

	// Readable marks a WebDAV share that may also be read as an input.
	Readable bool `json:"readable,omitempty"`

	// Username is the WebDAV or HTTP-basic user.
	Username string `json:"username,omitempty"`

	Scheme HTTPScheme `json:"scheme,omitempty"`
	// Header is the header name for SchemeHeader ("X-API-Key").
	Header string `json:"header,omitempty"`
	// Prefix is, for HTTP keys, the URL prefix the key is for; for S3 keys the
	// object-key prefix inside Bucket.
	Prefix string `json:"prefix,omitempty"`

	// Issuer is the OpenID provider (Keycloak: https://host/realms/NAME); its
	// configuration is discovered at Issuer/.well-known/openid-configuration.
	Issuer   string   `json:"issuer,omitempty"`
	ClientID string   `json:"clientId,omitempty"`
	Scopes   []string `json:"scopes,omitempty"`
	Flow     OIDCFlow `json:"flow,omitempty"`
	// Session is an oidc key's current sign-in; nil when signed out.
	Session *Session `json:"session,omitempty"`

	// Secret is the S3 secret key, WebDAV or basic password, bearer token,
	// header value or OpenID client secret.
	Secret Secret `json:"secret,omitempty"`
}

// Secrets are the key's secret values (its Secret and its sign-in's tokens), for a
// command line to redact them from whatever it prints (safetext.Scrubber); never to show.
func (k Key) Secrets() []string {
	var out []string
	for _, s := range []Secret{k.Secret} {
		if !s.IsZero() {
			out = append(out, s.Reveal())
		}
	}
	if k.Session != nil {
		for _, s := range []Secret{k.Session.AccessToken, k.Session.RefreshToken, k.Session.IDToken} {
			if !s.IsZero() {
				out = append(out, s.Reveal())
			}
		}
	}
	return out
}

// String shows the key without its secret.
func (k Key) String() string {
	return fmt.Sprintf("%s key %q (%s)", k.Kind, k.Name, k.Target())
}

// GoString is String, so %#v does not dump fields (the Secret would be masked
// anyway; this keeps the output short).
func (k Key) GoString() string { return "keystore.Key{" + k.String() + "}" }

// MarshalJSON is the view for the UI: every field, the secret masked, plus
// "hasSecret" so a form can say whether one is set.
func (k Key) MarshalJSON() ([]byte, error) {
	type plain Key // drops the methods, keeps the masked Secret
	return json.Marshal(struct {
		plain
		HasSecret bool   `json:"hasSecret"`
		Target    string `json:"target"`
	}{plain(k), !k.Secret.IsZero(), k.Target()})
}

// Target is a short description of what the key is for: the URL prefix it matches.
func (k Key) Target() string {
	switch k.Kind {
	case KindS3, KindEODATA:
		return s3Prefix(k.Bucket, k.Prefix)
	case KindWebDAV:
		return k.Endpoint
	case KindHTTP, KindOIDC:
		return k.Prefix
	}
	return ""
}

func s3Prefix(bucket, prefix string) string {
	if bucket == "" {
		return "s3://"
	}
	return "s3://" + bucket + "/" + strings.TrimLeft(prefix, "/")
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// headerRE is an RFC 9110 token.
var headerRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// bucketRE is lenient on purpose (S3-compatible stores accept more than AWS).
var bucketRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$`)

// Normalize fills in defaults (the EODATA preset, the S3 region) and validates
// the key. It returns an error wrapping ErrInvalid that names the bad field.
func (k *Key) Normalize() error {
	k.Name = strings.TrimSpace(k.Name)
	if !nameRE.MatchString(k.Name) {
		return invalid("name %q: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit", k.Name)
	}
	kind, err := ParseKind(string(k.Kind))
	if err != nil {
		return err
	}
	k.Kind = kind
	k.Endpoint = strings.TrimSpace(k.Endpoint)
	switch k.Kind {
	case KindEODATA:
		if k.Endpoint == "" {
			k.Endpoint = EODATAEndpoint
		}
		if k.Region == "" {
			k.Region = EODATARegion
		}
		if k.Bucket == "" {
			k.Bucket = EODATABucket
		}
		k.PathStyle = true
		k.Public = false
		fallthrough
	case KindS3:
		if k.Endpoint == "" {
			k.Endpoint = "https://s3.amazonaws.com"
		}
		if err := checkHTTPURL("endpoint", k.Endpoint); err != nil {
			return err
		}
		if k.Region == "" {
			k.Region = "us-east-1"
		}
		if k.Bucket != "" && !bucketRE.MatchString(k.Bucket) {
			return invalid("bucket %q is not a valid bucket name", k.Bucket)
		}
		if k.Bucket == "" && k.Prefix != "" {
			return invalid("an object prefix needs a bucket")
		}
		k.Prefix = strings.TrimLeft(k.Prefix, "/")
		if k.AccessKey == "" {
			return invalid("an %s key needs an access key", k.Kind)
		}
		if k.Secret.IsZero() {
			return invalid("an %s key needs a secret key", k.Kind)
		}
		k.Username, k.Header, k.Scheme, k.Readable = "", "", "", false
	case KindWebDAV:
		if err := checkHTTPURL("endpoint", k.Endpoint); err != nil {
			return err
		}
		if k.Username == "" {
			return invalid("a WebDAV key needs a username")
		}
		if k.Secret.IsZero() {
			return invalid("a WebDAV key needs a password")
		}
		k.Bucket, k.Prefix, k.Region, k.AccessKey, k.Header, k.Scheme = "", "", "", "", "", ""
		k.PathStyle, k.Public = false, false
	case KindOIDC:
		return k.normalizeOIDC()
	case KindHTTP:
		k.Prefix = strings.TrimSpace(k.Prefix)
		if k.Prefix == "" {
			return invalid("an HTTP key needs the URL prefix it is for")
		}
		if err := checkHTTPURL("prefix", k.Prefix); err != nil {
			return err
		}
		if k.Scheme == "" {
			k.Scheme = SchemeBearer
		}
		k.Scheme = HTTPScheme(strings.ToLower(string(k.Scheme)))
		switch k.Scheme {
		case SchemeBearer:
			k.Username, k.Header = "", ""
		case SchemeBasic:
			if k.Username == "" {
				return invalid("basic authentication needs a username")
			}
			if strings.Contains(k.Username, ":") {
				return invalid("a basic-authentication username cannot contain ':'")
			}
			k.Header = ""
		case SchemeHeader:
			if !headerRE.MatchString(k.Header) {
				return invalid("header name %q is not a valid HTTP header name", k.Header)
			}
			k.Username = ""
		default:
			return invalid("unknown HTTP scheme %q (want bearer, basic or header)", k.Scheme)
		}
		if k.Secret.IsZero() {
			return invalid("an HTTP key needs a secret value")
		}
		if strings.ContainsAny(k.Secret.Reveal(), "\r\n") {
			return invalid("the secret value cannot contain line breaks")
		}
		k.Endpoint, k.Bucket, k.Region, k.AccessKey = "", "", "", ""
		k.PathStyle, k.Public, k.Readable = false, false, false
	}
	return nil
}

func checkHTTPURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		if strings.Contains(raw, "@") { // may hold user:password; do not echo it
			return invalid("%s must be an http(s) URL", field)
		}
		return invalid("%s %q must be an http(s) URL", field, raw)
	}
	if u.User != nil {
		return invalid("%s must not carry credentials in the URL", field)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return invalid("%s %q must not have a query or fragment", field, raw)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// SecretLabel names what k's secret is ("secret access key", "password", …), for
// the prompts of the command line and the labels of the keystore page.
func (k Key) SecretLabel() string {
	switch k.Kind {
	case KindS3, KindEODATA:
		return "secret access key"
	case KindWebDAV:
		return "password"
	case KindOIDC:
		return "client secret"
	case KindHTTP:
		switch k.Scheme {
		case SchemeBasic:
			return "password"
		case SchemeHeader:
			return "header value"
		}
		return "bearer token"
	}
	return "secret"
}
