package raster

import (
	"encoding/binary"
	"math"
	"sync"
)

// Stats gathers the statistics of Float32 samples (little-endian, as a Source writes
// them) for STAC's raster:bands statistics: what the file holds, not a nominal range.
// Add may be called from several goroutines at once (WriteCOG reads tiles so).
type Stats struct {
	mu         sync.Mutex
	n          int64
	min, max   float32
	sum, sumSq float64
}

// AddFloat32 adds the samples in b.
func (s *Stats) AddFloat32(b []byte) {
	if len(b) < 4 {
		return
	}
	n := int64(len(b) / 4)
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	var sum, sumSq float64
	for i := 0; i+4 <= len(b); i += 4 {
		v := math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
		lo, hi = min(lo, v), max(hi, v)
		sum += float64(v)
		sumSq += float64(v) * float64(v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		s.min, s.max = lo, hi
	} else {
		s.min, s.max = min(s.min, lo), max(s.max, hi)
	}
	s.n += n
	s.sum += sum
	s.sumSq += sumSq
}

// STAC returns the statistics object of a raster band: minimum, maximum, mean,
// stddev and valid_percent (every sample is valid: the field has no nodata); nil when
// nothing was added.
func (s *Stats) STAC() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return nil
	}
	mean := s.sum / float64(s.n)
	variance := max(s.sumSq/float64(s.n)-mean*mean, 0)
	return map[string]any{"minimum": float64(s.min), "maximum": float64(s.max), "mean": mean,
		"stddev": math.Sqrt(variance), "valid_percent": 100}
}
