package app

import (
	"log/slog"
	"runtime/metrics"
)

// goMemory is the Go runtime's share of the process memory, for the debug log when the
// window's page has loaded (bench/desktop/memory.sh prints it beside the process
// figures, which also count GTK, WebKit and the GL driver): the live heap objects, and
// all the memory the runtime holds from the OS (heap, stacks, its own metadata) less
// what it has returned.
func goMemory() []any {
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(s)
	mib := func(v uint64) float64 { return float64(v*10>>20) / 10 }
	return []any{
		slog.Float64("go_heap_objects_mib", mib(s[0].Value.Uint64())),
		slog.Float64("go_runtime_mib", mib(s[1].Value.Uint64()-s[2].Value.Uint64())),
	}
}
