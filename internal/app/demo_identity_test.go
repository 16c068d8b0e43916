package app_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/eligibility"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
)

// spidDemo runs the platform in demo mode with the spid package's fixed
// test keys (generating RSA keys per test is slow).
func spidDemo(t *testing.T) *apptest.Harness {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"sp.key", "sp.crt", "idp.key", "idp.crt"} {
		b, err := os.ReadFile(filepath.Join("..", "identity", "spid", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return apptest.New(t, apptest.Demo, func(c *config.Config) { c.SPIDDemoDir = dir })
}

var (
	demoFormRE   = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	demoHiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	demoIdPRE    = regexp.MustCompile(`name="idp" value="([^"]+)"`)
)

// firstForm reads a page's first form: its action, relative to the
// harness, and its hidden fields.
func firstForm(t *testing.T, h *apptest.Harness, r *apptest.Response) (string, url.Values) {
	t.Helper()
	m := demoFormRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no form (status %d): %s", r.Status, apptest.Text(r.Body))
	}
	vals := url.Values{}
	for _, f := range demoHiddenRE.FindAllStringSubmatch(r.Body, -1) {
		vals.Set(f[1], html.UnescapeString(f[2]))
	}
	return strings.TrimPrefix(html.UnescapeString(m[1]), h.Srv.URL), vals
}

// demoSPIDSignUp is what a person does in the demo: "Entra con SPID" on
// the login page, the test IdP, a person, then the nickname.
func demoSPIDSignUp(t *testing.T, h *apptest.Harness, c *apptest.Client, person, nickname string) {
	t.Helper()
	m := regexp.MustCompile(`href="(/login/spid[^"]*)"`).FindStringSubmatch(c.Get("/login").Body)
	if m == nil {
		t.Fatal("no SPID link on /login")
	}
	idp := demoIdPRE.FindStringSubmatch(c.Get(html.UnescapeString(m[1])).Body)
	if idp == nil {
		t.Fatal("no identity provider on the SPID page")
	}
	action, fields := firstForm(t, h, c.Post("/login/spid", url.Values{"idp": {html.UnescapeString(idp[1])}, "level": {"2"}}))
	_, chooser := firstForm(t, h, c.Post(action, fields))
	action, fields = firstForm(t, h, c.Post(action+"/choose", url.Values{"token": {chooser.Get("token")}, "person": {person}, "action": {"login"}}))
	if action != "/spid/acs" {
		t.Fatalf("test IdP posts to %q", action)
	}
	r := c.Follow(c.Post(action, fields))
	if r.Location != "/login/welcome" {
		t.Fatalf("after the ACS: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	r = c.Post("/login/welcome", url.Values{"nickname": {nickname}, "locale": {"it"}, "privacy": {"on"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("welcome: %d %s", r.Status, apptest.Text(r.Body))
	}
}

// The test IdP's people are on the demo census, so the demo shows
// eligibility working: a SPID login as the adult resident of Municipio 1
// makes her a resident elector of Municipio 1.
func TestDemoCensus(t *testing.T) {
	h := spidDemo(t)
	ctx := context.Background()
	for range 2 { // the second run adds nothing
		if _, err := h.App.LoadDemo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for query, want := range map[string]int{
		`SELECT COUNT(*) FROM census_imports WHERE kind = 'residents'`:                      1,
		`SELECT COUNT(*) FROM census_imports WHERE kind = 'electors'`:                       1,
		`SELECT COUNT(*) FROM census_residents`:                                             4,
		`SELECT COUNT(*) FROM census_electors`:                                              1,
		`SELECT COUNT(*) FROM territories WHERE census_code <> ''`:                          9,
		`SELECT COUNT(*) FROM territories WHERE slug = 'municipio-8' AND census_code = '8'`: 1,
	} {
		if n := h.Count(query); n != want {
			t.Errorf("%s = %d, want %d", query, n, want)
		}
	}
	st := h.App.Services.IdentityX.Census
	people := testidp.People(h.Clock.Now())
	for _, p := range people {
		res, err := st.Source(census.Residents).Lookup(ctx, p.FiscalNumber)
		if err != nil {
			t.Fatal(err)
		}
		el, err := st.Source(census.Electors).Lookup(ctx, p.FiscalNumber)
		if err != nil {
			t.Fatal(err)
		}
		if res.Listed != p.Resident || el.Listed != p.Elector || (p.Resident && res.Municipio != map[string]string{
			"adult-resident": "1", "resident-16": "5", "minor-15": "3", "resident-not-elector": "8"}[p.Key]) {
			t.Errorf("%s: resident %+v, elector %+v", p.Key, res, el)
		}
	}

	c := h.Client()
	demoSPIDSignUp(t, h, c, "adult-resident", "maria_r")
	u, err := h.App.Services.Identity.UserByNickname(ctx, "maria_r")
	if err != nil {
		t.Fatal(err)
	}
	id, err := h.App.Services.IdentityX.Verification.Identity(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Resident || id.Municipio != "1" || !id.Elector || id.CheckedAt.IsZero() {
		t.Fatalf("identity after login: resident %v municipio %q elector %v checked %v", id.Resident, id.Municipio, id.Elector, id.CheckedAt)
	}
	if page := apptest.Text(c.Get("/account/verifications").Body); !strings.Contains(page, "Municipio 1") {
		t.Errorf("verification page: %s", page)
	}
	var mun1, mun8 int64
	if err := h.DB.R().QueryRow(`SELECT id FROM territories WHERE slug = 'municipio-1'`).Scan(&mun1); err != nil {
		t.Fatal(err)
	}
	if err := h.DB.R().QueryRow(`SELECT id FROM territories WHERE slug = 'municipio-8'`).Scan(&mun8); err != nil {
		t.Fatal(err)
	}
	ev := h.App.Services.IdentityX.Eligibility
	req := eligibility.Presets["resident_municipio"]
	for tid, want := range map[int64]bool{mun1: true, mun8: false} {
		terr, err := eligibility.LoadTerritory(ctx, h.DB.R(), tid)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ev.Check(ctx, u.ID, req, terr)
		if err != nil {
			t.Fatal(err)
		}
		if res.OK != want {
			t.Errorf("resident of Municipio 1 in territory %q: OK %v (%s)", terr.Code, res.OK, res.ReasonKey)
		}
	}
	if res, err := ev.Check(ctx, u.ID, eligibility.Presets["electors"], eligibility.Comune); err != nil || !res.OK {
		t.Errorf("elector: %+v %v", res, err)
	}

	// The next day the people's codici fiscali move with their birth
	// dates: the demo list follows them, replacing itself.
	h.Clock.Advance(24 * time.Hour)
	if _, err := h.App.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.Count(`SELECT COUNT(*) FROM census_imports WHERE kind = 'residents'`); n != 2 {
		t.Errorf("%d resident imports after a day, want 2", n)
	}
	if rec, err := st.Source(census.Residents).Lookup(ctx, testidp.People(h.Clock.Now())[0].FiscalNumber); err != nil || !rec.Listed {
		t.Errorf("adult resident not listed the next day: %+v %v", rec, err)
	}
}

// A list an operator imported is theirs: the demo does not replace it.
func TestDemoCensusKeepsAnImportedList(t *testing.T) {
	h := spidDemo(t)
	ctx := context.Background()
	cf := testidp.People(h.Clock.Now())[3].FiscalNumber // the commuter, resident per this list
	if _, err := h.App.Services.IdentityX.Census.Import(ctx, census.Residents, strings.NewReader("codice_fiscale;municipio\n"+cf+";2\n"), census.ImportOptions{Source: "anagrafe.csv"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.App.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.Count(`SELECT COUNT(*) FROM census_residents`); n != 1 {
		t.Errorf("%d residents, want the imported 1", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM census_electors`); n != 1 {
		t.Errorf("%d electors, want the demo's 1", n)
	}
}
