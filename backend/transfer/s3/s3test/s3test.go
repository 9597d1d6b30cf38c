// Package s3test checks AWS Signature Version 4 in front of a test S3 server
// (gofakes3 accepts any signature), so that in tests a wrong secret, an unsigned
// request or an expired presigned URL fails as it does on a real S3 server.
//
// It is for tests only.
package s3test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// SigV4 returns next behind a SigV4 check of header-signed and presigned requests.
// secrets maps each accepted access key ID to its secret key. A request that fails
// the check gets the 403 and S3 error code a real server sends (AccessDenied,
// InvalidAccessKeyId, SignatureDoesNotMatch) and does not reach next.
func SigV4(secrets map[string]string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var cred, signed, sig, date, payload string
		if q.Get("X-Amz-Signature") != "" {
			cred, signed, sig, date, payload = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date"), "UNSIGNED-PAYLOAD"
			at, err := time.Parse("20060102T150405Z", date)
			exp, _ := time.ParseDuration(q.Get("X-Amz-Expires") + "s")
			if err != nil || time.Now().After(at.Add(exp)) {
				writeError(w, http.StatusForbidden, "AccessDenied", "Request has expired")
				return
			}
		} else {
			auth := r.Header.Get("Authorization")
			if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
				writeError(w, http.StatusForbidden, "AccessDenied", "Anonymous access is forbidden")
				return
			}
			for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
				k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
				switch k {
				case "Credential":
					cred = v
				case "SignedHeaders":
					signed = v
				case "Signature":
					sig = v
				}
			}
			date, payload = r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Content-Sha256")
		}
		access, scope, _ := strings.Cut(cred, "/")
		secret, ok := secrets[access]
		if !ok {
			writeError(w, http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
			return
		}
		if sign(secret, canonicalRequest(r, q, signed, payload), date, scope) != sig {
			writeError(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// canonicalRequest is the SigV4 canonical request of r, path as the client sent it.
func canonicalRequest(r *http.Request, q url.Values, signedHeaders, payload string) string {
	var canonQ []string
	for k, vs := range q {
		if k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			canonQ = append(canonQ, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(canonQ)
	var canonH strings.Builder
	for _, h := range strings.Split(signedHeaders, ";") {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canonH.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	path := r.URL.EscapedPath()
	if raw, _, _ := strings.Cut(r.RequestURI, "?"); raw != "" {
		path = raw
	}
	return strings.Join([]string{r.Method, path, strings.Join(canonQ, "&"), canonH.String(), signedHeaders, payload}, "\n")
}

// sign is the hex signature of a canonical request with a secret key, at date
// (yyyymmddThhmmssZ) for a credential scope (date/region/service/aws4_request).
func sign(secret, creq, date, scope string) string {
	sum := sha256.Sum256([]byte(creq))
	sts := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + secret)
	for _, part := range strings.Split(scope, "/") {
		key = hmacSHA(key, part)
	}
	return hex.EncodeToString(hmacSHA(key, sts))
}

func hmacSHA(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func awsEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// writeError answers as S3 does: an XML error document.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}
