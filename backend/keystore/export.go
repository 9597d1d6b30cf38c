package keystore

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// ExportFormat names the envelope ExportFor produces.
const ExportFormat = "geojobs-key-export-v1"

// Export is a key's configuration encrypted for one service, EOCanvas style: the
// service decrypts it with its RSA private key and gets the credentials it needs
// to read inputs or write outputs. The scheme is deliberately one that the
// openssl command line decrypts:
//
//   - a random 64-byte content key is wrapped with RSA-OAEP (SHA-256, MGF1
//     SHA-256, no label): EncryptedKey. Its first 32 bytes are the AES-256 key,
//     the last 32 the HMAC-SHA256 key;
//   - the JSON configuration is encrypted with AES-256-CBC, PKCS#7 padding, IV: Ciphertext;
//   - Tag is HMAC-SHA256(mac key, IV || Ciphertext), to be checked before decrypting.
//
// With openssl (base64 fields decoded to files, hex fields as they are):
//
//	openssl pkeyutl -decrypt -inkey service.pem -pkeyopt rsa_padding_mode:oaep \
//	    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in key.bin -out cek.bin
//	ENC=$(head -c32 cek.bin | xxd -p -c64); MAC=$(tail -c32 cek.bin | xxd -p -c64)
//	(printf %s "$IV" | xxd -r -p; cat ct.bin) | openssl dgst -sha256 -mac HMAC -macopt hexkey:$MAC  # = Tag
//	openssl enc -d -aes-256-cbc -K $ENC -iv $IV -in ct.bin
type Export struct {
	Format       string `json:"format"`
	Alg          string `json:"alg"`           // "RSA-OAEP-256"
	Enc          string `json:"enc"`           // "A256CBC+HS256"
	EncryptedKey string `json:"encrypted_key"` // base64
	IV           string `json:"iv"`            // hex, 16 bytes
	Ciphertext   string `json:"ciphertext"`    // base64
	Tag          string `json:"tag"`           // hex, 32 bytes
}

// ServiceConfig is the plaintext the service gets: the key's configuration with
// the secret in the clear (this is the one place it leaves geojobs, encrypted).
func (k Key) ServiceConfig() map[string]any {
	m := map[string]any{"name": k.Name, "type": string(k.Kind)}
	switch k.Kind {
	case KindS3, KindEODATA:
		m["access_key"] = k.AccessKey
		m["secret_key"] = k.Secret.Reveal()
		m["endpoint"] = k.Endpoint
		m["region"] = k.Region
		m["bucket"] = k.Bucket
		m["prefix"] = k.Prefix
		m["path_style"] = k.PathStyle
		m["read_only"] = k.Kind == KindEODATA || k.Public
	case KindWebDAV:
		m["endpoint"] = k.Endpoint
		m["username"] = k.Username
		m["password"] = k.Secret.Reveal()
		m["readable"] = k.Readable
	case KindHTTP:
		m["prefix"] = k.Prefix
		m["scheme"] = string(k.Scheme)
		switch k.Scheme {
		case SchemeBasic:
			m["username"] = k.Username
			m["password"] = k.Secret.Reveal()
		case SchemeHeader:
			m["header"] = k.Header
			m["value"] = k.Secret.Reveal()
		default:
			m["token"] = k.Secret.Reveal()
		}
	}
	return m
}

// ExportFor encrypts the key's ServiceConfig for the service whose RSA public
// key (PEM, "PUBLIC KEY" or "RSA PUBLIC KEY", at least 2048 bits) is given.
func (k Key) ExportFor(publicKeyPEM []byte) (*Export, error) {
	pub, err := ParseRSAPublicKey(publicKeyPEM)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(k.ServiceConfig())
	if err != nil {
		return nil, fmt.Errorf("keystore: export: %w", err)
	}
	defer clear(plain)
	cek := make([]byte, 64)
	defer clear(cek)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(cek); err != nil {
		return nil, err
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	if err != nil {
		return nil, fmt.Errorf("keystore: export: wrap key: %w", err)
	}
	block, err := aes.NewCipher(cek[:32])
	if err != nil {
		return nil, err
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	defer clear(padded)
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, padded)
	mac := hmac.New(sha256.New, cek[32:])
	mac.Write(iv)
	mac.Write(ct)
	return &Export{
		Format:       ExportFormat,
		Alg:          "RSA-OAEP-256",
		Enc:          "A256CBC+HS256",
		EncryptedKey: base64.StdEncoding.EncodeToString(wrapped),
		IV:           hex.EncodeToString(iv),
		Ciphertext:   base64.StdEncoding.EncodeToString(ct),
		Tag:          hex.EncodeToString(mac.Sum(nil)),
	}, nil
}

// Open decrypts an Export with the service's private key. geojobs' own built-in
// endpoint uses it; it is also the reference for other implementations.
func (e *Export) Open(priv *rsa.PrivateKey) ([]byte, error) {
	if e.Format != ExportFormat || e.Alg != "RSA-OAEP-256" || e.Enc != "A256CBC+HS256" {
		return nil, fmt.Errorf("%w: unsupported export format %q/%q/%q", ErrInvalid, e.Format, e.Alg, e.Enc)
	}
	wrapped, err1 := base64.StdEncoding.DecodeString(e.EncryptedKey)
	iv, err2 := hex.DecodeString(e.IV)
	ct, err3 := base64.StdEncoding.DecodeString(e.Ciphertext)
	tag, err4 := hex.DecodeString(e.Tag)
	if err := errors.Join(err1, err2, err3, err4); err != nil || len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: malformed export", ErrInvalid)
	}
	cek, err := rsa.DecryptOAEP(sha256.New(), nil, priv, wrapped, nil)
	if err != nil || len(cek) != 64 {
		return nil, fmt.Errorf("%w: cannot unwrap the export's key", ErrInvalid)
	}
	defer clear(cek)
	mac := hmac.New(sha256.New, cek[32:])
	mac.Write(iv)
	mac.Write(ct)
	if subtle.ConstantTimeCompare(mac.Sum(nil), tag) != 1 {
		return nil, fmt.Errorf("%w: export does not authenticate", ErrInvalid)
	}
	block, err := aes.NewCipher(cek[:32])
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ct)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, fmt.Errorf("%w: bad padding", ErrInvalid)
	}
	return out[:len(out)-pad], nil
}

// ParseRSAPublicKey reads a PEM RSA public key of at least 2048 bits.
func ParseRSAPublicKey(pemBytes []byte) (*rsa.PublicKey, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil, fmt.Errorf("%w: the service key is not PEM", ErrInvalid)
	}
	var pub *rsa.PublicKey
	switch b.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: the service key: %v", ErrInvalid, err)
		}
		var ok bool
		if pub, ok = k.(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("%w: the service key is a %T, not RSA", ErrInvalid, k)
		}
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: the service key: %v", ErrInvalid, err)
		}
		pub = k
	default:
		return nil, fmt.Errorf("%w: the service key is a PEM %q block, not a public key", ErrInvalid, b.Type)
	}
	if pub.N.BitLen() < 2048 {
		return nil, fmt.Errorf("%w: the service's RSA key has %d bits; at least 2048 are needed", ErrInvalid, pub.N.BitLen())
	}
	return pub, nil
}
