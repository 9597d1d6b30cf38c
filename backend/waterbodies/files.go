package waterbodies

import (
	"context"
	"encoding/binary"
	"strconv"

	"fmt"
	"github.com/geojobs/geojobs/backend/raster"
	"io"
	"math"

	"github.com/geojobs/geojobs/backend/cog"
)

// WriteCOG writes img as a DEFLATE-compressed COG with overviews: Float32 with NaN as
// NoData, or, for masks, UInt8 with MaskNoData. Overview pixels are the nearest pixel
// of the image (a mask stays a mask). Images in EPSG:4326 are written by
// raster.WriteCOG, the application's COG writer; others (UTM scenes) by cog.NewVirtual,
// which writes any CRS.
func WriteCOG(w io.Writer, img *cog.Image, typ cog.DataType) error {
	if img.Geo.EPSG == 4326 && (typ == cog.Float32 || typ == cog.Uint8) {
		return writeRasterCOG(w, img, typ)
	}
	nd := math.NaN()
	if typ == cog.Uint8 {
		nd = MaskNoData
	}
	spec := cog.Spec{
		Width: img.Width, Height: img.Height, Type: typ, Geo: img.Geo, NoData: &nd, Deflate: true,
		TileSize: 512,
		Pixels: func(level, c0, r0, w, h int, dst []float64) {
			half := (1 << level) / 2
			for r := range h {
				sr := min((r0+r)<<level+half, img.Height-1)
				for c := range w {
					sc := min((c0+c)<<level+half, img.Width-1)
					v := float64(img.Data[sr*img.Width+sc])
					if math.IsNaN(v) {
						v = nd
					}
					dst[r*w+c] = v
				}
			}
		},
	}
	v, err := cog.NewVirtual(spec)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, v.Reader())
	return err
}

// ReadFile reads the whole full-resolution image of a GeoTIFF file or URL.
func ReadFile(ctx context.Context, loc string) (*cog.Image, error) {
	src, closeSrc, err := cog.SourceFor(loc, nil)
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	f, err := cog.Open(ctx, src, nil)
	if err != nil {
		return nil, err
	}
	l := f.Levels[0]
	img, err := f.Read(ctx, 0, 0, 0, l.Width, l.Height)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	return img, nil
}

func writeRasterCOG(w io.Writer, img *cog.Image, typ cog.DataType) error {
	ri := raster.Image{Width: img.Width, Height: img.Height, BBox: img.Geo.Bounds(img.Width, img.Height), Type: raster.Float32, NoData: "nan"}
	if typ == cog.Uint8 {
		ri.Type, ri.NoData = raster.Uint8, strconv.Itoa(MaskNoData)
	}
	src := raster.SourceFunc(func(dst []byte, win raster.Window) error {
		k := 0
		for i := range win.Rows {
			row := (win.Row + i*win.Step) * img.Width
			for j := range win.Cols {
				v := img.Data[row+win.Col+j*win.Step]
				if typ == cog.Uint8 {
					if math.IsNaN(float64(v)) {
						v = MaskNoData
					}
					dst[k] = uint8(v)
					k++
					continue
				}
				binary.LittleEndian.PutUint32(dst[k:], math.Float32bits(v))
				k += 4
			}
		}
		return nil
	})
	return raster.WriteCOG(w, ri, src, nil)
}
