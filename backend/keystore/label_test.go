package keystore

import "testing"

func TestSecretLabel(t *testing.T) {
	for _, c := range []struct {
		k    Key
		want string
	}{
		{Key{Kind: KindS3}, "secret access key"},
		{Key{Kind: KindEODATA}, "secret access key"},
		{Key{Kind: KindWebDAV}, "password"},
		{Key{Kind: KindOIDC}, "client secret"},
		{Key{Kind: KindHTTP, Scheme: SchemeBasic}, "password"},
		{Key{Kind: KindHTTP, Scheme: SchemeHeader}, "header value"},
		{Key{Kind: KindHTTP, Scheme: SchemeBearer}, "bearer token"},
	} {
		if got := c.k.SecretLabel(); got != c.want {
			t.Errorf("%s/%s: %q, want %q", c.k.Kind, c.k.Scheme, got, c.want)
		}
	}
}
