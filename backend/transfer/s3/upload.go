package s3

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/minio/minio-go/v7"
)

// UploadResult is what Upload wrote and how it was checked.
type UploadResult struct {
	Key    string
	Size   int64
	ETag   string
	MD5    string // hex, of the whole content
	SHA256 string // hex, of the whole content
	// Verified says how the upload was checked: "etag" (the server's ETag is the
	// MD5, or the multipart MD5-of-MD5s, of what was sent) or "size" (the ETag is
	// not MD5-based, e.g. SSE-KMS; only the stored size was compared).
	Verified string
}

const (
	minPartSize = 16 << 20
	maxParts    = 10000
)

// Upload streams r (size bytes, or -1 when unknown) to key. It hashes what it
// sends and then checks the stored object: its size must match, and an
// MD5-shaped ETag must be the MD5 (or multipart MD5-of-MD5s) of the content;
// otherwise it returns ErrVerify.
func (c *Client) Upload(ctx context.Context, key string, r io.Reader, size int64, contentType string) (UploadResult, error) {
	if err := c.needBucket(); err != nil {
		return UploadResult{}, err
	}
	part := c.partSize
	if part == 0 {
		part = minPartSize
		if size > 0 {
			if need := uint64((size + maxParts - 1) / maxParts); need > part {
				part = (need + (1<<20 - 1)) &^ (1<<20 - 1)
			}
		} else if size < 0 {
			part = 64 << 20
		}
	}
	h := newPartHasher(int64(part))
	info, err := c.mc.PutObject(ctx, c.bucket, key, io.TeeReader(r, h), size, minio.PutObjectOptions{
		ContentType: contentType,
		PartSize:    part,
	})
	if err != nil {
		return UploadResult{}, classify(err, c.bucket, key)
	}
	res := UploadResult{Key: key, Size: h.n, MD5: hex.EncodeToString(h.whole.Sum(nil)), SHA256: hex.EncodeToString(h.sha.Sum(nil))}
	if size >= 0 && h.n != size {
		return res, fmt.Errorf("%w: s3://%s/%s: read %d bytes, expected %d", keystore.ErrVerify, c.bucket, key, h.n, size)
	}
	st, err := c.Stat(ctx, key)
	if err != nil {
		return res, fmt.Errorf("%w: s3://%s/%s: cannot stat the uploaded object: %v", keystore.ErrVerify, c.bucket, key, err)
	}
	res.ETag = st.ETag
	if st.Size != h.n {
		return res, fmt.Errorf("%w: s3://%s/%s: stored %d bytes, sent %d", keystore.ErrVerify, c.bucket, key, st.Size, h.n)
	}
	// The ETag of the completed upload, or of the stat, must be the MD5 of what
	// was sent (single PUT) or the MD5 of the parts' MD5s (multipart). Servers
	// whose ETags are not MD5-based (SSE-KMS) are checked by size only.
	multi := h.multipartETag()
	shaped := false
	for _, e := range []string{strings.Trim(info.ETag, `"`), st.ETag} {
		if !md5Shaped(e) {
			continue
		}
		shaped = true
		if e == res.MD5 || e == multi {
			res.ETag = e
			res.Verified = "etag"
			return res, nil
		}
	}
	if shaped {
		return res, fmt.Errorf("%w: s3://%s/%s: the server's ETag %s is not the MD5 of the content sent (%s)", keystore.ErrVerify, c.bucket, key, st.ETag, res.MD5)
	}
	res.Verified = "size"
	return res, nil
}

func md5Shaped(etag string) bool {
	base, parts, multi := strings.Cut(etag, "-")
	if len(base) != 32 {
		return false
	}
	if _, err := hex.DecodeString(base); err != nil {
		return false
	}
	if multi {
		for _, r := range parts {
			if r < '0' || r > '9' {
				return false
			}
		}
		return parts != ""
	}
	return true
}

// partHasher hashes the whole stream and each part of the multipart upload.
type partHasher struct {
	part     int64
	n        int64
	whole    hash.Hash
	sha      hash.Hash
	cur      hash.Hash
	curN     int64
	partSums []byte
	parts    int
}

func newPartHasher(part int64) *partHasher {
	return &partHasher{part: part, whole: md5.New(), sha: sha256.New(), cur: md5.New()}
}

func (p *partHasher) Write(b []byte) (int, error) {
	n := len(b)
	p.whole.Write(b)
	p.sha.Write(b)
	p.n += int64(n)
	for len(b) > 0 {
		take := min(int64(len(b)), p.part-p.curN)
		p.cur.Write(b[:take])
		p.curN += take
		b = b[take:]
		if p.curN == p.part {
			p.flush()
		}
	}
	return n, nil
}

func (p *partHasher) flush() {
	p.partSums = p.cur.Sum(p.partSums)
	p.parts++
	p.cur.Reset()
	p.curN = 0
}

func (p *partHasher) multipartETag() string {
	sums, parts := p.partSums, p.parts
	if p.curN > 0 {
		sums = p.cur.Sum(append([]byte(nil), sums...))
		parts++
	}
	s := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), parts)
}
