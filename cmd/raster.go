package cmd

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/geojobs/geojobs/backend/cog"
	"github.com/geojobs/geojobs/backend/waterbodies"
)

func init() { extraCommands = append(extraCommands, newRasterCmd) }

// newRasterCmd is `geojobs raster`: the steps of the water-bodies application as
// subcommands, with the argument names of the EOAP tools, so cwl/water-bodies.cwl can
// call them.
func newRasterCmd(_ *rootOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "raster",
		Short: "Raster steps of the water-bodies application (crop, ndwi, otsu, stac, water-bodies)",
		Long: "The steps of the EOAP water-bodies application, on COGs read by HTTP range requests for the\n" +
			"area of interest only. Each writes DEFLATE-compressed Cloud-Optimized GeoTIFFs.",
	}
	c.AddCommand(newRasterCropCmd(), newRasterNDWICmd(), newRasterOtsuCmd(), newRasterSTACCmd(), newRasterWaterBodiesCmd(), newRasterIoUCmd())
	return c
}

func writeImage(path string, img *cog.Image, typ cog.DataType) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := waterbodies.WriteCOG(f, img, typ); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func newRasterCropCmd() *cobra.Command {
	var item, aoi, epsg, band, out string
	var maxSide int
	c := &cobra.Command{
		Use:   "crop --input-item URL --aoi minx,miny,maxx,maxy --band NAME",
		Short: "Crop one band of a STAC item to an area of interest (Float32 COG)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext()
			defer stop()
			bb, err := waterbodies.ParseAOI(aoi)
			if err != nil {
				return err
			}
			code, err := waterbodies.ParseEPSG(epsg)
			if err != nil {
				return err
			}
			r := &waterbodies.Reader{MaxSide: maxSide}
			it, err := r.FetchItem(ctx, item)
			if err != nil {
				return err
			}
			img, err := r.Crop(ctx, it, band, bb, code)
			if err != nil {
				return err
			}
			if out == "" {
				out = "crop_" + band + ".tif"
			}
			if err := writeImage(out, img, cog.Float32); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d×%d pixels; read %d bytes in %d requests\n", out, img.Width, img.Height, r.Meter.BytesRead.Load(), r.Meter.Requests.Load())
			return nil
		},
	}
	c.Flags().StringVar(&item, "input-item", "", "STAC item URL or file (required)")
	c.Flags().StringVar(&aoi, "aoi", "", "area of interest minx,miny,maxx,maxy (required)")
	c.Flags().StringVar(&epsg, "epsg", "EPSG:4326", "CRS of the area of interest")
	c.Flags().StringVar(&band, "band", "", "asset key or band common name, e.g. green or nir (required)")
	c.Flags().StringVarP(&out, "output", "o", "", "output file (default crop_<band>.tif)")
	c.Flags().IntVar(&maxSide, "max-side", waterbodies.DefaultMaxSide, "largest side in pixels; a larger AOI is read from an overview")
	for _, f := range []string{"input-item", "aoi", "band"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

// twoRasters is the RunE of a command over two rasters on the same grid (files or
// URLs, the two arguments): it reads both and hands them to run.
func twoRasters(run func(cmd *cobra.Command, a, b *cog.Image) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx, stop := signalContext()
		defer stop()
		a, err := waterbodies.ReadFile(ctx, args[0])
		if err != nil {
			return err
		}
		b, err := waterbodies.ReadFile(ctx, args[1])
		if err != nil {
			return err
		}
		return run(cmd, a, b)
	}
}

func newRasterNDWICmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:     "ndwi GREEN.tif NIR.tif",
		Aliases: []string{"norm-diff"},
		Short:   "Normalized difference (A − B) / (A + B) of two rasters on the same grid (Float32 COG)",
		Args:    cobra.ExactArgs(2),
		RunE: twoRasters(func(_ *cobra.Command, a, b *cog.Image) error {
			nd, err := waterbodies.NDWI(a, b)
			if err != nil {
				return err
			}
			return writeImage(out, nd, cog.Float32)
		}),
	}
	c.Flags().StringVarP(&out, "output", "o", "norm_diff.tif", "output file")
	return c
}

func newRasterOtsuCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "otsu RASTER.tif",
		Short: "Threshold a raster with Otsu's method: 1 above, 0 below, 255 no data (UInt8 COG)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext()
			defer stop()
			img, err := waterbodies.ReadFile(ctx, args[0])
			if err != nil {
				return err
			}
			th, err := waterbodies.Otsu(img)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Otsu threshold %g\n", th)
			return writeImage(out, waterbodies.Mask(img, th), cog.Uint8)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "otsu.tif", "output file")
	return c
}

func newRasterSTACCmd() *cobra.Command {
	var items, masks []string
	var out string
	c := &cobra.Command{
		Use:   "stac --input-item URL --water-body FILE [--input-item URL --water-body FILE]...",
		Short: "Write a STAC catalog of water masks, the n-th mask for the n-th item",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext()
			defer stop()
			if len(items) != len(masks) {
				return fmt.Errorf("%d items and %d water bodies: give one mask per item", len(items), len(masks))
			}
			r := &waterbodies.Reader{}
			var res []waterbodies.Result
			for i, loc := range items {
				it, err := r.FetchItem(ctx, loc)
				if err != nil {
					return err
				}
				m, err := waterbodies.ReadFile(ctx, masks[i])
				if err != nil {
					return err
				}
				// NaN marks what ReadFile read as NoData: write it back as the mask's NoData.
				res = append(res, waterbodies.Result{Item: it, Mask: m, Threshold: float32(math.NaN())})
			}
			return waterbodies.WriteCatalog(out, res)
		},
	}
	c.Flags().StringArrayVar(&items, "input-item", nil, "STAC item URL (repeat)")
	c.Flags().StringArrayVar(&masks, "water-body", nil, "water mask GeoTIFF of the item at the same position (repeat)")
	c.Flags().StringVarP(&out, "output", "o", ".", "folder of the catalog")
	return c
}

func newRasterWaterBodiesCmd() *cobra.Command {
	var in waterbodies.Inputs
	var out string
	var truth bool
	var maxSide int
	c := &cobra.Command{
		Use:   "water-bodies --aoi minx,miny,maxx,maxy --stac-item URL [--stac-item URL]...",
		Short: "The whole water-bodies application: crop, NDWI, Otsu and a STAC catalog of the masks",
		Long: "Detects water bodies in each STAC item: crops the green and near-infrared bands to the AOI (reading\n" +
			"only that window of the COGs), computes the NDWI, thresholds it with Otsu's method and writes the\n" +
			"masks as COGs with a STAC catalog (catalog.json) in the output folder. With --truth, items that have\n" +
			"a truth asset (the built-in STAC API's synthetic-s2) are compared with it (intersection over union).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext()
			defer stop()
			r := &waterbodies.Reader{MaxSide: maxSide}
			start := time.Now()
			res, err := r.Detect(ctx, in, func(done, total int, msg string) {
				fmt.Fprintf(cmd.ErrOrStderr(), "[%d/%d] %s\n", done+1, total, msg)
			})
			if err != nil {
				return err
			}
			elapsed := time.Since(start)
			if err := waterbodies.WriteCatalog(out, res); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "catalog: %s\n", filepath.Join(out, "catalog.json"))
			fmt.Fprintf(w, "time: %v; read %d bytes in %d requests\n", elapsed.Round(time.Millisecond), r.Meter.BytesRead.Load(), r.Meter.Requests.Load())
			for _, x := range res {
				fmt.Fprintf(w, "%s: %d×%d pixels, threshold %.3f", x.Item.ID, x.Mask.Width, x.Mask.Height, x.Threshold)
				if truth {
					iou, err := truthIoU(ctx, x)
					if err != nil {
						return err
					}
					fmt.Fprintf(w, ", IoU with truth %.4f", iou)
				}
				fmt.Fprintln(w)
			}
			return nil
		},
	}
	c.Flags().StringVar(&in.AOI, "aoi", "", "area of interest minx,miny,maxx,maxy (required)")
	c.Flags().StringVar(&in.EPSG, "epsg", "EPSG:4326", "CRS of the area of interest")
	c.Flags().StringSliceVar(&in.Bands, "bands", []string{"green", "nir"}, "green and near-infrared bands")
	c.Flags().StringArrayVar(&in.Items, "stac-item", nil, "STAC item URL (repeat; required)")
	c.Flags().StringVarP(&out, "output", "o", ".", "folder of the catalog")
	c.Flags().BoolVar(&truth, "truth", false, "compare each mask with the item's truth asset")
	c.Flags().IntVar(&maxSide, "max-side", waterbodies.DefaultMaxSide, "largest side in pixels; a larger AOI is read from an overview")
	_ = c.MarkFlagRequired("aoi")
	_ = c.MarkFlagRequired("stac-item")
	return c
}

func truthIoU(ctx context.Context, x waterbodies.Result) (float64, error) {
	r := &waterbodies.Reader{MaxSide: max(x.Mask.Width, x.Mask.Height)}
	t, err := r.Crop(ctx, x.Item, "truth", x.AOI, x.AOIEPSG)
	if err != nil {
		return 0, err
	}
	return waterbodies.IoU(x.Mask, t)
}

func newRasterIoUCmd() *cobra.Command {
	var minIoU float64
	c := &cobra.Command{
		Use:   "iou MASK.tif TRUTH.tif",
		Short: "Intersection over union of the water (value 1) of two masks on the same grid",
		Args:  cobra.ExactArgs(2),
		RunE: twoRasters(func(cmd *cobra.Command, a, b *cog.Image) error {
			iou, err := waterbodies.IoU(a, b)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "IoU %.4f\n", iou)
			if iou < minIoU {
				return &exitError{code: 1, err: fmt.Errorf("IoU %.4f is below %g", iou, minIoU)}
			}
			return nil
		}),
	}
	c.Flags().Float64Var(&minIoU, "min", 0, "fail (exit status 1) when the IoU is below this")
	return c
}
