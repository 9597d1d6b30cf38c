package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/geojobs/geojobs/backend/atomicfile"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/runner"
	"github.com/geojobs/geojobs/backend/stacsearch"
	"github.com/geojobs/geojobs/backend/stacsearch/stackeys"
)

func init() { extraCommands = append(extraCommands, newSearchCmd) }

type searchFlags struct {
	api, catalog, bbox, intersects, datetime, filter, key, output string
	collections                                                   []string
	maxItems                                                      int
	quiet                                                         bool
}

const searchLong = `Search a STAC API (--api, its landing page) or a static catalog (--catalog, a
catalog.json or collection.json at an http(s) or s3:// URL) and write the matching items
as one STAC ItemCollection.

Pages are followed through the server's next links until there are none, a page is
empty, or --max-items items were found. --filter (CQL2-JSON) is sent only to APIs whose
conformsTo declares filters: others would ignore it and return everything.

Credentials come from the keystore (geojobs keys): --key NAME, or else the key whose URL
prefix matches each request (HTTP keys as headers, S3 keys to presign s3:// URLs).

Exit status:
  0    the ItemCollection was written (it may be empty)
  2    usage: bad flags, or a search the server does not support
  3    the server erred, was unreachable or refused access
  5    the ItemCollection could not be written`

func newSearchCmd(opts *rootOptions) *cobra.Command {
	f := &searchFlags{}
	c := &cobra.Command{
		Use:   "search (--api URL | --catalog URL) [--collection ID]... [--bbox minx,miny,maxx,maxy] [--intersects FILE] [--datetime RANGE] [--filter CQL2-JSON] [--max-items N] [--key NAME] -o FILE",
		Short: "Search a STAC API or static catalog and write the items as one ItemCollection",
		Long:  searchLong,
		Example: `  geojobs search --api https://earth-search.aws.element84.com/v1 --collection sentinel-2-l2a \
      --bbox 5.9,45.8,10.5,47.8 --datetime 2024-06-01/2024-06-30 --max-items 50 -o items.json
  geojobs search --api https://planetarycomputer.microsoft.com/api/stac/v1 --collection landsat-c2-l2 \
      --filter '{"op":"<=","args":[{"property":"eo:cloud_cover"},10]}' -o clear.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSearch(cmd, opts, f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.api, "api", "", "the STAC API's landing page URL")
	fl.StringVar(&f.catalog, "catalog", "", "a static catalog's URL (catalog.json or collection.json; http(s) or s3://)")
	fl.StringArrayVar(&f.collections, "collection", nil, "a collection to search (repeatable)")
	fl.StringVar(&f.bbox, "bbox", "", "minx,miny,maxx,maxy in degrees (WGS 84)")
	fl.StringVar(&f.intersects, "intersects", "", "a GeoJSON file: a geometry, or a Feature or FeatureCollection of one feature")
	fl.StringVar(&f.datetime, "datetime", "", `a date-time or range, RFC 3339: "2024-06-01/2024-06-30", "2024-06-01T00:00:00Z/..", "2024-06-15"`)
	fl.StringVar(&f.filter, "filter", "", "a CQL2-JSON filter expression (JSON text, or @FILE)")
	fl.IntVar(&f.maxItems, "max-items", 0, "stop after this many items (0: all)")
	fl.StringVar(&f.key, "key", "", "the keystore key to authenticate with (default: the key matching each URL)")
	fl.StringVarP(&f.output, "output", "o", "", `the ItemCollection file to write ("-": stdout)`)
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print no progress lines, only errors")
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: runner.ExitUsage, err: err}
	})
	return c
}

func runSearch(cmd *cobra.Command, opts *rootOptions, f *searchFlags) error {
	usage := func(format string, args ...any) error {
		return &exitError{code: runner.ExitUsage, err: fmt.Errorf(format, args...)}
	}
	if (f.api == "") == (f.catalog == "") {
		return usage("give one of --api and --catalog")
	}
	if f.output == "" {
		return usage("--output is required")
	}
	if f.maxItems < 0 {
		return usage("--max-items must not be negative")
	}
	p, err := f.params()
	if err != nil {
		return &exitError{code: runner.ExitUsage, err: err}
	}
	stderr := cmd.ErrOrStderr()
	var st *keystore.Store
	if opts.DataDir != "" {
		st = downloadKeys(opts, stderr)
		if st != nil {
			defer st.Lock()
		}
	}
	client := &stacsearch.Client{UserAgent: "geojobs/" + Version}
	if err := stackeys.Authorize(client, st, f.key, nil); err != nil {
		return usage("--key %q: %v", f.key, err)
	}
	ctx, stop := signalContext()
	defer stop()
	var src stacsearch.Source
	if f.api != "" {
		a, err := client.OpenAPI(ctx, f.api)
		if err != nil {
			return searchError(err)
		}
		src = a
	} else {
		c, err := client.OpenCatalog(f.catalog)
		if err != nil {
			return searchError(err)
		}
		src = c
	}
	pages, total := 0, 0
	ic, err := stacsearch.Search(ctx, src, p, f.maxItems, func(pg *stacsearch.Page) {
		pages++
		total += len(pg.Items)
		if f.quiet {
			return
		}
		line := fmt.Sprintf("page %d: %d items (%d so far)", pages, len(pg.Items), total)
		if pg.Dropped > 0 {
			line += fmt.Sprintf("; %d left out that the server should have filtered", pg.Dropped)
		}
		if len(pg.Restored) > 0 {
			line += "; the next page asks for " + strings.Join(pg.Restored, ", ") + " again, which the server's next link dropped"
		}
		fmt.Fprintln(stderr, line)
	})
	if err != nil {
		return searchError(err)
	}
	b, err := json.MarshalIndent(ic, "", " ")
	if err != nil {
		return &exitError{code: runner.ExitOutput, err: err}
	}
	b = append(b, '\n')
	if f.output == "-" {
		_, err = raw(cmd.OutOrStdout()).Write(b) // a document, not a message
	} else {
		err = atomicfile.WriteOS(f.output, b, 0o644)
	}
	if err != nil {
		return &exitError{code: runner.ExitOutput, err: fmt.Errorf("write %s: %w", f.output, err)}
	}
	if !f.quiet && f.output != "-" {
		fmt.Fprintf(stderr, "%s written: %s\n", f.output, itemCount(len(ic.Features)))
	}
	return nil
}

func itemCount(n int) string {
	if n == 1 {
		return "1 item"
	}
	return strconv.Itoa(n) + " items"
}

// searchError gives a search failure its exit status: the search itself (unsupported,
// invalid) is usage; everything else is the server's.
func searchError(err error) error {
	switch {
	case errors.Is(err, stacsearch.ErrUnsupported), errors.Is(err, stacsearch.ErrInvalid):
		return &exitError{code: runner.ExitUsage, err: err}
	}
	return &exitError{code: runner.ExitServer, err: err}
}

func (f *searchFlags) params() (stacsearch.Params, error) {
	p := stacsearch.Params{Collections: f.collections, Datetime: f.datetime}
	if f.bbox != "" {
		parts := strings.Split(f.bbox, ",")
		if len(parts) != 4 {
			return p, fmt.Errorf("--bbox needs minx,miny,maxx,maxy")
		}
		for _, s := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return p, fmt.Errorf("--bbox: %q is not a number", s)
			}
			p.BBox = append(p.BBox, v)
		}
	}
	if f.intersects != "" {
		b, err := os.ReadFile(f.intersects)
		if err != nil {
			return p, fmt.Errorf("--intersects: %w", err)
		}
		g, err := geometryOf(b)
		if err != nil {
			return p, fmt.Errorf("--intersects %s: %w", f.intersects, err)
		}
		p.Intersects = g
	}
	if f.filter != "" {
		text := []byte(f.filter)
		if name, ok := strings.CutPrefix(f.filter, "@"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return p, fmt.Errorf("--filter: %w", err)
			}
			text = b
		}
		if !json.Valid(text) {
			return p, fmt.Errorf("--filter is not JSON (CQL2-JSON is wanted, not CQL2 text)")
		}
		p.Filter = text
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

// geometryOf takes the geometry out of a GeoJSON geometry, Feature or FeatureCollection
// of one feature.
func geometryOf(b []byte) (json.RawMessage, error) {
	var doc struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
		Features []struct {
			Geometry json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not GeoJSON: %v", err)
	}
	switch doc.Type {
	case "Feature":
		return doc.Geometry, nil
	case "FeatureCollection":
		if len(doc.Features) != 1 {
			return nil, fmt.Errorf("a FeatureCollection of %d features; give one geometry", len(doc.Features))
		}
		return doc.Features[0].Geometry, nil
	case "":
		return nil, fmt.Errorf("not GeoJSON (no type)")
	}
	return b, nil
}
