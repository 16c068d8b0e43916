package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/config"
)

func TestPlatformBasics(t *testing.T) {
	h := apptest.New(t)
	c := h.Client()

	home := c.Get("/")
	if home.Status != 200 {
		t.Fatalf("home: %d", home.Status)
	}
	csp := home.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP not strict: %q", csp)
	}
	if home.Header.Get("X-Request-Id") == "" {
		t.Fatal("no request id")
	}

	// Unknown URLs: a 404 page in the user's language.
	c.Lang = "en"
	nf := c.Get("/no/such/page")
	if nf.Status != 404 || !strings.Contains(nf.Body, "Page not found") || !strings.Contains(nf.Body, `lang="en"`) {
		t.Fatalf("404 page in English: %d %s", nf.Status, apptest.Text(nf.Body))
	}
	c.Lang = "it-IT,it;q=0.9"
	if nf := c.Get("/no/such/page"); !strings.Contains(nf.Body, "Pagina non trovata") {
		t.Fatalf("404 page in Italian: %s", apptest.Text(nf.Body))
	}

	// Switching language sets a cookie that wins over Accept-Language.
	r := c.Post("/lang", url.Values{"lang": {"en"}, "next": {"/no/such/page"}})
	if r.Status != http.StatusSeeOther || r.Location != "/no/such/page" {
		t.Fatalf("lang switch: %d %q", r.Status, r.Location)
	}
	if nf := c.Get("/no/such/page"); !strings.Contains(nf.Body, "Page not found") {
		t.Fatalf("after switch: %s", apptest.Text(nf.Body))
	}
	// An open redirect through next is refused.
	if r := c.Post("/lang", url.Values{"lang": {"it"}, "next": {"//evil.example/x"}}); r.Location != "/" {
		t.Fatalf("open redirect: %q", r.Location)
	}

	// Cross-origin form posts are refused (CSRF).
	req, _ := http.NewRequest(http.MethodPost, h.URL("/lang"), strings.NewReader("lang=en"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", resp.StatusCode)
	}

	// Oversized bodies: 413.
	big := strings.Repeat("a", 2<<20)
	if r := c.PostRaw("/lang", "application/x-www-form-urlencoded", strings.NewReader("lang="+big)); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized: %d", r.Status)
	}

	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/static/app.css", "/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css"} {
		if r := c.Get(p); r.Status != 200 {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	if r := c.Get("/metrics"); !strings.Contains(r.Body, "arengo_http_requests_total") {
		t.Error("metrics lack request counter")
	}
	// /dev/mail exists only in demo mode.
	if r := c.Get("/dev/mail"); r.Status != 404 {
		t.Fatalf("/dev/mail outside demo: %d", r.Status)
	}
}

func TestMetricsToken(t *testing.T) {
	h := apptest.New(t, func(c *config.Config) { c.MetricsToken = "s3cret" })
	c := h.Client()
	if r := c.Get("/metrics"); r.Status != http.StatusUnauthorized {
		t.Fatalf("metrics without token: %d", r.Status)
	}
	req, _ := http.NewRequest(http.MethodGet, h.URL("/metrics"), nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics with token: %d", resp.StatusCode)
	}
}
