package transfer

import (
	"io"
	"sync"
)

func limitReader(r io.Reader, n int64) io.Reader { return io.LimitReader(r, n) }

// bufPool hands out copy buffers; there is at most one per connection and one per
// hasher, which bounds memory whatever the file sizes.
type bufPool struct {
	size int
	pool sync.Pool
}

func newBufPool(size int) *bufPool {
	p := &bufPool{size: size}
	p.pool.New = func() any { b := make([]byte, size); return &b }
	return p
}

func (p *bufPool) get() *[]byte  { return p.pool.Get().(*[]byte) }
func (p *bufPool) put(b *[]byte) { p.pool.Put(b) }
