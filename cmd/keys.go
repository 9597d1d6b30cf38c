package cmd

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/atomicfile"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keycheck"
	"github.com/geojobs/geojobs/backend/keystore/keyscmd"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newKeysCmd) }

// keysOptions are the flags of `geojobs keys`.
type keysOptions struct {
	root     *rootOptions
	keychain string
}

func (o *keysOptions) io(cmd *cobra.Command) keyscmd.IO {
	return keyscmd.IO{In: cmd.InOrStdin(), Out: cmd.OutOrStdout(), ErrOut: cmd.ErrOrStderr(), Getenv: os.Getenv}
}

func (o *keysOptions) open(cmd *cobra.Command) (*keystore.Store, error) {
	cfg := keystore.Config{Dir: o.root.DataDir}
	switch o.keychain {
	case "auto":
	case "off":
		cfg.Keychain = keystore.KeychainOff
	default:
		return nil, fmt.Errorf("--keychain must be auto or off, not %q", o.keychain)
	}
	st, err := keyscmd.OpenStore(cfg, o.io(cmd))
	o.root.hideKeys(st) // `keys test` prints what servers answer
	return st, err
}

// withStore opens the keystore, hands it to use and locks it again.
func (o *keysOptions) withStore(cmd *cobra.Command, use func(*keystore.Store) error) error {
	st, err := o.open(cmd)
	if err != nil {
		return err
	}
	defer st.Lock()
	return use(st)
}

func newKeysCmd(root *rootOptions) *cobra.Command {
	o := &keysOptions{root: root}
	c := &cobra.Command{
		Use:   "keys",
		Short: "Manage stored credentials (S3, EODATA, WebDAV, HTTP endpoints, OpenID Connect sign-ins)",
		Long: `Keys are named credentials that processing, transfers and endpoints refer to by name.
They are kept in keystore.age in the data dir, encrypted with age: with a key held in the
OS keychain where there is one, else with a passphrase (` + keyscmd.PassphraseEnv + ` or a
prompt). Secrets are read from standard input or a no-echo prompt, never from the
command line, and are never shown again.`,
	}
	c.PersistentFlags().StringVar(&o.keychain, "keychain", "auto", "use the OS keychain for a new keystore: auto or off")
	c.AddCommand(newKeysListCmd(o), newKeysAddCmd(o), newKeysRemoveCmd(o), newKeysTestCmd(o), newKeysLoginCmd(o), newKeysLogoutCmd(o), newKeysExportCmd(o))
	return c
}

func newKeysListCmd(o *keysOptions) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the keys (secrets masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.withStore(cmd, func(st *keystore.Store) error {
				return keyscmd.List(st, cmd.OutOrStdout(), asJSON)
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON (secrets masked)")
	return c
}

func newKeysAddCmd(o *keysOptions) *cobra.Command {
	var k keystore.Key
	var kind, scheme, flow, scope string
	c := &cobra.Command{
		Use:   "add --name NAME --kind s3|eodata|webdav|http|oidc [flags] < secret",
		Short: "Add a key; its secret is read from standard input or a no-echo prompt",
		Example: `  printf %s "$SECRET_KEY" | geojobs keys add --name results --kind s3 --access-key AKIA… --bucket results --region eu-central-1
  geojobs keys add --name cdse --kind eodata --access-key …          # prompts for the secret key
  geojobs keys add --name drive --kind webdav --endpoint https://drive.example.com/remote.php/dav/files/ana/ --username ana
  geojobs keys add --name zoo --kind http --scheme bearer --prefix https://zoo.example.com/ogc-api/
  geojobs keys add --name eoepca --kind oidc --prefix https://zoo.example.com/ \
      --issuer https://auth.example.com/realms/eoepca --client-id geojobs --flow device < /dev/null`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if k.Kind, err = keystore.ParseKind(kind); err != nil {
				return err
			}
			k.Scheme = keystore.HTTPScheme(scheme)
			if k.Kind == keystore.KindOIDC {
				if k.Flow, err = keystore.ParseFlow(flow); err != nil {
					return err
				}
				k.Scopes = strings.Fields(scope)
				k.Scheme = ""
			} else if flow != "" || scope != "" || k.Issuer != "" || k.ClientID != "" {
				return fmt.Errorf("--issuer, --client-id, --flow and --scope are for --kind oidc")
			}
			return o.withStore(cmd, func(st *keystore.Store) error {
				_, err := keyscmd.Add(st, k, o.io(cmd))
				return err
			})
		},
	}
	f := c.Flags()
	f.StringVar(&k.Name, "name", "", "key name (letters, digits, . _ -)")
	f.StringVar(&kind, "kind", "", "s3, eodata, webdav, http or oidc")
	f.StringVar(&k.Description, "description", "", "free text")
	f.StringVar(&k.AccessKey, "access-key", "", "S3/EODATA access key id")
	f.StringVar(&k.Bucket, "bucket", "", "S3 bucket (EODATA: eodata)")
	f.StringVar(&k.Region, "region", "", "S3 region (S3: us-east-1, EODATA: default)")
	f.StringVar(&k.Endpoint, "endpoint", "", "S3 or WebDAV endpoint URL (EODATA: "+keystore.EODATAEndpoint+")")
	f.BoolVar(&k.PathStyle, "path-style", false, "S3 path-style bucket addressing")
	f.BoolVar(&k.Public, "public", false, "S3: public or read-only bucket (inputs only)")
	f.StringVar(&k.Username, "username", "", "WebDAV or HTTP basic user name")
	f.BoolVar(&k.Readable, "readable", false, "WebDAV: may also serve inputs")
	f.StringVar(&scheme, "scheme", "bearer", "HTTP: bearer, basic or header")
	f.StringVar(&k.Header, "header", "", "HTTP header name for --scheme header (X-API-Key)")
	f.StringVar(&k.Prefix, "prefix", "", "HTTP, OIDC: the endpoint URL prefix the key is for; S3: object prefix in the bucket")
	f.StringVar(&k.Issuer, "issuer", "", "OIDC: the provider's issuer URL (Keycloak: https://host/realms/NAME)")
	f.StringVar(&k.ClientID, "client-id", "", "OIDC: the client id registered at the provider")
	f.StringVar(&flow, "flow", "", "OIDC: auth-code, device or client-credentials")
	f.StringVar(&scope, "scope", "", `OIDC: scopes, space-separated (default "openid offline_access"; client-credentials "openid")`)
	_ = c.MarkFlagRequired("name")
	_ = c.MarkFlagRequired("kind")
	return c
}

func newKeysRemoveCmd(o *keysOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.withStore(cmd, func(st *keystore.Store) error {
				return keyscmd.Remove(st, args[0], cmd.OutOrStdout())
			})
		},
	}
}

func newKeysTestCmd(o *keysOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Try a key against its server (S3: list the bucket, WebDAV: PROPFIND, HTTP: GET the landing page)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.withStore(cmd, func(st *keystore.Store) error {
				return keyscmd.Test(cmd.Context(), st, args[0], cmd.OutOrStdout(), keycheck.Options{})
			})
		},
	}
}

func newKeysLoginCmd(o *keysOptions) *cobra.Command {
	var browser string
	c := &cobra.Command{
		Use:   "login NAME",
		Short: "Sign in with an oidc key (device: shows a URL and a code; auth-code: opens the browser)",
		Long: `Runs the sign-in of an oidc key. With --flow device it prints the provider's address and the
code to enter there, and waits; with --flow auth-code it opens the provider's page in the browser
and waits for it to come back to a loopback address (http://127.0.0.1:PORT/callback); with
--flow client-credentials it gets a token at once. The tokens are kept in the keystore and
renewed as needed; they are never printed.

--browser names the program that opens the sign-in page (it gets the address as its last
argument), for a browser other than the system's; --browser none only prints the address
(open it on this machine: the provider sends the browser back to 127.0.0.1).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.withStore(cmd, func(st *keystore.Store) error {
				m := o.root.signIns(st, nil)
				return keyscmd.Login(cmd.Context(), m, args[0], cmd.OutOrStdout(), loginOpener(browser))
			})
		},
	}
	c.Flags().StringVar(&browser, "browser", "", `program that opens the sign-in page (default: the system's browser; "none": print the address only)`)
	return c
}

// loginOpener opens an auth-code sign-in page with the program named by
// --browser (split at spaces, the URL appended), none for "none", else the
// system's browser.
func loginOpener(browser string) func(string) error {
	switch browser = strings.TrimSpace(browser); browser {
	case "":
		return openBrowser
	case "none":
		return nil
	}
	return func(url string) error {
		argv := strings.Fields(browser)
		c := exec.Command(argv[0], append(argv[1:], url)...)
		if err := c.Start(); err != nil {
			return err
		}
		go func() { _ = c.Wait() }() // a browser may live on after the sign-in
		return nil
	}
}

func newKeysLogoutCmd(o *keysOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "logout NAME",
		Short: "Sign out an oidc key: forget its tokens and revoke them at the provider",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.withStore(cmd, func(st *keystore.Store) error {
				return keyscmd.Logout(cmd.Context(), o.root.signIns(st, nil), args[0], cmd.OutOrStdout())
			})
		},
	}
}

// maxServiceKey bounds a service's public key read from a file or a URL.
const maxServiceKey = 64 << 10

func newKeysExportCmd(o *keysOptions) *cobra.Command {
	var serviceKey, output string
	c := &cobra.Command{
		Use:   "export NAME --service-key FILE|URL [-o FILE]",
		Short: "Encrypt a key for a service (its RSA public key); asks for the keystore passphrase again",
		Long: `Encrypt a key's configuration, secret included, for one service: only the holder of the
service's RSA private key can read the payload (JSON, on stdout or in --output). Exporting
gives the secret away, so the keystore passphrase must be typed again at the terminal
(` + keyscmd.PassphraseEnv + ` opens the keystore but does not confirm an export); a keystore
in the OS keychain asks the keychain again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pemBytes, err := readServiceKey(cmd, serviceKey)
			if err != nil {
				return err
			}
			var payload []byte
			err = o.withStore(cmd, func(st *keystore.Store) (err error) {
				payload, err = keyscmd.Export(st, args[0], pemBytes, o.io(cmd))
				return err
			})
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = raw(cmd.OutOrStdout()).Write(payload) // a document, not a message
				return err
			}
			return atomicfile.WriteOS(output, payload, 0o600)
		},
	}
	c.Flags().StringVar(&serviceKey, "service-key", "", "the service's RSA public key (PEM): a file, or an https URL it is published at")
	c.Flags().StringVarP(&output, "output", "o", "", `write the payload to this file (default "-": stdout)`)
	_ = c.MarkFlagRequired("service-key")
	return c
}

// readServiceKey reads a service's public key from a file or an http(s) URL.
func readServiceKey(cmd *cobra.Command, src string) ([]byte, error) {
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("--service-key: %w", err)
		}
		return b, nil
	}
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("--service-key: %w", err)
	}
	resp, err := netpolicy.Client(&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("--service-key: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("--service-key: GET %s: HTTP %d", u.Redacted(), resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxServiceKey+1))
	if err == nil && len(b) > maxServiceKey {
		err = fmt.Errorf("larger than a public key")
	}
	if err != nil {
		return nil, fmt.Errorf("--service-key: GET %s: %w", u.Redacted(), err)
	}
	return b, nil
}
