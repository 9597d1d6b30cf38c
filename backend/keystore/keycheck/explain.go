package keycheck

import (
	"errors"
	"net/url"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/netpolicy"
)

// Explain says why a check of k failed, in words people can act on, as the
// endpoint's connection test says it ("… Is the server running?"). The error's own
// text stays the technical detail.
func Explain(k *keystore.Key, err error) string {
	where := "the server"
	if o := originOf(k); o != "" {
		where = o
	}
	switch {
	case errors.Is(err, keystore.ErrDenied):
		return "The server at " + where + " refused the key: check its secret, and that the key may use this bucket, share or address."
	case errors.Is(err, keystore.ErrRemoteNotFound):
		return "The server at " + where + " answers, but the bucket, share or address was not found: check its name and path."
	case errors.Is(err, keystore.ErrUnavailable):
		if why := netpolicy.NoAnswer(err); why != "" {
			return "Cannot reach " + where + ": " + why + ". Is the server running? Check the key's address, your network, VPN or proxy."
		}
		return "The server at " + where + " answered with an error: it may be down for now. Try again later."
	case errors.Is(err, keystore.ErrNotAllowed):
		return "The key may not be used for this address: see what it can be used for below."
	case errors.Is(err, keystore.ErrInvalid):
		return "The key's settings cannot be used as they are, or the server's answer was not what a " + string(k.Kind) + " key expects: check the key's address and settings."
	}
	return "The test failed."
}

// originOf is the scheme and host of the key's server: "http://127.0.0.1:9000/".
func originOf(k *keystore.Key) string {
	raw := k.Endpoint
	if raw == "" {
		raw = k.Prefix
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/"
}
