//go:build ignore

// gen writes the COG fixtures of the map's browser tests with backend/raster:
//
//	cd frontend/mapsrc/test/data && go run gen.go
//
// gradient.tif: 1030×600 Float32 over 10..11°E, 45..45.5°N (two overviews) whose pixel
// (col, row) holds col + 1000·row, so a test knows the value at any place.
// red/green/blue.tif: three Uint8 bands of one 300×200 scene for RGB composites.
package main

import (
	"encoding/binary"
	"log"
	"math"
	"os"

	"github.com/geojobs/geojobs/backend/raster"
)

func write(name string, img raster.Image, src raster.Source) {
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	if err := raster.WriteCOG(f, img, src, nil); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func main() {
	bbox := [4]float64{10, 45, 11, 45.5}
	write("gradient.tif", raster.Image{Width: 1030, Height: 600, BBox: bbox, Type: raster.Float32},
		raster.SourceFunc(func(dst []byte, w raster.Window) error {
			for i := range w.Rows {
				for j := range w.Cols {
					v := float32(w.Col+j*w.Step) + 1000*float32(w.Row+i*w.Step)
					binary.LittleEndian.PutUint32(dst[4*(i*w.Cols+j):], math.Float32bits(v))
				}
			}
			return nil
		}))
	field := raster.Field{BBox: bbox, Width: 1200, Height: 800, Seed: 3}
	write("field.tif", field.Image(), field)
	for k, name := range []string{"red.tif", "green.tif", "blue.tif"} {
		write(name, raster.Image{Width: 300, Height: 200, BBox: bbox, Type: raster.Uint8},
			raster.SourceFunc(func(dst []byte, w raster.Window) error {
				for i := range w.Rows {
					for j := range w.Cols {
						c, r := w.Col+j*w.Step, w.Row+i*w.Step
						dst[i*w.Cols+j] = byte([3]int{c * 255 / 299, r * 255 / 199, 128}[k])
					}
				}
				return nil
			}))
	}
}
