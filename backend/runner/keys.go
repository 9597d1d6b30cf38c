package runner

import (
	"errors"
	"net/http"

	"github.com/geojobs/geojobs/backend/keystore"
)

// EndpointKey picks the endpoint's credentials from an unlocked keystore: the key
// called name when one is given (it must exist and be an endpoint key, and its URL
// prefix must cover the endpoint), else the endpoint key whose prefix matches the
// endpoint URL (keystore.Store.Match), or nil when none does. Errors are *Error with
// ExitUsage; they name the key, never its secret.
func EndpointKey(st *keystore.Store, endpoint, name string) (*keystore.Key, error) {
	if name == "" {
		k, ok := st.Match(endpoint, keystore.Endpoint)
		if !ok {
			return nil, nil
		}
		return k, nil
	}
	k, err := st.Get(name)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return nil, errorf(ExitUsage, nil, "--key %q: there is no such key in the keystore", truncate(name, 80))
	case err != nil:
		return nil, errorf(ExitUsage, err, "--key %q", truncate(name, 80))
	}
	if err := k.CanUse(keystore.Endpoint); err != nil {
		return nil, errorf(ExitUsage, err, "--key %q", k.Name)
	}
	// The key's credentials refuse other hosts anyway; say so before anything is sent.
	probe, err := http.NewRequest(http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, errorf(ExitUsage, nil, "API endpoint %q is not a URL", truncate(endpoint, 200))
	}
	if err := k.Credentials().Apply(probe); errors.Is(err, keystore.ErrNotAllowed) {
		return nil, errorf(ExitUsage, nil, "--key %q is for %s, not for %s", k.Name, k.Target(), truncate(endpoint, 200))
	}
	return k, nil
}
