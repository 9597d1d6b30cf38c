package cmd

import (
	"fmt"
	"os"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keycheck"
	"github.com/geojobs/geojobs/backend/keystore/keyscmd"
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
	return keyscmd.OpenStore(cfg, o.io(cmd))
}

func newKeysCmd(root *rootOptions) *cobra.Command {
	o := &keysOptions{root: root}
	c := &cobra.Command{
		Use:   "keys",
		Short: "Manage stored credentials (S3, EODATA, WebDAV, HTTP endpoints)",
		Long: `Keys are named credentials that processing, transfers and endpoints refer to by name.
They are kept in keystore.age in the data dir, encrypted with age: with a key held in the
OS keychain where there is one, else with a passphrase (` + keyscmd.PassphraseEnv + ` or a
prompt). Secrets are read from standard input or a no-echo prompt, never from the
command line, and are never shown again.`,
	}
	c.PersistentFlags().StringVar(&o.keychain, "keychain", "auto", "use the OS keychain for a new keystore: auto or off")
	c.AddCommand(newKeysListCmd(o), newKeysAddCmd(o), newKeysRemoveCmd(o), newKeysTestCmd(o))
	return c
}

func newKeysListCmd(o *keysOptions) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the keys (secrets masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := o.open(cmd)
			if err != nil {
				return err
			}
			defer st.Lock()
			return keyscmd.List(st, cmd.OutOrStdout(), asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON (secrets masked)")
	return c
}

func newKeysAddCmd(o *keysOptions) *cobra.Command {
	var k keystore.Key
	var kind, scheme string
	c := &cobra.Command{
		Use:   "add --name NAME --kind s3|eodata|webdav|http [flags] < secret",
		Short: "Add a key; its secret is read from standard input or a no-echo prompt",
		Example: `  printf %s "$SECRET_KEY" | geojobs keys add --name results --kind s3 --access-key AKIA… --bucket results --region eu-central-1
  geojobs keys add --name cdse --kind eodata --access-key …          # prompts for the secret key
  geojobs keys add --name drive --kind webdav --endpoint https://drive.example.com/remote.php/dav/files/ana/ --username ana
  geojobs keys add --name zoo --kind http --scheme bearer --prefix https://zoo.example.com/ogc-api/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if k.Kind, err = keystore.ParseKind(kind); err != nil {
				return err
			}
			k.Scheme = keystore.HTTPScheme(scheme)
			st, err := o.open(cmd)
			if err != nil {
				return err
			}
			defer st.Lock()
			_, err = keyscmd.Add(st, k, o.io(cmd))
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&k.Name, "name", "", "key name (letters, digits, . _ -)")
	f.StringVar(&kind, "kind", "", "s3, eodata, webdav or http")
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
	f.StringVar(&k.Prefix, "prefix", "", "HTTP: the endpoint URL prefix the key is for; S3: object prefix in the bucket")
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
			st, err := o.open(cmd)
			if err != nil {
				return err
			}
			defer st.Lock()
			return keyscmd.Remove(st, args[0], cmd.OutOrStdout())
		},
	}
}

func newKeysTestCmd(o *keysOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Try a key against its server (S3: list the bucket, WebDAV: PROPFIND, HTTP: GET the landing page)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := o.open(cmd)
			if err != nil {
				return err
			}
			defer st.Lock()
			return keyscmd.Test(cmd.Context(), st, args[0], cmd.OutOrStdout(), keycheck.Options{})
		},
	}
}
