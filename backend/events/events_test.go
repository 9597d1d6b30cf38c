package events

import (
	"slices"
	"sync"
	"testing"
)

// Every subscriber gets every value in order, however many were published before it
// read; a closed queue gets nothing more; publishing never waits for a reader.
func TestFeed(t *testing.T) {
	var f Feed[int]
	f.Publish(-1) // nobody listens: dropped
	a, b := f.Subscribe(), f.Subscribe()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				f.Publish(w*1000 + i)
			}
		}()
	}
	wg.Wait()
	<-a.Ready()
	got := a.Take()
	if len(got) != 1000 {
		t.Fatalf("a got %d values, want 1000", len(got))
	}
	for w := range 4 { // each publisher's values in its order
		var mine []int
		for _, v := range got {
			if v/1000 == w {
				mine = append(mine, v)
			}
		}
		if !slices.IsSorted(mine) || len(mine) != 250 {
			t.Fatalf("publisher %d: %d values, sorted %v", w, len(mine), slices.IsSorted(mine))
		}
	}
	if len(a.Take()) != 0 {
		t.Fatal("Take did not empty the queue")
	}
	b.Close()
	f.Publish(7)
	<-a.Ready()
	if got := a.Take(); !slices.Equal(got, []int{7}) {
		t.Fatalf("a got %v after close of b, want [7]", got)
	}
	if got := b.Take(); len(got) != 1000 {
		t.Fatalf("b got %d values, want the 1000 sent before it closed", len(got))
	}
}
