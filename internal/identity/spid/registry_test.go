package spid_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
)

func testIdPMetadata(t *testing.T, f *fixture, base, key string) []byte {
	t.Helper()
	idp, err := testidp.New(testidp.Config{
		BaseURL: base, KeyPEM: readTestdata(t, key+".key"), CertPEM: readTestdata(t, key+".crt"),
		Clock: f.clock.Now, Rand: f.rand,
	})
	if err != nil {
		t.Fatal(err)
	}
	md, err := idp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// entities wraps EntityDescriptors (without their XML declarations) in an
// EntitiesDescriptor, as AgID's registry publishes them.
func entities(mds ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">`)
	for _, md := range mds {
		if i := bytes.Index(md, []byte("?>")); i >= 0 {
			md = md[i+2:]
		}
		b.Write(md)
	}
	b.WriteString(`</md:EntitiesDescriptor>`)
	return b.Bytes()
}

func TestRegistryLoadsAndShuffles(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	a := testIdPMetadata(t, f, "https://a.example", "idp")
	b := testIdPMetadata(t, f, "https://b.example", "other")
	c := testIdPMetadata(t, f, "https://c.example", "idp")
	file := filepath.Join(t.TempDir(), "idps.xml")
	if err := os.WriteFile(file, entities(b, c), 0o600); err != nil {
		t.Fatal(err)
	}
	reg, err := spid.NewRegistry(context.Background(), spid.RegistryConfig{
		Sources:      []spid.RegistrySource{{Name: "inline", Data: a}, {Name: "file", File: file}},
		AllowList:    []string{"https://a.example", "https://b.example"},
		DisplayNames: map[string]string{"https://b.example": "IdP B"},
		Logos:        map[string]string{"https://a.example": "/static/spid/a.svg"},
		Clock:        f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	idp, err := reg.IdP("https://a.example")
	if err != nil {
		t.Fatal(err)
	}
	if idp.SSO[spid.BindingPOST] != "https://a.example/sso" || idp.SSO[spid.BindingRedirect] == "" ||
		idp.SLO[spid.BindingPOST].Location != "https://a.example/slo" || len(idp.Certificates) != 1 || idp.LogoPath != "/static/spid/a.svg" {
		t.Fatalf("IdP %+v", idp)
	}
	if _, err := reg.IdP("https://c.example"); err == nil {
		t.Fatal("IdP outside the allow-list accepted")
	}
	btn, err := reg.Button(rand.NewChaCha8([32]byte{9}))
	if err != nil || len(btn) != 2 {
		t.Fatalf("button %v %v", btn, err)
	}
	names := map[string]bool{}
	for _, e := range btn {
		names[e.DisplayName] = true
	}
	if !names["IdP B"] || !names["SPID Test IdP (demo)"] {
		t.Fatalf("names %v", names)
	}
	// The order depends on the injected randomness only, and does vary.
	orders := map[string]bool{}
	for seed := byte(0); seed < 20; seed++ {
		btn, _ := reg.Button(rand.NewChaCha8([32]byte{seed}))
		orders[btn[0].EntityID] = true
		again, _ := reg.Button(rand.NewChaCha8([32]byte{seed}))
		if again[0] != btn[0] {
			t.Fatal("shuffle not deterministic for a given seed")
		}
	}
	if len(orders) != 2 {
		t.Fatal("shuffle never changes the order")
	}
}

func TestRegistryKeepsLastKnownGood(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	md := testIdPMetadata(t, f, "https://a.example", "idp")
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		_, _ = w.Write(md)
	}))
	defer srv.Close()
	reg, err := spid.NewRegistry(context.Background(), spid.RegistryConfig{
		Sources: []spid.RegistrySource{{Name: "agid", URL: srv.URL}}, Client: srv.Client(), Clock: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	if err := reg.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("refresh error %v", err)
	}
	if _, err := reg.IdP("https://a.example"); err != nil {
		t.Fatalf("last known good lost: %v", err)
	}
}

func TestRegistryVerifiesMetadataSignature(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	md := testIdPMetadata(t, f, "https://a.example", "idp")
	idpCert := keyPair(t, "idp").Cert
	otherCert := keyPair(t, "other").Cert
	cases := []struct {
		name   string
		data   []byte
		signer *x509.Certificate
		ok     bool
	}{
		{"signed by the expected key", md, idpCert, true},
		{"signed by another key", md, otherCert, false},
		{"altered after signing", bytes.Replace(md, []byte("https://a.example/sso"), []byte("https://evil.example/sso"), 1), idpCert, false},
		{"not XML", []byte("<<<"), idpCert, false},
		{"no IdP inside", []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`), nil, false},
	}
	for _, tc := range cases {
		cfg := spid.RegistryConfig{Sources: []spid.RegistrySource{{Data: tc.data}}, Clock: f.clock.Now}
		if tc.signer != nil {
			cfg.SignerCerts = []*x509.Certificate{tc.signer}
		}
		reg, err := spid.NewRegistry(context.Background(), cfg)
		_, lookupErr := reg.IdP("https://a.example")
		if (err == nil && lookupErr == nil) != tc.ok {
			t.Errorf("%s: load %v, lookup %v", tc.name, err, lookupErr)
		}
	}
}

func TestLoginThroughRegistry(t *testing.T) {
	// The SP trusts the IdP through its published metadata, with two
	// certificates (a key rollover): the second one signs.
	f := newFixture(t, dbtest.SQLite(t))
	md, err := f.idp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := spid.NewRegistry(context.Background(), spid.RegistryConfig{Sources: []spid.RegistrySource{{Data: md}}, Clock: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	idp, _ := reg.IdP(f.idp.EntityID())
	idp.Certificates = append([]*x509.Certificate{keyPair(t, "other").Cert}, idp.Certificates...)
	f.idps[0] = idp
	for _, emptyKeyInfo := range []bool{false, true} {
		pl := f.startLogin(spid.SpidL2, spid.BindingPOST, 0)
		mustLogin(t, f, pl, f.buildResponse(pl, testidp.ResponseOptions{EmptyKeyInfoCert: emptyKeyInfo}))
	}
}
