package transfer

import "sort"

// span is the half-open byte range [Start, End).
type span struct{ Start, End int64 }

// rangeSet is a sorted list of disjoint, non-adjacent spans.
type rangeSet []span

// add inserts [a, b), merging neighbours.
func (r rangeSet) add(a, b int64) rangeSet {
	if b <= a {
		return r
	}
	// First span that ends at or after a (could touch or overlap).
	i := sort.Search(len(r), func(i int) bool { return r[i].End >= a })
	j := i
	for j < len(r) && r[j].Start <= b {
		a, b = min(a, r[j].Start), max(b, r[j].End)
		j++
	}
	if i == j {
		r = append(r, span{})
		copy(r[i+1:], r[i:])
		r[i] = span{a, b}
		return r
	}
	r[i] = span{a, b}
	return append(r[:i+1], r[j:]...)
}

func (r rangeSet) total() int64 {
	var n int64
	for _, s := range r {
		n += s.End - s.Start
	}
	return n
}

// prefix is the length of the complete run starting at byte 0.
func (r rangeSet) prefix() int64 {
	if len(r) > 0 && r[0].Start == 0 {
		return r[0].End
	}
	return 0
}

// missing lists the spans of [0, size) not in r.
func (r rangeSet) missing(size int64) []span {
	var out []span
	var at int64
	for _, s := range r {
		if s.Start >= size {
			break
		}
		if s.Start > at {
			out = append(out, span{at, s.Start})
		}
		at = max(at, s.End)
	}
	if at < size {
		out = append(out, span{at, size})
	}
	return out
}

// clip drops what lies beyond size and anything malformed.
func (r rangeSet) clip(size int64) rangeSet {
	var out rangeSet
	for _, s := range r {
		if s.Start < 0 || s.End <= s.Start || s.Start >= size {
			continue
		}
		out = out.add(s.Start, min(s.End, size))
	}
	return out
}

func (r rangeSet) clone() rangeSet { return append(rangeSet(nil), r...) }
