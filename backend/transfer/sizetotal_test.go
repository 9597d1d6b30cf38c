package transfer

import "testing"

func TestSizeTotal(t *testing.T) {
	var none SizeTotal
	if none.Size() != 0 {
		t.Errorf("empty total %d, want 0", none.Size())
	}
	var known SizeTotal
	known.Add(3)
	known.Add(0)
	known.Add(4)
	if known.Size() != 7 {
		t.Errorf("known total %d, want 7", known.Size())
	}
	known.Add(-1)
	known.Add(5)
	if known.Size() != -1 {
		t.Errorf("total with an unknown size %d, want -1", known.Size())
	}
}
