// Package keyed holds what the transfer drivers that send a key's credentials (s3,
// webdav) share: finding the key for a URL, and keeping the error of the reader an
// upload is given. It is not a driver and knows no protocol.
package keyed

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Key returns the key resolve gives for u, which must be of one of kinds. Every
// failure has Code PermissionDenied: no keystore (resolve is nil), no key for u, or a
// key of another kind. driverName starts the messages ("s3"); label names the kind
// of key in them ("S3").
func Key(resolve func(*url.URL) (*keystore.Key, error), u *url.URL, driverName, label string, kinds ...keystore.Kind) (*keystore.Key, error) {
	if resolve == nil {
		return nil, driver.Errorf(driver.PermissionDenied, "%s: no keystore", driverName)
	}
	k, err := resolve(u)
	if err != nil || k == nil {
		if err == nil {
			err = fmt.Errorf("no %s key for %s", label, driver.RedactURL(u))
		}
		return nil, driver.Wrap(driver.PermissionDenied, err, driverName)
	}
	if !slices.Contains(kinds, k.Kind) {
		return nil, driver.Errorf(driver.PermissionDenied, "%s: key %q for %s is a %s key, not %s", driverName, k.Name, driver.RedactURL(u), k.Kind, label)
	}
	return k, nil
}

// Reader remembers the error of the reader given to an upload (other than EOF), so
// that the upload fails with it rather than with the server's account of it.
type Reader struct {
	R   io.Reader
	Err error
}

func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.R.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		r.Err = err
	}
	return n, err
}
