// Package multihash reads and writes the self-describing digests that the STAC file
// extension uses for file:checksum (lowercase hex of <code varint><length varint><digest>).
// It covers the hash functions seen in practice on EO data; it is not a general
// multiformats implementation.
package multihash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/blake2b"
)

// Codes of the supported hash functions (multicodec table).
const (
	MD5        uint64 = 0xd5
	SHA1       uint64 = 0x11
	SHA2_256   uint64 = 0x12
	SHA2_512   uint64 = 0x13
	BLAKE2b256 uint64 = 0xb220
)

var names = map[uint64]string{MD5: "md5", SHA1: "sha1", SHA2_256: "sha2-256", SHA2_512: "sha2-512", BLAKE2b256: "blake2b-256"}

// ErrUnsupported is returned for a well-formed multihash whose function is not supported.
var ErrUnsupported = errors.New("multihash: unsupported hash function")

// Digest is a decoded multihash.
type Digest struct {
	Code   uint64
	Digest []byte
}

// Name is the function's multicodec name ("sha2-256"), or its hex code when unknown.
func (d Digest) Name() string {
	if n, ok := names[d.Code]; ok {
		return n
	}
	return fmt.Sprintf("0x%x", d.Code)
}

// String encodes d as lowercase hex, as file:checksum wants it.
func (d Digest) String() string { return Encode(d.Code, d.Digest) }

// New returns a fresh hash.Hash for the function code.
func New(code uint64) (hash.Hash, error) {
	switch code {
	case MD5:
		return md5.New(), nil
	case SHA1:
		return sha1.New(), nil
	case SHA2_256:
		return sha256.New(), nil
	case SHA2_512:
		return sha512.New(), nil
	case BLAKE2b256:
		return blake2b.New256(nil)
	}
	return nil, fmt.Errorf("%w (code 0x%x)", ErrUnsupported, code)
}

// Encode returns the hex multihash of a digest made by the function code.
func Encode(code uint64, digest []byte) string {
	buf := binary.AppendUvarint(nil, code)
	buf = binary.AppendUvarint(buf, uint64(len(digest)))
	return hex.EncodeToString(append(buf, digest...))
}

// Parse decodes a hex multihash. It checks that the stated length matches the digest.
func Parse(s string) (Digest, error) {
	raw, err := hex.DecodeString(strings.ToLower(strings.TrimSpace(s)))
	if err != nil {
		return Digest{}, fmt.Errorf("multihash: not hex: %w", err)
	}
	code, n := binary.Uvarint(raw)
	if n <= 0 {
		return Digest{}, errors.New("multihash: truncated function code")
	}
	raw = raw[n:]
	length, n := binary.Uvarint(raw)
	if n <= 0 {
		return Digest{}, errors.New("multihash: truncated length")
	}
	raw = raw[n:]
	if uint64(len(raw)) != length {
		return Digest{}, fmt.Errorf("multihash: states %d digest bytes, has %d", length, len(raw))
	}
	return Digest{Code: code, Digest: raw}, nil
}

// Verifier hashes what is written to it and compares the result with an expected multihash.
type Verifier struct {
	hash.Hash
	want Digest
}

// NewVerifier returns a Verifier for the hex multihash want.
func NewVerifier(want string) (*Verifier, error) {
	d, err := Parse(want)
	if err != nil {
		return nil, err
	}
	h, err := New(d.Code)
	if err != nil {
		return nil, err
	}
	return &Verifier{Hash: h, want: d}, nil
}

// Verify reports nil when the bytes written so far match, else an error naming both digests.
func (v *Verifier) Verify() error {
	got := v.Sum(nil)
	if string(got) != string(v.want.Digest) {
		return fmt.Errorf("checksum mismatch (%s): expected %x, got %x", v.want.Name(), v.want.Digest, got)
	}
	return nil
}
