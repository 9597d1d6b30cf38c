package oidctest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// SignIn does what a person does in a browser with the authorization URL of an
// auth-code sign-in: open the provider's page, post the login form as the
// user, and follow the redirects back to the loopback address. It returns the
// loopback page's text.
func (p *Provider) SignIn(authURL string) (string, error) {
	return signIn(authURL, p.Issuer, p.Username)
}

// Browse is SignIn for a process that has only the authorization URL (a test
// binary run as the browser, say): the provider is at the URL's origin.
func Browse(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	issuer := u.Scheme + "://" + u.Host
	return signIn(authURL, issuer, storage.NewUserStore(issuer).GetUserByID(Subject).Username)
}

func signIn(authURL, issuer, username string) (string, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	res, err := hc.Get(authURL)
	if err != nil {
		return "", err
	}
	doc, err := goquery.NewDocumentFromReader(res.Body)
	res.Body.Close()
	if err != nil {
		return "", err
	}
	id, _ := doc.Find(`input[name=id]`).Attr("value")
	if id == "" {
		return "", fmt.Errorf("no login form at the provider (status %s)", res.Status)
	}
	res, err = hc.PostForm(issuer+"/login/username", url.Values{"id": {id}, "username": {username}, "password": {Password}})
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "Signed in") {
		return "", fmt.Errorf("the loopback page says %s: %.300s", res.Status, body)
	}
	return string(body), nil
}
