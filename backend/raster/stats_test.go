package raster

import (
	"encoding/binary"
	"math"
	"sync"
	"testing"
)

// Samples added from several goroutines in pieces give the statistics of them all.
func TestStats(t *testing.T) {
	var s Stats
	if s.STAC() != nil {
		t.Error("statistics of nothing")
	}
	vals := []float32{-0.5, 1, 2, 3.5, -2, 0}
	var wg sync.WaitGroup
	for i := 0; i < len(vals); i += 2 {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, math.Float32bits(vals[i]))
		binary.LittleEndian.PutUint32(b[4:], math.Float32bits(vals[i+1]))
		wg.Go(func() { s.AddFloat32(b) })
	}
	wg.Wait()
	got := s.STAC()
	mean := 4.0 / 6
	var ss float64
	for _, v := range vals {
		ss += (float64(v) - mean) * (float64(v) - mean)
	}
	if got["minimum"] != -2.0 || got["maximum"] != 3.5 || math.Abs(got["mean"].(float64)-mean) > 1e-12 ||
		math.Abs(got["stddev"].(float64)-math.Sqrt(ss/6)) > 1e-12 || got["valid_percent"] != 100 {
		t.Errorf("statistics %v", got)
	}
}
