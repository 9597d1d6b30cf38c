package waitfor

import (
	"sync/atomic"
	"testing"
)

func TestUntilWakesOnFire(t *testing.T) {
	var p Pulse
	var n atomic.Int64
	go func() {
		for range 100 {
			n.Add(1)
			p.Fire()
		}
	}()
	Until(t, &p, "100 changes", func() bool { return n.Load() == 100 })
}

func TestChan(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	if v := Chan(t, ch, "a value"); v != 7 {
		t.Fatalf("got %d", v)
	}
}
