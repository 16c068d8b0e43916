package oidclogin_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
	"github.com/arengo/arengo/internal/identity/spidlogin"
)

const (
	clientID     = "arengo-test"
	clientSecret = "s3cret-for-tests"
)

// provider is a real, minimal OpenID Connect provider: discovery, JWKS,
// an authorization endpoint that consents at once (or refuses), and a token
// endpoint that checks PKCE and client authentication and signs ID tokens.
type provider struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	otherKey *rsa.PrivateKey
	now      func() time.Time
	redirect string

	mu    sync.Mutex
	codes map[string]grant
	// Person and misbehaviour, set by tests.
	person     testidp.Person
	deny       bool
	wrongNonce bool
	signOther  bool
	noFiscal   bool
	tokenCalls int
}

type grant struct {
	challenge, nonce, redirect string
}

func loadKey(t *testing.T, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "spid", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return k.(*rsa.PrivateKey)
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newProvider(t *testing.T) *provider {
	p := &provider{t: t, key: loadKey(t, "idp.key"), otherKey: loadKey(t, "other.key"), codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "response_types_supported": []string{"code"}, "id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		pub := p.key.PublicKey
		writeJSON(w, map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (p *provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bad := q.Get("response_type") != "code" || q.Get("client_id") != clientID || q.Get("redirect_uri") != p.redirect ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" ||
		!strings.Contains(" "+q.Get("scope")+" ", " openid ")
	if bad {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	p.mu.Lock()
	if p.deny {
		back.Set("error", "access_denied")
	} else {
		code := b64([]byte(q.Get("nonce") + "|" + time.Now().String()))
		p.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
		back.Set("code", code)
	}
	p.mu.Unlock()
	http.Redirect(w, r, p.redirect+"?"+back.Encode(), http.StatusFound)
}

func (p *provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != clientID || secret != clientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenCalls++
	g, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != g.redirect || b64(sum[:]) != g.challenge {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "invalid_grant"})
		return
	}
	now := p.now()
	claims := map[string]any{
		"iss": p.srv.URL, "sub": "subject-" + p.person.Key, "aud": clientID, "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
		"nonce": g.nonce, "given_name": p.person.Name, "family_name": p.person.FamilyName,
		"birthdate": p.person.DateOfBirth.Format(time.DateOnly), "fiscal_number": "TINIT-" + p.person.FiscalNumber,
		"email": p.person.Email, "email_verified": true,
	}
	if p.wrongNonce {
		claims["nonce"] = "not-the-nonce"
	}
	if p.noFiscal {
		delete(claims, "fiscal_number")
	}
	key := p.key
	if p.signOther {
		key = p.otherKey
	}
	writeJSON(w, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": sign(p.t, key, claims)})
}

func sign(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

func setup(t *testing.T) (*apptest.Harness, *provider) {
	p := newProvider(t)
	h := apptest.New(t, func(c *config.Config) {
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret, c.OIDCName = p.srv.URL, clientID, clientSecret, "MilanoID"
	})
	p.now = h.Clock.Now
	p.redirect = h.URL("/login/oidc/callback")
	p.person = testidp.People(h.Clock.Now())[1] // the 16-year-old: the municipal login is for minors
	return h, p
}

// toCallback starts a login and lets the provider answer; it returns the
// platform path the provider sends the browser back to.
func toCallback(t *testing.T, h *apptest.Harness, c *apptest.Client, next string) string {
	t.Helper()
	r := c.Post("/login/oidc", url.Values{"next": {next}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, h.Srv.URL) && !strings.Contains(r.Location, "/authorize?") {
		t.Fatalf("start: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	resp, err := c.HTTP.Get(r.Location)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, h.Srv.URL+"/login/oidc/callback?") {
		t.Fatalf("provider: %d %q", resp.StatusCode, loc)
	}
	return strings.TrimPrefix(loc, h.Srv.URL)
}

func TestOIDCLoginJourney(t *testing.T) {
	h, p := setup(t)
	c := h.Client()
	cb := toCallback(t, h, c, "/processes")
	r := c.Get(cb)
	if r.Status != http.StatusSeeOther || r.Location != "/login/verified" {
		t.Fatalf("callback: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	if r = c.Follow(r); r.Location != "/login/welcome" {
		t.Fatalf("verified: %q", r.Location)
	}
	if page := c.Get("/login/welcome"); !strings.Contains(page.Body, "Luca") {
		t.Fatalf("welcome: %s", apptest.Text(page.Body))
	}
	r = c.Post("/login/welcome", url.Values{"nickname": {"luca_b"}, "locale": {"en"}, "privacy": {"on"}})
	if r.Status != http.StatusSeeOther || r.Location != "/processes" {
		t.Fatalf("welcome: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	if !strings.Contains(c.Get("/").Body, "luca_b") {
		t.Fatal("not signed in")
	}
	if n := h.Count(`SELECT COUNT(*) FROM verifications WHERE method = 'oidc'`); n != 1 {
		t.Fatalf("%d OIDC verifications", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM oidc_states`); n != 0 {
		t.Fatal("state left behind")
	}
	if n := h.Count(`SELECT COUNT(*) FROM session_saml`); n != 0 {
		t.Fatal("an OIDC session has no SAML session")
	}

	// The callback URL again (replay, or the back button): refused.
	if r := c.Get(cb); r.Status != http.StatusBadRequest || !strings.Contains(apptest.Text(r.Body), "already used") {
		t.Fatalf("replayed callback: %d %s", r.Status, apptest.Text(r.Body))
	}
	// Again later: the same account.
	c2 := h.Client()
	r = c2.Follow(c2.Get(toCallback(t, h, c2, "")))
	if r.Location != "/" || !strings.Contains(c2.Get("/").Body, "luca_b") {
		t.Fatalf("second login: %q", r.Location)
	}
	if n := h.Count(`SELECT COUNT(*) FROM users`); n != 1 {
		t.Fatalf("%d accounts", n)
	}
	_ = p
}

func TestOIDCRefusals(t *testing.T) {
	h, p := setup(t)
	cases := []struct {
		name   string
		set    func()
		status int
		want   string
	}{
		{"user denies", func() { p.deny = true }, http.StatusForbidden, "Hai annullato"},
		{"wrong nonce", func() { p.wrongNonce = true }, http.StatusBadRequest, "non ha completato"},
		{"signed by another key", func() { p.signOther = true }, http.StatusBadRequest, "non ha completato"},
		{"no fiscal code", func() { p.noFiscal = true }, http.StatusBadRequest, "codice fiscale"},
	}
	for _, tc := range cases {
		p.mu.Lock()
		p.deny, p.wrongNonce, p.signOther, p.noFiscal = false, false, false, false
		p.mu.Unlock()
		tc.set()
		c := h.Client()
		r := c.Get(toCallback(t, h, c, ""))
		if r.Status != tc.status || !strings.Contains(apptest.Text(r.Body), tc.want) {
			t.Errorf("%s: %d %s", tc.name, r.Status, apptest.Text(r.Body))
		}
	}
	p.deny, p.wrongNonce, p.signOther, p.noFiscal = false, false, false, false

	// A callback delivered to another browser (login CSRF): refused, and
	// the code is never redeemed.
	c := h.Client()
	cb := toCallback(t, h, c, "")
	before := p.tokenCalls
	if r := h.Client().Get(cb); r.Status != http.StatusForbidden {
		t.Fatalf("other browser: %d", r.Status)
	}
	if p.tokenCalls != before {
		t.Fatal("code redeemed for another browser")
	}
	// Forged or missing state.
	for _, q := range []string{"?state=forged&code=x", "?code=x", "?state=" + strings.Repeat("a", 200)} {
		if r := c.Get("/login/oidc/callback" + q); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d", q, r.Status)
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM users`); n != 0 {
		t.Fatalf("%d accounts after refusals", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM strong_login_pending`); n != 0 {
		t.Fatalf("%d pending logins after refusals", n)
	}
}

// Each start stores a state row: one address may start only so many.
func TestOIDCStartsAreRateLimitedPerAddress(t *testing.T) {
	h, _ := setup(t)
	c := h.Client()
	limit := spidlogin.DefaultStartLimit().Max
	for i := 0; i < limit; i++ {
		if r := c.Post("/login/oidc", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("start %d: %d", i+1, r.Status)
		}
	}
	r := c.Post("/login/oidc", nil)
	if r.Status != http.StatusTooManyRequests || !strings.Contains(apptest.Text(r.Body), "troppi accessi") {
		t.Fatalf("start over the limit: %d %s", r.Status, apptest.Text(r.Body))
	}
	if n := h.Count(`SELECT COUNT(*) FROM oidc_states`); n != limit {
		t.Fatalf("%d states stored, want %d", n, limit)
	}
}
