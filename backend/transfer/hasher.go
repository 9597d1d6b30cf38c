package transfer

import (
	"context"
	"io"
	"os"

	"github.com/geojobs/geojobs/backend/multihash"
)

// hashInOrder hashes the .part file as its complete prefix grows, so verification
// overlaps the download instead of following it. It returns the verifier once the
// whole object (size known, prefix == size) is hashed.
func hashInOrder(ctx context.Context, f *os.File, p *plan, checksum string, buf []byte) (*multihash.Verifier, error) {
	v, err := multihash.NewVerifier(checksum)
	if err != nil {
		return nil, err
	}
	var hashed int64
	gen := 0
	for {
		prefix, size, g := p.progress()
		if g != gen {
			v.Reset()
			hashed, gen = 0, g
		}
		for hashed < prefix {
			n := min(int64(len(buf)), prefix-hashed)
			k, err := f.ReadAt(buf[:n], hashed)
			if err != nil && !(err == io.EOF && int64(k) == n) {
				return nil, localError("read", "partial file", err)
			}
			v.Write(buf[:k])
			hashed += int64(k)
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
		}
		if size >= 0 && hashed == size {
			return v, nil
		}
		select {
		case <-p.notify:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}
