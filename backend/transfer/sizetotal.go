package transfer

// SizeTotal sums the sizes of several files, any of which may be unknown (-1): the
// total is then unknown too. The zero SizeTotal is an empty, known total.
type SizeTotal struct {
	sum     int64
	unknown bool
}

// Add adds a file's size; a negative one makes the total unknown.
func (t *SizeTotal) Add(size int64) {
	if size < 0 {
		t.unknown = true
		return
	}
	t.sum += size
}

// Size is the total, -1 when a size was unknown.
func (t SizeTotal) Size() int64 {
	if t.unknown {
		return -1
	}
	return t.sum
}
