// Command gj downloads one URL with backend/transfer, for the benchmark (run.sh),
// until the CLI has `geojobs download`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"time"

	"github.com/geojobs/geojobs/backend/transfer"
)

func main() {
	u := flag.String("url", "", "URL to download")
	dest := flag.String("dest", ".", "destination folder")
	name := flag.String("name", "", "file name inside dest")
	sum := flag.String("checksum", "", "expected multihash (hex), verified when set")
	conns := flag.Int("conns", 0, "connections per file (0: default)")
	buf := flag.Int("buf", 0, "copy buffer bytes (0: default)")
	piece := flag.Int64("piece", 0, "range length in bytes (0: automatic)")
	progress := flag.Bool("progress", false, "print progress to stderr")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gj:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := transfer.Options{Connections: *conns, MaxPerHost: max(*conns, 16), BufferSize: *buf, PieceSize: *piece}
	if *progress {
		opts.OnProgress = func(u transfer.Update) {
			fmt.Fprintf(os.Stderr, "\r%6.1f%% %7.1f MB/s ETA %v   ", 100*float64(u.Total.Done)/float64(max(u.Total.Size, 1)),
				u.Total.Speed/1e6, u.Total.ETA.Round(time.Second))
		}
	}
	start := time.Now()
	res, err := transfer.Download(ctx, transfer.Request{URL: *u, Dest: *dest, Name: *name, Size: -1, Checksum: *sum}, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gj:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gj: %s %d bytes in %v, verified=%v\n", res.Name, res.Size, time.Since(start).Round(time.Millisecond), res.Verified)
}
