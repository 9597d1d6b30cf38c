// Package keyscmd is the logic behind `geojobs keys`: open and unlock the
// keystore from a terminal or the environment, read a secret from standard
// input, and print keys. It is written against io.Reader/io.Writer so it can be
// tested without a terminal; cmd/keys.go only wires it to cobra.
package keyscmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keycheck"
	"golang.org/x/term"
)

// PassphraseEnv is the environment variable that gives the keystore passphrase
// to non-interactive runs.
const PassphraseEnv = "GEOJOBS_KEYSTORE_PASSPHRASE"

// maxSecret bounds a secret read from standard input.
const maxSecret = 64 << 10

// IO is where a command reads and writes.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Getenv reads the environment; default os.Getenv.
	Getenv func(string) string
	// Terminal prompts without echo; nil means "use the controlling terminal if
	// there is one". Tests set it.
	Terminal func(prompt string) (string, error)
}

func (o IO) getenv(k string) string {
	if o.Getenv != nil {
		return o.Getenv(k)
	}
	return os.Getenv(k)
}

// prompt asks on the terminal without echo: the standard input when it is a
// terminal, else the controlling terminal (/dev/tty), so a secret can be piped
// while the passphrase is typed.
func (o IO) prompt(prompt string) (string, error) {
	if o.Terminal != nil {
		return o.Terminal(prompt)
	}
	if f, ok := o.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return readPassword(f, o.ErrOut, prompt)
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", errors.New("no terminal to prompt on")
	}
	defer tty.Close()
	return readPassword(tty, tty, prompt)
}

func readPassword(f *os.File, w io.Writer, prompt string) (string, error) {
	fmt.Fprint(w, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(w)
	if err != nil {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	return string(b), nil
}

func (o IO) stdinIsTerminal() bool {
	if o.Terminal != nil {
		return o.In == nil
	}
	f, ok := o.In.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// OpenStore opens and unlocks the keystore in cfg.Dir. When a passphrase is
// needed it comes from PassphraseEnv or, failing that, a terminal prompt (asked
// twice when the keystore is being created).
func OpenStore(cfg keystore.Config, o IO) (*keystore.Store, error) {
	st, err := keystore.Open(cfg)
	if err != nil {
		return nil, err
	}
	pass := ""
	if st.NeedsPassphrase() {
		creating := st.Protection() == keystore.Unprotected
		pass = o.getenv(PassphraseEnv)
		if pass == "" {
			pass, err = o.prompt("Keystore passphrase: ")
			if err != nil {
				return nil, fmt.Errorf("%w: set %s or run in a terminal (%v)", keystore.ErrPassphraseRequired, PassphraseEnv, err)
			}
			if creating && pass != "" {
				again, err := o.prompt("Repeat the passphrase: ")
				if err != nil {
					return nil, err
				}
				if again != pass {
					return nil, fmt.Errorf("%w: the passphrases differ", keystore.ErrInvalid)
				}
			}
		}
		// The same rule as the Keystore page for a new keystore.
		if creating && len(pass) < keystore.MinPassphrase {
			return nil, fmt.Errorf("%w: choose a passphrase of at least %d characters", keystore.ErrInvalid, keystore.MinPassphrase)
		}
	}
	if err := st.Unlock(pass); err != nil {
		return nil, err
	}
	return st, nil
}

// ReadSecret reads a secret from r: everything up to the end (at most 64 KiB)
// with one trailing newline removed, so `printf %s "$S" | …` and `echo "$S" | …`
// both work. An empty secret is an error.
func ReadSecret(r io.Reader) (keystore.Secret, error) {
	s, err := readSecret(r)
	if err == nil && s == "" {
		return "", fmt.Errorf("%w: the secret is empty", keystore.ErrInvalid)
	}
	return s, err
}

// readSecret is ReadSecret allowing an empty secret.
func readSecret(r io.Reader) (keystore.Secret, error) {
	b, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), maxSecret+1))
	if err != nil {
		return "", fmt.Errorf("reading the secret: %w", err)
	}
	if len(b) > maxSecret {
		return "", fmt.Errorf("%w: the secret is longer than 64 KiB", keystore.ErrInvalid)
	}
	return keystore.Secret(strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")), nil
}

// Add reads the key's secret — a no-echo prompt when standard input is a
// terminal, standard input otherwise — and adds the key.
func Add(st *keystore.Store, k keystore.Key, o IO) (*keystore.Key, error) {
	var sec keystore.Secret
	if k.Kind == keystore.KindOIDC {
		// The client secret is optional (public clients): empty input is none.
		if o.stdinIsTerminal() {
			s, err := o.prompt(fmt.Sprintf("client secret for %q (empty for a public client): ", k.Name))
			if err != nil {
				return nil, err
			}
			sec = keystore.Secret(s)
		} else if o.In != nil {
			s, err := readSecret(o.In)
			if err != nil {
				return nil, err
			}
			sec = s
		}
	} else if o.stdinIsTerminal() {
		s, err := o.prompt(fmt.Sprintf("%s for %q: ", k.SecretLabel(), k.Name))
		if err != nil {
			return nil, err
		}
		if s == "" {
			return nil, fmt.Errorf("%w: the %s is empty", keystore.ErrInvalid, k.SecretLabel())
		}
		sec = keystore.Secret(s)
	} else {
		s, err := ReadSecret(o.In)
		if err != nil {
			return nil, err
		}
		sec = s
	}
	k.Secret = sec
	added, err := st.Add(k)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Out, "added %s\n", added)
	return added, nil
}

// uses lists what the key may be used for.
func uses(k keystore.Key) string {
	var u []string
	for _, x := range []keystore.Use{keystore.Input, keystore.Output, keystore.Endpoint} {
		if k.CanUse(x) == nil {
			u = append(u, x.String())
		}
	}
	return strings.Join(u, ",")
}

// List prints the keys as a table, or as the UI's JSON view (secrets masked).
func List(st *keystore.Store, w io.Writer, asJSON bool) error {
	keys, err := st.List()
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(keys)
	}
	if len(keys) == 0 {
		fmt.Fprintln(w, "no keys; add one with `geojobs keys add`")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tFOR\tUSES\tIDENTITY\tSECRET")
	for _, k := range keys {
		id := k.AccessKey
		if id == "" {
			id = k.Username
		}
		if k.Kind == keystore.KindOIDC {
			id = SignedIn(k)
		}
		if id == "" && k.Header != "" {
			id = k.Header
		}
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.Kind, k.Target(), uses(k), id, k.Secret)
	}
	return tw.Flush()
}

// Remove deletes the named key.
func Remove(st *keystore.Store, name string, w io.Writer) error {
	if err := st.Remove(name); err != nil {
		return err
	}
	fmt.Fprintf(w, "removed %q\n", name)
	return nil
}

// Test checks the named key against its server and prints the outcome.
func Test(ctx context.Context, st *keystore.Store, name string, w io.Writer, opt keycheck.Options) error {
	k, err := st.Get(name)
	if err != nil {
		return err
	}
	rep, err := keycheck.Key(ctx, k, opt)
	if err != nil {
		return fmt.Errorf("key %q: %w", name, err)
	}
	if rep.Unchecked {
		fmt.Fprintf(w, "not checked: the server answered without needing the key (%s)\n", rep.Detail)
		return nil
	}
	fmt.Fprintf(w, "ok: %s\n", rep.Detail)
	return nil
}
