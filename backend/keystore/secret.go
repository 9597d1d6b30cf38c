package keystore

import (
	"fmt"
	"log/slog"
)

// Mask is what a Secret shows instead of its value.
const Mask = "••••"

// Secret is a credential value (S3 secret key, password, token). Every way of
// printing it — fmt verbs, %#v, JSON, text, slog — shows Mask (or "" when it is
// empty), so a Secret can sit in structs that get logged or sent to the UI. Only
// Reveal returns the value; call it at the last moment, where the value leaves
// for the server it is meant for.
type Secret string

// Reveal returns the plaintext value.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

func (s Secret) masked() string {
	if s == "" {
		return ""
	}
	return Mask
}

// String returns Mask.
func (s Secret) String() string { return s.masked() }

// GoString returns Mask, quoted, for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.masked()) }

// Format masks the value for every verb (%d, %x and the rest would otherwise
// print the underlying string).
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.masked())
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.masked())
	default:
		fmt.Fprint(f, s.masked())
	}
}

// MarshalJSON writes Mask; the file format stores secrets through a separate type.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.masked() + `"`), nil }

// MarshalText writes Mask.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.masked()), nil }

// LogValue masks the secret in log/slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.masked()) }
