// Package cog reads and writes Cloud-Optimized GeoTIFFs of one band.
//
// The reader (Open, File.Read) fetches only what a window needs: the header and IFDs
// in one first request, then the tiles under the window at the chosen overview level,
// with adjacent tiles merged into one range request and decoded tiles kept in a
// cache — the access GDAL gives with its /vsicurl/ settings. It reads classic TIFF and
// BigTIFF in either byte order, tiled or stripped, uncompressed or DEFLATE with
// horizontal or floating-point predictors, in UInt8, Int8, UInt16, Int16, UInt32,
// Int32, Float32 and Float64 samples. It does not read LZW, JPEG or ZSTD, nor
// images of several bands (it reads the first sample of a chunky image).
//
// The writer (Spec, NewVirtual) lays out a COG whose tiles are computed on demand
// from a function: the file can be served by range without ever existing whole
// (the built-in STAC API's synthetic scenes), or written out (io.Copy of Reader).
// Layout.Header writes the header of both writers: NewVirtual's and raster.WriteCOG's,
// which streams tiles it compresses on every CPU.
package cog

import "encoding/binary"

// TIFF tags this package reads or writes.
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagPlanarConfig    = 284
	tagPredictor       = 317
	tagTileWidth       = 322
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
	tagSampleFormat    = 339
	tagModelPixelScale = 33550
	tagModelTiepoint   = 33922
	tagModelTransform  = 34264
	tagGeoKeyDirectory = 34735
	tagGDALNoData      = 42113
)

// TIFF field types.
const (
	typeByte     = 1
	typeASCII    = 2
	typeShort    = 3
	typeLong     = 4
	typeRational = 5
	typeSByte    = 6
	typeUndef    = 7
	typeSShort   = 8
	typeSLong    = 9
	typeSRat     = 10
	typeFloat    = 11
	typeDouble   = 12
	typeIFD      = 13
	typeLong8    = 16
	typeSLong8   = 17
	typeIFD8     = 18
)

func typeSize(t uint16) int {
	switch t {
	case typeByte, typeASCII, typeSByte, typeUndef:
		return 1
	case typeShort, typeSShort:
		return 2
	case typeLong, typeSLong, typeFloat, typeIFD:
		return 4
	case typeRational, typeSRat, typeDouble, typeLong8, typeSLong8, typeIFD8:
		return 8
	}
	return 0
}

// Compression and predictor codes.
const (
	compressionNone         = 1
	compressionDeflate      = 8
	compressionAdobeDeflate = 32946
	predictorNone           = 1
	predictorHorizontal     = 2
	predictorFloat          = 3
)

// DataType is the type of a sample.
type DataType int

// The sample types.
const (
	Uint8 DataType = iota + 1
	Int8
	Uint16
	Int16
	Uint32
	Int32
	Float32
	Float64
)

// Size is the size of one sample in bytes.
func (d DataType) Size() int {
	switch d {
	case Uint8, Int8:
		return 1
	case Uint16, Int16:
		return 2
	case Uint32, Int32, Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

func (d DataType) String() string {
	return map[DataType]string{Uint8: "uint8", Int8: "int8", Uint16: "uint16", Int16: "int16",
		Uint32: "uint32", Int32: "int32", Float32: "float32", Float64: "float64"}[d]
}

// tiffFormat is the TIFF sample format and bit depth of d.
func (d DataType) tiffFormat() (sampleFormat, bits uint16) {
	switch d {
	case Uint8, Uint16, Uint32:
		sampleFormat = 1
	case Int8, Int16, Int32:
		sampleFormat = 2
	default:
		sampleFormat = 3
	}
	return sampleFormat, uint16(d.Size() * 8)
}

func dataTypeOf(sampleFormat, bits uint16) DataType {
	switch {
	case sampleFormat == 3 && bits == 32:
		return Float32
	case sampleFormat == 3 && bits == 64:
		return Float64
	case sampleFormat == 2 && bits == 8:
		return Int8
	case sampleFormat == 2 && bits == 16:
		return Int16
	case sampleFormat == 2 && bits == 32:
		return Int32
	case sampleFormat == 1 && bits == 8:
		return Uint8
	case sampleFormat == 1 && bits == 16:
		return Uint16
	case sampleFormat == 1 && bits == 32:
		return Uint32
	}
	return 0
}

var le = binary.LittleEndian
