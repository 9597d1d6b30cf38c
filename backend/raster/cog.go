package raster

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/geojobs/geojobs/backend/cog"
	"github.com/klauspost/compress/zlib"
)

// SampleType is the type of the samples of an Image.
type SampleType int

const (
	Float32 SampleType = iota // IEEE float, DEFLATE with the floating-point predictor (3)
	Uint8                     // unsigned byte (masks, classes), DEFLATE with horizontal differencing (2)
)

func (t SampleType) size() int {
	if t == Uint8 {
		return 1
	}
	return 4
}

// Image describes a single-band raster in EPSG:4326 to be written by WriteCOG.
type Image struct {
	Width, Height int
	BBox          [4]float64 // minLon, minLat, maxLon, maxLat; row 0 is the northern edge
	Type          SampleType
	NoData        string // GDAL_NODATA (e.g. "255"); "" for none
}

// Validate reports whether img can be written; the error wraps ErrInvalid.
func (img Image) Validate() error {
	if img.Type != Float32 && img.Type != Uint8 {
		return fmt.Errorf("%w: sample type %d", ErrInvalid, img.Type)
	}
	return Field{BBox: img.BBox, Width: img.Width, Height: img.Height}.Validate()
}

// A Window is a part of an image sampled every Step pixels: the pixels
// (Col+j·Step, Row+i·Step) for 0 ≤ j < Cols and 0 ≤ i < Rows, all inside the image.
// Step is 1 for the full-resolution image and 2, 4, 8 … for its overviews, which are
// decimated (nearest neighbour), as GDAL's default overview resampling does.
type Window struct{ Col, Row, Cols, Rows, Step int }

// A Source gives the pixels of an image.
type Source interface {
	// ReadWindow must write the Cols×Rows samples of win to dst (exactly that long),
	// row after row, little-endian, in the image's sample type. WriteCOG calls it from
	// several goroutines at once, so it must be safe for concurrent use.
	ReadWindow(dst []byte, win Window) error
}

// SourceFunc adapts a function to Source.
type SourceFunc func(dst []byte, win Window) error

func (f SourceFunc) ReadWindow(dst []byte, win Window) error { return f(dst, win) }

// COGOptions tune WriteCOG; the zero value is fine.
type COGOptions struct {
	// Progress, when set, is called after each tile with the tiles done and the total.
	Progress func(done, total int)
	// TempDir holds the compressed tiles once they pass 64 MiB (the file's header, which
	// comes first, needs their sizes); "" is os.TempDir. The file is removed afterwards.
	TempDir string

	bigTIFF    bool // tests: BigTIFF whatever the size
	spoolLimit int  // tests: spool to a file past this many bytes instead of 64 MiB
}

const (
	maxTile       = 512      // tile side for images larger than one tile; overviews go down to it
	spoolInMemory = 64 << 20 // compressed bytes kept in memory before spooling to a file
)

// level is one resolution of the pyramid: the full image (step 1) or an overview.
type level struct {
	step          int
	width, height int
	across, down  int
	sizes         []int64 // compressed tile sizes, row-major
}

func (l *level) tiles() int { return l.across * l.down }

// pyramid returns the levels of img, the full image first, halving until the image
// fits in one tile, with the tile size used by all of them.
func pyramid(img Image) (levels []*level, tileW, tileH int) {
	tileW = min(maxTile, roundUp16(img.Width))
	tileH = min(maxTile, roundUp16(img.Height))
	for step := 1; ; step *= 2 {
		w, h := (img.Width+step-1)/step, (img.Height+step-1)/step
		levels = append(levels, &level{step: step, width: w, height: h,
			across: (w + tileW - 1) / tileW, down: (h + tileH - 1) / tileH})
		if w <= maxTile && h <= maxTile {
			return levels, tileW, tileH
		}
	}
}

func roundUp16(n int) int { return (n + 15) &^ 15 }

// cogLayout is what the file's header says of img and its levels (cog writes it).
func cogLayout(img Image, levels []*level, tileW, tileH int, big bool) cog.Layout {
	minLon, minLat, maxLon, maxLat := img.BBox[0], img.BBox[1], img.BBox[2], img.BBox[3]
	l := cog.Layout{Type: cog.Float32, TileW: tileW, TileH: tileH, Deflate: true, NoData: img.NoData, BigTIFF: big,
		Geo: cog.Geo{EPSG: 4326, X0: minLon, Y0: maxLat,
			DX: (maxLon - minLon) / float64(img.Width), DY: (maxLat - minLat) / float64(img.Height)}}
	if img.Type == Uint8 {
		l.Type = cog.Uint8
	}
	for _, lv := range levels {
		l.Levels = append(l.Levels, cog.LevelLayout{Width: lv.width, Height: lv.height, TileSizes: lv.sizes})
	}
	return l
}

// WriteCOG writes img as a Cloud-Optimized GeoTIFF: 512×512 tiles (smaller for a small
// image), DEFLATE with a predictor, internal overviews halving down to ≤ 512 px, and
// the COG layout GDAL's validate_cloud_optimized_geotiff.py checks — every IFD at the
// start (the full image's at offset 8, or 16 for BigTIFF), then the tile data from the
// smallest overview to the full image. It holds a few tiles in memory whatever the
// size, compresses them on every CPU, and uses BigTIFF only when the file reaches 4 GiB.
func WriteCOG(w io.Writer, img Image, src Source, opt *COGOptions) error {
	if err := img.Validate(); err != nil {
		return err
	}
	if opt == nil {
		opt = &COGOptions{}
	}
	levels, tileW, tileH := pyramid(img)
	sp := &spool{dir: opt.TempDir, limit: spoolInMemory}
	if opt.spoolLimit > 0 {
		sp.limit = opt.spoolLimit
	}
	defer sp.close()
	if err := compressTiles(img, src, levels, tileW, tileH, sp, opt.Progress); err != nil {
		return err
	}
	hdr := cogLayout(img, levels, tileW, tileH, opt.bigTIFF).Header()
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("raster: write geotiff header: %w", err)
	}
	if err := sp.copyTo(w); err != nil {
		return fmt.Errorf("raster: write geotiff tiles: %w", err)
	}
	return nil
}

// compressTiles compresses every tile, smallest overview first, into sp in file order,
// recording the sizes in the levels. Workers (one per CPU) compress tiles as they come;
// the tiles are spooled in order, at most a few per worker ahead of the spool.
func compressTiles(img Image, src Source, levels []*level, tileW, tileH int, sp *spool, progress func(int, int)) error {
	type slot struct {
		l      *level
		tx, ty int
		b      []byte
		err    error
		done   chan struct{}
	}
	total := 0
	for _, l := range levels {
		total += l.tiles()
		l.sizes = make([]int64, 0, l.tiles())
	}
	workers := runtime.GOMAXPROCS(0)
	ordered := make(chan *slot, 4*workers) // in file order; its capacity bounds the tiles in memory
	work := make(chan *slot)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		buf := newTileBuf(img.Type, tileW, tileH)
		wg.Go(func() {
			for t := range work {
				t.b, t.err = buf.encode(img, src, t.l, t.tx, t.ty)
				close(t.done)
			}
		})
	}
	go func() {
		defer close(ordered)
		defer close(work)
		for li := len(levels) - 1; li >= 0; li-- {
			l := levels[li]
			for ty := range l.down {
				for tx := range l.across {
					t := &slot{l: l, tx: tx, ty: ty, done: make(chan struct{})}
					select {
					case ordered <- t:
					case <-stop:
						return
					}
					select {
					case work <- t:
					case <-stop:
						close(t.done)
						return
					}
				}
			}
		}
	}()
	finish := func(err error) error {
		close(stop)
		for t := range ordered { // let the producer and the workers end
			<-t.done
		}
		wg.Wait()
		return err
	}
	done := 0
	for t := range ordered {
		<-t.done
		if t.err != nil {
			return finish(t.err)
		}
		if err := sp.write(t.b); err != nil {
			return finish(fmt.Errorf("raster: spool tiles: %w", err))
		}
		t.l.sizes = append(t.l.sizes, int64(len(t.b)))
		done++
		if progress != nil {
			progress(done, total)
		}
	}
	wg.Wait()
	return nil
}

// tileBuf is one worker's scratch space.
type tileBuf struct {
	tile, window, row []byte
	zw                *zlib.Writer
	last              int // the previous tile's compressed size, to size the next buffer
}

func newTileBuf(t SampleType, tileW, tileH int) *tileBuf {
	b := &tileBuf{tile: make([]byte, tileW*tileH*t.size()), row: make([]byte, tileW*t.size())}
	b.zw, _ = zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	return b
}

// encode reads tile (tx, ty) of level l, applies the predictor and compresses it into
// a new slice, which the caller owns.
func (b *tileBuf) encode(img Image, src Source, l *level, tx, ty int) ([]byte, error) {
	ss := img.Type.size()
	tileW := len(b.row) / ss
	tileH := len(b.tile) / len(b.row)
	c0, r0 := tx*tileW, ty*tileH
	nc, nr := min(tileW, l.width-c0), min(tileH, l.height-r0)
	win := Window{Col: c0 * l.step, Row: r0 * l.step, Cols: nc, Rows: nr, Step: l.step}
	if nc == tileW && nr == tileH {
		if err := src.ReadWindow(b.tile, win); err != nil {
			return nil, err
		}
	} else { // an edge tile: the part outside the image is zero
		b.window = append(b.window[:0], make([]byte, nc*nr*ss)...)
		if err := src.ReadWindow(b.window, win); err != nil {
			return nil, err
		}
		clear(b.tile)
		for i := range nr {
			copy(b.tile[i*tileW*ss:], b.window[i*nc*ss:(i+1)*nc*ss])
		}
	}
	for i := range tileH {
		line := b.tile[i*tileW*ss : (i+1)*tileW*ss]
		if img.Type == Float32 {
			floatPredict(line, b.row)
		} else {
			for k := len(line) - 1; k > 0; k-- {
				line[k] -= line[k-1]
			}
		}
	}
	out := bytes.NewBuffer(make([]byte, 0, b.last+b.last/8+4096))
	b.zw.Reset(out)
	if _, err := b.zw.Write(b.tile); err != nil {
		return nil, err
	}
	if err := b.zw.Close(); err != nil {
		return nil, err
	}
	b.last = out.Len()
	return out.Bytes(), nil
}

// floatPredict applies the TIFF floating-point predictor (Adobe Technical Note 3) to one
// row of little-endian float32 samples, in place: the bytes are regrouped into planes,
// most significant byte first, then each byte becomes its difference to the previous.
func floatPredict(line, tmp []byte) {
	n := len(line) / 4
	for i := range n {
		tmp[i] = line[4*i+3]
		tmp[n+i] = line[4*i+2]
		tmp[2*n+i] = line[4*i+1]
		tmp[3*n+i] = line[4*i]
	}
	line[0] = tmp[0]
	for k := 1; k < len(line); k++ {
		line[k] = tmp[k] - tmp[k-1]
	}
}

// spool keeps the compressed tiles in memory, then in a temporary file once they grow.
type spool struct {
	dir   string
	limit int
	mem   [][]byte // the tiles, each its own slice: no copying as the list grows
	size  int
	file  *os.File
	bw    *bufio.Writer
}

func (s *spool) write(p []byte) error {
	if s.file == nil && s.size+len(p) <= s.limit {
		s.mem = append(s.mem, p) // p is the spool's: encode made it for this tile
		s.size += len(p)
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "geojobs-cog-*.tiles")
		if err != nil {
			return err
		}
		s.file, s.bw = f, bufio.NewWriterSize(f, 1<<20)
		for _, b := range s.mem {
			if _, err := s.bw.Write(b); err != nil {
				return err
			}
		}
		s.mem = nil
	}
	_, err := s.bw.Write(p)
	return err
}

func (s *spool) copyTo(w io.Writer) error {
	if s.file == nil {
		bw := bufio.NewWriterSize(w, 1<<20)
		for _, b := range s.mem {
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	if err := s.bw.Flush(); err != nil {
		return err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.CopyBuffer(w, s.file, make([]byte, 1<<20))
	return err
}

func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
	}
}
