package testidp_test

import (
	"errors"
	"html"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
)

func TestCodiceFiscale(t *testing.T) {
	// Published examples (Agenzia delle Entrate, Wikipedia).
	cases := []struct {
		surname, name string
		birth         time.Time
		female        bool
		place, want   string
	}{
		{"Rossi", "Mario", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), false, "H501", "RSSMRA80A01H501U"},
		{"Moretti", "Matteo", time.Date(1925, 4, 9, 0, 0, 0, 0, time.UTC), false, "F205", "MRTMTT25D09F205Z"},
	}
	for _, tc := range cases {
		if got := testidp.CodiceFiscale(tc.surname, tc.name, tc.birth, tc.female, tc.place); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.name, tc.surname, got, tc.want)
		}
	}
}

func TestPeopleAgesFollowTheClock(t *testing.T) {
	for _, now := range []time.Time{time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC), time.Date(2031, 12, 31, 23, 0, 0, 0, time.UTC)} {
		ages := map[string]int{}
		for _, p := range testidp.People(now) {
			age := now.Year() - p.DateOfBirth.Year()
			if now.YearDay() < p.DateOfBirth.YearDay() {
				age--
			}
			ages[p.Key] = age
			if len(p.FiscalNumber) != 16 || testidp.CheckChar(p.FiscalNumber[:15]) != p.FiscalNumber[15] {
				t.Errorf("%s: bad codice fiscale %s", p.Key, p.FiscalNumber)
			}
		}
		if ages["adult-resident"] < 18 || ages["resident-16"] != 16 || ages["minor-15"] != 15 || ages["commuter"] < 18 || ages["resident-not-elector"] < 18 {
			t.Errorf("%s: ages %v", now, ages)
		}
	}
}

func read(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	fieldRE  = regexp.MustCompile(`<input type="hidden" name="([A-Za-z]+)" value="([^"]*)">`)
)

func form(t *testing.T, body string) (string, url.Values) {
	t.Helper()
	m := actionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form in\n%s", body)
	}
	v := url.Values{}
	for _, f := range fieldRE.FindAllStringSubmatch(body, -1) {
		v.Add(f[1], html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), v
}

// TestBrowserJourney walks the pages a person sees, without JavaScript:
// SP POST page → IdP person chooser → IdP POST page → SP ACS.
func TestBrowserJourney(t *testing.T) {
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	rnd := rand.NewChaCha8([32]byte{7})
	store := &spid.SQLRequestStore{DB: dbtest.SQLite(t), Clock: clock}
	var idps spid.StaticIdPs
	sp, err := spid.New(spid.Config{
		EntityID: "http://localhost:8080/spid/metadata", BaseURL: "http://localhost:8080",
		KeyPEM: read(t, "sp.key"), CertPEM: read(t, "sp.crt"),
		Organization: spid.Organization{NameIT: "Comune demo", DisplayNameIT: "Comune demo", URLIT: "http://localhost:8080"},
		Contact:      spid.Contact{Public: true, IPACode: "c_demo", Email: "demo@example.invalid"},
		AttributeServices: []spid.AttributeService{{Index: 0, ServiceNameIT: "Partecipazione",
			Attributes: []string{spid.AttrFiscalNumber, spid.AttrName, spid.AttrFamilyName, spid.AttrDateOfBirth}}},
	}, spid.Options{Clock: clock, Rand: rnd, Requests: store, IdPs: &idps})
	if err != nil {
		t.Fatal(err)
	}
	md, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	idp, err := testidp.New(testidp.Config{BaseURL: "http://localhost:8080/test-idp", KeyPEM: read(t, "idp.key"), CertPEM: read(t, "idp.crt"),
		SPMetadata: [][]byte{md}, Clock: clock, Rand: rnd, SignResponse: true})
	if err != nil {
		t.Fatal(err)
	}
	idps = append(idps, idp.Descriptor())

	for _, who := range []string{"minor-15", "cancel"} {
		rec := httptest.NewRecorder()
		if err := sp.StartLogin(rec, httptest.NewRequest(http.MethodGet, "http://localhost:8080/login", nil), spid.LoginRequest{IdPEntityID: idp.EntityID(), Level: spid.SpidL2}); err != nil {
			t.Fatal(err)
		}
		cookie := rec.Result().Cookies()[0]
		if cookie.Secure || cookie.SameSite != http.SameSiteLaxMode {
			t.Fatalf("plain-http dev cookie %+v", cookie)
		}
		action, vals := form(t, rec.Body.String())
		r := httptest.NewRequest(http.MethodPost, action, strings.NewReader(vals.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		page := httptest.NewRecorder()
		idp.Handler().ServeHTTP(page, r)
		body := page.Body.String()
		if page.Code != http.StatusOK || strings.Contains(body, "<script") {
			t.Fatalf("chooser: %d\n%s", page.Code, body)
		}
		for _, p := range testidp.People(now) {
			if !strings.Contains(body, `<label for="person-`+p.Key+`">`) || !strings.Contains(body, p.FiscalNumber) {
				t.Fatalf("person %s not listed with a label", p.Key)
			}
		}
		token := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(body)[1]
		choice := url.Values{"token": {token}, "person": {"minor-15"}, "action": {"login"}}
		if who == "cancel" {
			choice.Set("action", "cancel")
		}
		r = httptest.NewRequest(http.MethodPost, "http://localhost:8080/test-idp/sso/choose", strings.NewReader(choice.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		back := httptest.NewRecorder()
		idp.Handler().ServeHTTP(back, r)
		if !strings.Contains(back.Body.String(), "data-autosubmit") || !strings.Contains(back.Body.String(), `<button type="submit">`) {
			t.Fatalf("IdP POST page:\n%s", back.Body)
		}
		action, vals = form(t, back.Body.String())
		if action != sp.ACSURL() {
			t.Fatalf("posts to %s", action)
		}
		r = httptest.NewRequest(http.MethodPost, action, strings.NewReader(vals.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(cookie)
		a, err := sp.ValidateResponse(r.Context(), r)
		if who == "cancel" {
			var e *spid.Error
			if a != nil || !errors.As(err, &e) || e.Code != spid.CodeUserCancelled {
				t.Fatalf("cancel: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "Sofia" || now.Sub(a.DateOfBirth) < 15*365*24*time.Hour || now.Sub(a.DateOfBirth) > 16*365*24*time.Hour {
			t.Fatalf("assertion %+v", a)
		}
		// The chooser's token is single-use.
		r = httptest.NewRequest(http.MethodPost, "http://localhost:8080/test-idp/sso/choose", strings.NewReader(choice.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		again := httptest.NewRecorder()
		idp.Handler().ServeHTTP(again, r)
		if again.Code != http.StatusBadRequest {
			t.Fatalf("token reused: %d", again.Code)
		}
	}
}

func TestIdPRejectsUnsignedAuthnRequest(t *testing.T) {
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	idp, err := testidp.New(testidp.Config{BaseURL: "http://localhost/test-idp", KeyPEM: read(t, "idp.key"), CertPEM: read(t, "idp.crt"),
		Clock: func() time.Time { return now }, Rand: rand.NewChaCha8([32]byte{})})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "http://localhost/test-idp/sso", strings.NewReader("SAMLRequest=PHg%2BPC94Pg%3D%3D"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	idp.Handler().ServeHTTP(rec, r)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d", rec.Code)
	}
}
