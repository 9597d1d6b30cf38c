package keyscmd

import (
	"encoding/json"
	"fmt"

	"github.com/geojobs/geojobs/backend/keystore"
)

// Confirm asks for the fresh confirmation an export needs on top of an unlocked store:
// the passphrase typed again at the terminal (never PassphraseEnv: whatever runs with
// that environment would export keys silently), or, for a keychain store, the OS
// keychain asked again.
func Confirm(st *keystore.Store, o IO) error {
	if !st.ConfirmNeedsPassphrase() {
		return st.Confirm("")
	}
	pass, err := o.prompt("Keystore passphrase, to confirm the export: ")
	if err != nil {
		return fmt.Errorf("%w: exporting a key needs the keystore passphrase typed at a terminal; %s does not confirm an export (%v)",
			keystore.ErrPassphraseRequired, PassphraseEnv, err)
	}
	return st.Confirm(pass)
}

// Export encrypts the named key for a service whose RSA public key (PEM) is
// servicePEM, once Confirm passed, and returns the payload (JSON) to give the service.
func Export(st *keystore.Store, name string, servicePEM []byte, o IO) ([]byte, error) {
	k, err := st.Get(name)
	if err != nil {
		return nil, err
	}
	if err := Confirm(st, o); err != nil {
		return nil, err
	}
	exp, err := k.ExportFor(servicePEM)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
