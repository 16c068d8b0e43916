package oidclogin_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/config"
)

// The strong logins on the password login page: "Entra con SPID" when SPID
// is on, the municipality's OpenID Connect login when configured, nothing
// more when neither is.

func spidHarness(t *testing.T) *apptest.Harness {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"sp.key", "sp.crt", "idp.key", "idp.crt"} {
		b, err := os.ReadFile(filepath.Join("..", "spid", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return apptest.New(t, apptest.Demo, func(c *config.Config) { c.SPIDDemoDir = dir })
}

var headingRE = regexp.MustCompile(`<h([1-6])[ >]`)

// checkHeadings wants one h1, first, and no level skipped.
func checkHeadings(t *testing.T, body string) {
	t.Helper()
	main := body[strings.Index(body, "<main"):]
	levels := headingRE.FindAllStringSubmatch(main, -1)
	if len(levels) == 0 || levels[0][1] != "1" || strings.Count(body, "<h1") != 1 {
		t.Fatalf("headings %v", levels)
	}
	prev := 1
	for _, l := range levels[1:] {
		n := int(l[1][0] - '0')
		if n > prev+1 {
			t.Errorf("heading h%d after h%d", n, prev)
		}
		prev = n
	}
}

func TestLoginPageOffersSPID(t *testing.T) {
	h := spidHarness(t)
	c := h.Client()
	r := c.Get("/login?next=/processes")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /login: %d", r.Status)
	}
	checkHeadings(t, r.Body)
	text := apptest.Text(r.Body)
	if !strings.Contains(r.Body, `<h2 id="login-spid-heading" class="h4">Accedi con SPID</h2>`) || !strings.Contains(text, "Entra con SPID") {
		t.Fatalf("no SPID section: %s", text)
	}
	// A plain link (no JavaScript needed) that keeps where the person was going.
	link := regexp.MustCompile(`<a href="(/login/spid[^"]*)" class="btn btn-primary[^"]*">`).FindStringSubmatch(r.Body)
	if link == nil || link[1] != "/login/spid?next=%2fprocesses" {
		t.Fatalf("SPID link %v", link)
	}
	if strings.Contains(r.Body, `action="/login/oidc"`) {
		t.Error("OpenID Connect login offered but not configured")
	}
	spid := c.Get(link[1])
	if spid.Status != http.StatusOK || !strings.Contains(spid.Body, `<input type="hidden" name="next" value="/processes">`) {
		t.Fatalf("the SPID page lost next: %d", spid.Status)
	}

	// Where to go next comes from the address bar: only a local path is kept.
	for _, next := range []string{"https://evil.example/", "//evil.example", `/x"><script>alert(1)</script>`, "javascript:alert(1)"} {
		r := c.Get("/login?next=" + url.QueryEscape(next))
		m := regexp.MustCompile(`<a href="(/login/spid[^"]*)"`).FindStringSubmatch(r.Body)
		if m == nil || strings.Contains(m[1], "evil") || strings.Contains(r.Body, "<script>alert") || strings.Contains(m[1], "javascript") {
			t.Errorf("next %q: link %v", next, m)
		}
	}

	// A wrong password re-renders the page with the same options.
	r = c.Post("/login", url.Values{"email": {"nobody@example.org"}, "password": {"wrong"}, "next": {"/processes"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="/login/spid?next=%2fprocesses"`) {
		t.Errorf("re-rendered login: %d, SPID link kept: %v", r.Status, strings.Contains(r.Body, "/login/spid"))
	}
	c.Lang = "en"
	if r := c.Get("/login"); !strings.Contains(r.Body, "Log in with SPID") || !strings.Contains(r.Body, "Sign in with SPID") {
		t.Errorf("English login page: %s", apptest.Text(r.Body))
	}
}

func TestLoginPageWithoutStrongLogins(t *testing.T) {
	h := apptest.New(t)
	r := h.Client().Get("/login")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /login: %d", r.Status)
	}
	checkHeadings(t, r.Body)
	for _, s := range []string{"/login/spid", "Entra con SPID", "Accedi con SPID", "/login/oidc", "<h2"} {
		if strings.Contains(r.Body, s) {
			t.Errorf("login page without SPID or OIDC shows %q", s)
		}
	}
}

func TestLoginPageOffersOIDC(t *testing.T) {
	h, p := setup(t)
	c := h.Client()
	r := c.Get("/login?next=/processes")
	checkHeadings(t, r.Body)
	if strings.Contains(r.Body, "/login/spid") {
		t.Error("SPID offered but not enabled")
	}
	form := regexp.MustCompile(`(?s)<form method="post" action="/login/oidc"[^>]*>(.*?)</form>`).FindStringSubmatch(r.Body)
	if form == nil || !strings.Contains(form[1], `<input type="hidden" name="next" value="/processes">`) || !strings.Contains(form[1], "Entra con MilanoID") {
		t.Fatalf("no OpenID Connect form: %s", apptest.Text(r.Body))
	}
	// The form's answer redirects to the provider: the page's CSP lets it.
	csp := r.Header.Get("Content-Security-Policy")
	if !regexp.MustCompile(`form-action 'self'[^;]* ` + regexp.QuoteMeta(p.srv.URL)).MatchString(csp) {
		t.Errorf("CSP does not let the form reach the provider: %s", csp)
	}
	// The button works: the provider receives the login.
	start := c.Post("/login/oidc", url.Values{"next": {"/processes"}})
	if start.Status != http.StatusSeeOther || !strings.HasPrefix(start.Location, p.srv.URL+"/authorize?") {
		t.Fatalf("start: %d %q", start.Status, start.Location)
	}
}
