package keystore

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/geojobs/geojobs/backend/netpolicy"
)

// Use is what a key is wanted for.
type Use int

// The uses.
const (
	// Input: data a process reads (the key may be handed to the service).
	Input Use = iota + 1
	// Output: where a process or an export writes results.
	Output
	// Endpoint: authenticating to an OGC API endpoint.
	Endpoint
	// Download: geojobs itself fetching a file (download manager).
	Download
)

func (u Use) String() string {
	switch u {
	case Input:
		return "input"
	case Output:
		return "output"
	case Endpoint:
		return "endpoint"
	case Download:
		return "download"
	}
	return fmt.Sprintf("Use(%d)", int(u))
}

// CanUse reports whether the key may serve u, as in EOCanvas: private S3 for
// inputs and outputs; public S3 and EODATA for inputs only; WebDAV for outputs
// (and inputs when marked readable); HTTP keys for endpoints. Every storage key
// may be used for downloads, and so may HTTP keys (files behind the same login).
// The error is a *NotAllowedError (it matches ErrNotAllowed) that says why.
func (k Key) CanUse(u Use) error {
	deny := func(why string) error { return &NotAllowedError{Why: why} }
	if u == Download {
		return nil
	}
	switch k.Kind {
	case KindS3:
		switch u {
		case Input:
			return nil
		case Output:
			if k.Public {
				return deny("public S3 keys are read-only: they cannot receive outputs")
			}
			return nil
		case Endpoint:
			return deny("S3 keys are storage credentials: they cannot authenticate to an endpoint")
		}
	case KindEODATA:
		switch u {
		case Input:
			return nil
		case Output:
			return deny("EODATA keys are read-only: they cannot receive outputs")
		case Endpoint:
			return deny("EODATA keys are storage credentials: they cannot authenticate to an endpoint")
		}
	case KindWebDAV:
		switch u {
		case Output:
			return nil
		case Input:
			if k.Readable {
				return nil
			}
			return deny("this WebDAV key is not marked readable: it can receive outputs but not serve inputs")
		case Endpoint:
			return deny("WebDAV keys are storage credentials: they cannot authenticate to an endpoint")
		}
	case KindHTTP, KindOIDC:
		switch u {
		case Endpoint:
			return nil
		case Input, Output:
			return deny(strings.ToUpper(string(k.Kind)) + " keys authenticate to endpoints: they cannot be used for " + u.String() + "s")
		}
	default:
		return deny(fmt.Sprintf("unknown key kind %q", k.Kind))
	}
	return deny("unknown use " + u.String())
}

// prefixes are the URL prefixes the key matches.
func (k Key) prefixes() []string {
	switch k.Kind {
	case KindS3, KindEODATA:
		p := []string{s3Prefix(k.Bucket, k.Prefix)}
		// https URLs of the same objects on the key's endpoint.
		if e, err := url.Parse(k.Endpoint); err == nil && e.Host != "" {
			base := e.Scheme + "://" + e.Host + strings.TrimRight(e.Path, "/")
			if k.Bucket == "" {
				p = append(p, base+"/")
			} else {
				p = append(p, base+"/"+k.Bucket+"/"+k.Prefix)
				if !k.PathStyle {
					p = append(p, e.Scheme+"://"+k.Bucket+"."+e.Host+"/"+k.Prefix)
				}
			}
		}
		return p
	case KindWebDAV:
		return []string{k.Endpoint}
	case KindHTTP, KindOIDC:
		return []string{k.Prefix}
	}
	return nil
}

// matchLen returns the length of the longest of the key's prefixes that u falls
// under, or -1. The origin (scheme, host, port with the default port implied) must be
// the prefix's, and u's path, normalised (percent-escapes decoded, dot segments
// resolved: "/data/%2e%2e/admin" is "/admin"), must be the prefix's path or below it at
// a segment boundary ("s3://b/data" matches "s3://b/data/x", not "s3://b/database").
func (k Key) matchLen(u *url.URL) int {
	best := -1
	for _, p := range k.prefixes() {
		pu, err := url.Parse(p)
		if err != nil {
			continue
		}
		if !strings.EqualFold(pu.Scheme, u.Scheme) {
			continue
		}
		if pu.Scheme == "s3" && pu.Host == "" { // every bucket
			if best < 0 {
				best = 0
			}
			continue
		}
		if !netpolicy.Under(u, pu) {
			continue
		}
		pp, _ := netpolicy.CleanPath(pu)
		if n := len(netpolicy.Origin(pu)) + len(strings.TrimRight(pp, "/")) + 1; n > best {
			best = n
		}
	}
	return best
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }
