// Package apptest runs the whole platform for tests: a real migrated
// database (SQLite, or PostgreSQL with ARENGO_TEST_ENGINE=postgres), the real
// handlers behind a real HTTP server, and browser-like clients with cookies.
package apptest

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app"
	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

// Harness is a running platform.
type Harness struct {
	T     testing.TB
	App   *app.App
	DB    *db.DB
	Srv   *httptest.Server
	Clock *kernel.FixedClock
}

// Option adjusts the configuration before wiring.
type Option func(*config.Config)

// Demo turns demo mode on (mail viewer, demo content loaders).
func Demo(c *config.Config) { c.Demo = true }

// New starts the platform on a fresh database with the clock at
// 2026-11-23 10:00 UTC.
func New(t testing.TB, opts ...Option) *Harness {
	t.Helper()
	var d *db.DB
	if tt, ok := t.(*testing.T); ok {
		d = dbtest.Open(tt)
	} else {
		d = dbtest.SQLite(t)
	}
	return NewWithDB(t, d, opts...)
}

// NewWithDB starts the platform on d.
func NewWithDB(t testing.TB, d *db.DB, opts ...Option) *Harness {
	t.Helper()
	cfg := config.Defaults()
	cfg.DatabaseURL = "test"
	cfg.OrgName = "Comune di Prova"
	// Cheap password hashes: tests create hundreds of accounts. The
	// production costs are covered by the identity package's own tests.
	cfg.Argon2MemoryKiB, cfg.Argon2Time = 1024, 1
	for _, o := range opts {
		o(&cfg)
	}
	clock := &kernel.FixedClock{T: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	a, err := app.Wire(cfg, log, clock, d)
	if err != nil {
		t.Fatalf("wire: %v", err)
	}
	srv.Config.Handler = a.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return &Harness{T: t, App: a, DB: d, Srv: srv, Clock: clock}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// URL returns the absolute URL of path.
func (h *Harness) URL(path string) string { return h.Srv.URL + path }

// Client is a browser: it keeps cookies and does not follow redirects
// automatically (tests assert them).
type Client struct {
	h    *Harness
	HTTP *http.Client
	// Lang is sent as Accept-Language ("it" when empty).
	Lang string
}

// Client returns a new anonymous browser.
func (h *Harness) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{h: h, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Response is a read response.
type Response struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

func (c *Client) do(req *http.Request) *Response {
	c.h.T.Helper()
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.h.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Body: string(b), Header: resp.Header, Location: resp.Header.Get("Location")}
}

// Get fetches path.
func (c *Client) Get(path string) *Response {
	c.h.T.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.h.URL(path), nil)
	return c.do(req)
}

// Post submits a urlencoded form to path.
func (c *Client) Post(path string, form url.Values) *Response {
	c.h.T.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.h.URL(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// PostRaw sends body with contentType to path (for hostile input tests).
func (c *Client) PostRaw(path, contentType string, body io.Reader) *Response {
	c.h.T.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.h.URL(path), body)
	req.Header.Set("Content-Type", contentType)
	return c.do(req)
}

// Follow fetches the Location of r.
func (c *Client) Follow(r *Response) *Response {
	c.h.T.Helper()
	if r.Location == "" {
		c.h.T.Fatalf("no redirect (status %d)", r.Status)
	}
	return c.Get(r.Location)
}

// CreateUser makes a confirmed account directly through the identity service.
func (h *Harness) CreateUser(email, nickname string, admin bool) identity.User {
	h.T.Helper()
	u, err := h.App.Services.Identity.CreateUser(context.Background(), identity.NewUser{
		Email: email, Nickname: nickname, Password: "correct-horse-battery", Locale: "it", IsAdmin: admin, Confirmed: true,
	})
	if err != nil {
		h.T.Fatalf("create user: %v", err)
	}
	return u
}

// LoginAs gives the client a real session for u (as the login page would).
func (c *Client) LoginAs(u identity.User) *Client {
	c.h.T.Helper()
	token, err := c.h.App.Services.Identity.CreateSession(context.Background(), u.ID, "apptest")
	if err != nil {
		c.h.T.Fatalf("create session: %v", err)
	}
	base, _ := url.Parse(c.h.Srv.URL)
	c.HTTP.Jar.SetCookies(base, []*http.Cookie{{Name: web.SessionCookie, Value: token, Path: "/"}})
	return c
}

// Admin returns a client signed in as a new platform administrator.
func (h *Harness) Admin() *Client {
	h.T.Helper()
	return h.Client().LoginAs(h.CreateUser("admin@prova.it", "admin_prova", true))
}

// Participant returns a client signed in as a new participant.
func (h *Harness) Participant(nickname string) *Client {
	h.T.Helper()
	return h.Client().LoginAs(h.CreateUser(nickname+"@prova.it", nickname, false))
}

// Count returns SELECT COUNT(*) for a query (to assert nothing half-written).
func (h *Harness) Count(query string, args ...any) int {
	h.T.Helper()
	var n int
	if err := h.DB.R().QueryRow(query, args...).Scan(&n); err != nil {
		h.T.Fatalf("count %q: %v", query, err)
	}
	return n
}

var tagRe = regexp.MustCompile(`<[^>]+>`)

// Text strips tags, decodes entities and collapses spaces: assert on what a
// person reads.
func Text(page string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRe.ReplaceAllString(page, " "))), " ")
}

// LastMail returns the newest outbox message to address.
func (h *Harness) LastMail(to string) (subject, body string) {
	h.T.Helper()
	err := h.DB.R().QueryRow(`SELECT subject, body_text FROM outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1`, to).Scan(&subject, &body)
	if err != nil {
		h.T.Fatalf("no mail to %s: %v", to, err)
	}
	return subject, body
}
