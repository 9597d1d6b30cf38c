package transfer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/geojobs/geojobs/backend/transfer"
)

// BenchmarkDownload measures throughput from a loopback server into a temp folder.
func BenchmarkDownload(b *testing.B) {
	content := randomBytes(64 << 20)
	sum := sha256Multihash(content)
	srv := newServer(b, content)
	for _, conns := range []int{1, 4, 16} {
		for _, verify := range []bool{false, true} {
			b.Run(fmt.Sprintf("conns=%d/verify=%v", conns, verify), func(b *testing.B) {
				dir := b.TempDir()
				opts := transfer.Options{Connections: conns}
				req := transfer.Request{URL: srv.URL + "/f", Dest: dir, Name: "f", Size: int64(len(content))}
				if verify {
					req.Checksum = sum
				}
				b.SetBytes(int64(len(content)))
				for b.Loop() {
					os.Remove(filepath.Join(dir, "f"))
					if _, err := transfer.Download(context.Background(), req, opts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
