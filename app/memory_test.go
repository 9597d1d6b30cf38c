package app

import (
	"log/slog"
	"runtime"
	"testing"
)

func TestGoMemory(t *testing.T) {
	keep := make([]byte, 16<<20)
	for i := range keep {
		keep[i] = byte(i)
	}
	attrs := map[string]float64{}
	for _, a := range goMemory() {
		at := a.(slog.Attr)
		attrs[at.Key] = at.Value.Float64()
	}
	runtime.KeepAlive(keep)
	heap, rt := attrs["go_heap_objects_mib"], attrs["go_runtime_mib"]
	if heap < 16 || rt < heap {
		t.Fatalf("with 16 MiB kept alive: go_heap_objects_mib %.1f, go_runtime_mib %.1f (want heap ≥ 16, runtime ≥ heap)", heap, rt)
	}
}
