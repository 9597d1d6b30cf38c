// Package netpolicy is geojobs' one network policy for URLs that come from servers:
// which origin a URL belongs to and whether it lies under a path prefix (Origin,
// SameOrigin, Under), what a redirect may carry (CheckRedirect), and which addresses
// an automatic request may reach (Scope, Dialer, Transport).
//
// Every place that sends credentials or fetches a URL a server handed out uses it:
// the OGC API client, the keystore's key matching, the results page's size probe, the
// asset proxy, previews, downloads, exports, job logs and `geojobs download`.
// It holds no credentials itself and does not decide which key fits a URL.
package netpolicy
