package multihash

import (
	"crypto/sha256"
	"io"
	"strings"
	"testing"
)

func TestEncodeMatchesFileExtensionExample(t *testing.T) {
	// The STAC file extension's README: the ASCII file "test".
	sum := sha256.Sum256([]byte("test"))
	got := Encode(SHA2_256, sum[:])
	want := "12209f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	if got != want {
		t.Fatalf("Encode = %s, want %s", got, want)
	}
	d, err := Parse(want)
	if err != nil || d.Code != SHA2_256 || d.Name() != "sha2-256" {
		t.Fatalf("Parse = %+v, %v", d, err)
	}
}

func TestVerifier(t *testing.T) {
	for _, code := range []uint64{MD5, SHA1, SHA2_256, SHA2_512, BLAKE2b256} {
		h, _ := New(code)
		io.WriteString(h, "payload")
		mh := Encode(code, h.Sum(nil))
		v, err := NewVerifier(mh)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(v, "payload")
		if err := v.Verify(); err != nil {
			t.Fatalf("code %x: %v", code, err)
		}
		v, _ = NewVerifier(mh)
		io.WriteString(v, "payloaD")
		if err := v.Verify(); err == nil || !strings.Contains(err.Error(), "mismatch") {
			t.Fatalf("code %x: want mismatch, got %v", code, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{"zz", "12", "1220abcd", ""} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if _, err := NewVerifier("990102"); err == nil {
		t.Error("unsupported code accepted")
	}
}
