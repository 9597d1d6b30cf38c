package docparse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecodeJSONAndYAML(t *testing.T) {
	for _, doc := range []string{
		`{"inputs":{"n":3,"s":"x","b":true,"l":[1.5,null]}}`,
		"inputs:\n  n: 3\n  s: x\n  b: true\n  l: [1.5, null]\n",
	} {
		v, err := Decode(context.Background(), []byte(doc), Default)
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		b, _ := json.Marshal(v)
		if string(b) != `{"inputs":{"b":true,"l":[1.5,null],"n":3,"s":"x"}}` {
			t.Errorf("%q → %s", doc, b)
		}
	}
	for doc, want := range map[string]string{
		"a: 1\na: 2\n":     "appears twice",
		"a: &x 1\nb: *x\n": "aliases",
		"? [1, 2]\n: x\n":  "not a string",
		"a: .inf\n":        "not a JSON number",
		strings.Repeat("[", 100) + strings.Repeat("]", 100):         "deeper",
		"a:" + strings.Repeat(" [", 100) + strings.Repeat("]", 100): "deeper",
	} {
		if _, err := Decode(context.Background(), []byte(doc), Default); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
}

func manyKeys(n int) []byte {
	var b strings.Builder
	b.WriteString("inputs:\n")
	for i := range n {
		fmt.Fprintf(&b, "  k%d: %d\n", i, i)
	}
	return []byte(b.String())
}

// An 80,000-key YAML took 26 s through yaml.v3's map decoding (quadratic): the time
// must grow linearly. Four times the keys must take well under sixteen times as long
// (quadratic), however busy the machine.
func TestManyKeysLinear(t *testing.T) {
	timed := func(doc []byte) time.Duration {
		start := time.Now()
		v, err := Decode(context.Background(), doc, Default)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.(map[string]any)["inputs"].(map[string]any)) == 0 {
			t.Fatal("no keys")
		}
		return time.Since(start)
	}
	// The fastest of three runs each: other processes on a busy machine only ever add
	// time, so the minimum is the measure least disturbed by them.
	fastest := func(doc []byte) time.Duration {
		best := timed(doc)
		for range 2 {
			best = min(best, timed(doc))
		}
		return best
	}
	small, big := manyKeys(20_000), manyKeys(80_000)
	ts, tb := fastest(small), fastest(big)
	if tb > 10*ts+200*time.Millisecond { // quadratic: 16 times; linear: 4 (plus the collector's share)
		t.Errorf("20,000 keys: %v; 80,000 keys: %v (not linear)", ts, tb)
	}
	t.Logf("20,000 keys: %v; 80,000 keys: %v", ts, tb)
	// Beyond the limits: refused.
	if _, err := Decode(context.Background(), big, Limits{MaxBytes: 8 << 20, MaxNodes: 10_000, MaxDepth: 64}); !errors.Is(err, ErrLimit) {
		t.Errorf("too many values: %v", err)
	}
	if _, err := Decode(context.Background(), big, Limits{MaxBytes: 1 << 10}); !errors.Is(err, ErrLimit) {
		t.Errorf("too large: %v", err)
	}
}

// The walk stops when the context ends (the client went away).
func TestStopsWithContext(t *testing.T) {
	var b strings.Builder
	b.WriteString("l:\n")
	for i := range 50_000 {
		fmt.Fprintf(&b, "  - %d\n", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Decode(ctx, []byte(b.String()), Default); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
}
