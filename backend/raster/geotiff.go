package raster

import "io"

// Image is the single-band Float32 image of f.
func (f Field) Image() Image {
	return Image{Width: f.Width, Height: f.Height, BBox: f.BBox, Type: Float32}
}

// RawSize is the size of f's pixels uncompressed, 4 bytes each: an upper bound of the
// GeoTIFF's size in practice (the field compresses), used to refuse scenes too large
// for where they would be written.
func (f Field) RawSize() int64 { return int64(f.Width) * int64(f.Height) * 4 }

// WriteGeoTIFF streams f to w as a Cloud-Optimized GeoTIFF in EPSG:4326 (see WriteCOG).
func (f Field) WriteGeoTIFF(w io.Writer) error { return f.WriteCOG(w, nil) }

// WriteCOG is WriteGeoTIFF with options (progress, temporary folder).
func (f Field) WriteCOG(w io.Writer, opt *COGOptions) error {
	if err := f.Validate(); err != nil {
		return err
	}
	return WriteCOG(w, f.Image(), f, opt)
}

// ReadWindow implements Source: the values of the window, exactly as Value gives them.
func (f Field) ReadWindow(dst []byte, win Window) error {
	p := newParams(f.Seed)
	cols := make([]colTerm, win.Cols)
	for j := range cols {
		cols[j] = p.col(win.Col+j*win.Step, f.Width)
	}
	for i := range win.Rows {
		r := win.Row + i*win.Step
		rt := p.row(r, f.Height)
		fillRow(dst[i*win.Cols*4:], cols, &rt, win.Col, win.Step, r, p.noiseSeed)
	}
	return nil
}

var _ Source = Field{}
