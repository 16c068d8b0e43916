package oidclogin

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

func testKey(t *testing.T, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile("../spid/testdata/" + name)
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

func enc(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// keyServer is a provider's jwks_uri: the verifier under test fetches the
// keys over HTTP, as in production (oidc.NewRemoteKeySet), so key IDs and
// key rotation are exercised too.
type keyServer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    []map[string]string
	fetches int
}

func newKeyServer(t *testing.T) *keyServer {
	ks := &keyServer{}
	ks.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.mu.Lock()
		defer ks.mu.Unlock()
		ks.fetches++
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": ks.keys})
	}))
	t.Cleanup(ks.srv.Close)
	return ks
}

func (ks *keyServer) add(kid string, pub crypto.PublicKey) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	switch k := pub.(type) {
	case *rsa.PublicKey:
		ks.keys = append(ks.keys, map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
			"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())})
	case *ecdsa.PublicKey:
		ks.keys = append(ks.keys, map[string]string{"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
			"x": b64(k.X.FillBytes(make([]byte, 32))), "y": b64(k.Y.FillBytes(make([]byte, 32)))})
	}
}

// Tokens are signed by hand, not with go-jose: the test must not share the
// code it checks.
func signRS256(t *testing.T, key *rsa.PrivateKey, header, claims map[string]any) string {
	in := enc(header) + "." + enc(claims)
	d := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64(sig)
}

func signES256(t *testing.T, key *ecdsa.PrivateKey, header, claims map[string]any) string {
	in := enc(header) + "." + enc(claims)
	d := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64(append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...))
}

// Hostile ID tokens are refused before any claim is used; each differs from
// an accepted token in one respect only, so each fails if its check goes.
func TestVerifyIDTokenRefusals(t *testing.T) {
	key, other := testKey(t, "idp.key"), testKey(t, "other.key")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ks := newKeyServer(t)
	ks.add("k1", &key.PublicKey)
	ks.add("e1", &ecKey.PublicKey)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), ks.srv.Client()), ks.srv.URL)
	v := newIDTokenVerifier("https://op.example", "client", keys, func() time.Time { return now }, time.Minute)
	check := func(tok string) (map[string]any, error) {
		return v.verify(context.Background(), tok, "n")
	}

	good := map[string]any{"iss": "https://op.example", "sub": "s", "aud": "client", "exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "nonce": "n"}
	with := func(kv ...any) map[string]any {
		c := map[string]any{}
		for a, b := range good {
			c[a] = b
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	rs := map[string]any{"alg": "RS256", "kid": "k1"}
	es := map[string]any{"alg": "ES256", "kid": "e1"}

	for name, tok := range map[string]string{
		"RS256":                            signRS256(t, key, rs, good),
		"ES256":                            signES256(t, ecKey, es, good),
		"no kid, one key fits":             signRS256(t, key, map[string]any{"alg": "RS256"}, good),
		"expired within the clock skew":    signRS256(t, key, rs, with("exp", now.Add(-30*time.Second).Unix())),
		"issued within the clock skew":     signRS256(t, key, rs, with("iat", now.Add(30*time.Second).Unix())),
		"several audiences, azp is us":     signRS256(t, key, rs, with("aud", []string{"client", "other"}, "azp", "client")),
		"azp is us":                        signRS256(t, key, rs, with("azp", "client")),
		"audience as an array of one":      signRS256(t, key, rs, with("aud", []string{"client"})),
		"extra claims kept for the caller": signRS256(t, key, rs, with("fiscal_number", "TINIT-X")),
	} {
		claims, err := check(tok)
		if err != nil {
			t.Errorf("%s: good token refused: %v", name, err)
			continue
		}
		if claims["sub"] != "s" || (name == "extra claims kept for the caller" && claims["fiscal_number"] != "TINIT-X") {
			t.Errorf("%s: claims %v", name, claims)
		}
	}

	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	// The classic algorithm confusion: HMAC keyed with the public key.
	hs256 := func(secret []byte) string {
		in := enc(map[string]any{"alg": "HS256", "kid": "k1"}) + "." + enc(good)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		return in + "." + b64(m.Sum(nil))
	}
	cases := map[string]string{
		"alg none":              enc(map[string]any{"alg": "none", "kid": "k1"}) + "." + enc(good) + ".",
		"HS256 with public key": hs256(pubPEM),
		"HS256 with modulus":    hs256(key.PublicKey.N.Bytes()),
		"RS384 (not accepted)": func() string {
			in := enc(map[string]any{"alg": "RS384", "kid": "k1"}) + "." + enc(good)
			d := crypto.SHA384.New()
			d.Write([]byte(in))
			sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA384, d.Sum(nil))
			return in + "." + b64(sig)
		}(),
		"alg of another key":    signRS256(t, key, map[string]any{"alg": "ES256", "kid": "k1"}, good),
		"unknown kid":           signRS256(t, key, map[string]any{"alg": "RS256", "kid": "zz"}, good),
		"signed by another key": signRS256(t, other, rs, good),
		"crit header":           signRS256(t, key, map[string]any{"alg": "RS256", "kid": "k1", "crit": []string{"x"}, "x": 1}, good),
		"wrong issuer":          signRS256(t, key, rs, with("iss", "https://evil.example")),
		"no issuer":             signRS256(t, key, rs, with("iss", nil)),
		"wrong audience":        signRS256(t, key, rs, with("aud", "other")),
		"azp missing":           signRS256(t, key, rs, with("aud", []string{"client", "other"})),
		"azp another client":    signRS256(t, key, rs, with("azp", "other")),
		"expired":               signRS256(t, key, rs, with("exp", now.Add(-2*time.Minute).Unix())),
		"no expiry":             signRS256(t, key, rs, with("exp", nil)),
		"future iat":            signRS256(t, key, rs, with("iat", now.Add(time.Hour).Unix())),
		"no iat":                signRS256(t, key, rs, with("iat", nil)),
		"wrong nonce":           signRS256(t, key, rs, with("nonce", "m")),
		"no nonce":              signRS256(t, key, rs, with("nonce", nil)),
		"no subject":            signRS256(t, key, rs, with("sub", "")),
		"tampered claims":       strings.Replace(signRS256(t, key, rs, good), enc(good), enc(with("sub", "admin")), 1),
		"signature stripped":    strings.TrimRightFunc(signRS256(t, key, rs, good), func(r rune) bool { return r != '.' }),
		"JSON, no signature":    `{"payload":"` + enc(good) + `","signatures":[]}`,
		"oversized":             signRS256(t, key, rs, with("pad", strings.Repeat("a", maxIDTokenLen))),
		"two parts":             "a.b",
		"garbage":               "!!!.###.$$$",
		"empty":                 "",
	}
	for name, tok := range cases {
		if _, err := check(tok); !errors.Is(err, errToken) {
			t.Errorf("%s: %v, want errToken", name, err)
		}
	}
}

// A provider rotating its keys: a token naming a new key fetches the key
// set again; keys are not fetched before the first token.
func TestVerifyIDTokenKeyRotation(t *testing.T) {
	key, other := testKey(t, "idp.key"), testKey(t, "other.key")
	ks := newKeyServer(t)
	ks.add("k1", &key.PublicKey)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), ks.srv.Client()), ks.srv.URL)
	v := newIDTokenVerifier("https://op.example", "client", keys, func() time.Time { return now }, time.Minute)
	if ks.fetches != 0 {
		t.Fatal("keys fetched before any token")
	}
	claims := map[string]any{"iss": "https://op.example", "sub": "s", "aud": "client", "exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "nonce": "n"}
	if _, err := v.verify(context.Background(), signRS256(t, key, map[string]any{"alg": "RS256", "kid": "k1"}, claims), "n"); err != nil {
		t.Fatal(err)
	}
	rotated := signRS256(t, other, map[string]any{"alg": "RS256", "kid": "k2"}, claims)
	if _, err := v.verify(context.Background(), rotated, "n"); !errors.Is(err, errToken) {
		t.Fatalf("token of a key not yet published: %v", err)
	}
	ks.add("k2", &other.PublicKey)
	if _, err := v.verify(context.Background(), rotated, "n"); err != nil {
		t.Fatalf("token of the rotated key: %v", err)
	}
}
