package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// page renders a well-formed page in the visitor's language with body inside <main>.
func page(r *http.Request, title, body string) string {
	lang := "it"
	if strings.HasPrefix(r.Header.Get("Accept-Language"), "en") {
		lang = "en"
	}
	return fmt.Sprintf(`<!doctype html><html lang="%s"><head><title>%s</title>
<link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script></head>
<body><a href="#main">skip</a><nav><a href="/">home</a></nav><main id="main"><h1>%s</h1>%s</main>
<svg><title>icon</title></svg></body></html>`, lang, title, title, body)
}

// site is a small web site; hits records every path requested.
type site struct {
	mu   sync.Mutex
	hits map[string]int
	mux  *http.ServeMux
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	s.mux.ServeHTTP(w, r)
}

func (s *site) hit(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func newSite(routes map[string]func(w http.ResponseWriter, r *http.Request)) *site {
	s := &site{hits: map[string]int{}, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /static/app.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, "body{background:url('/static/logo.png')}")
	})
	s.mux.HandleFunc("GET /static/logo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		fmt.Fprint(w, "png")
	})
	s.mux.HandleFunc("GET /static/app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, "")
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, page(r, "Not found", "<p>nothing here</p>"))
	})
	for pattern, h := range routes {
		s.mux.HandleFunc(pattern, h)
	}
	return s
}

func htmlPage(title, body string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page(r, title, body))
	}
}

func crawlSite(t *testing.T, s *site) Report {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	opt := Options{
		Base:     u,
		Max:      200,
		Skip:     regexp.MustCompile(defaultSkip),
		NoFollow: regexp.MustCompile(defaultNoFollow),
	}
	rep, err := Crawl(context.Background(), opt)
	if err != nil {
		t.Fatalf("Crawl: %v", err)
	}
	return rep
}

func problemsText(rep Report) string {
	var b strings.Builder
	for _, p := range rep.Problems {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

func TestCleanSitePasses(t *testing.T) {
	s := newSite(map[string]func(http.ResponseWriter, *http.Request){
		"GET /{$}":             htmlPage("Home", `<a href="/processes">processes</a> <a href="/old">old</a> <a href="mailto:x@example.org">mail</a> <a href="https://example.org/">out</a> <img src="/static/logo.png" alt="">`),
		"GET /processes":       htmlPage("Processes", `<a href="/processes/parco?x=1#top">parco</a> <form method="get" action="/processes"><button>filter</button></form> <form method="post" action="/lang"><button>EN</button></form>`),
		"GET /processes/parco": htmlPage("Parco", `<a href="/processes">back</a>`),
		"GET /old": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/processes", http.StatusMovedPermanently)
		},
		"POST /lang": func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("the crawler submitted a POST form")
		},
	})
	rep := crawlSite(t, s)
	if len(rep.Problems) != 0 {
		t.Fatalf("clean site reported problems:\n%s", problemsText(rep))
	}
	// /, /processes, /processes/parco?x=1 and the 404 probe, in each language.
	if rep.Pages["it"] != 4 || rep.Pages["en"] != 4 {
		t.Errorf("pages = %v, want 4 per locale", rep.Pages)
	}
	// app.css, app.js, logo.png: fetched once for both languages.
	if rep.Assets != 3 {
		t.Errorf("assets = %d, want 3", rep.Assets)
	}
	if got := s.hit("/static/app.css"); got != 1 {
		t.Errorf("app.css fetched %d times, want once", got)
	}
	if rep.Redirects != 2 {
		t.Errorf("redirects = %d, want 2 (one per locale)", rep.Redirects)
	}
}

func TestFindsBrokenLinksServerErrorsAndBadPages(t *testing.T) {
	s := newSite(map[string]func(http.ResponseWriter, *http.Request){
		"GET /static/broken.css": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			fmt.Fprint(w, `@font-face{src:url("fonts/missing.woff2") format("woff2")}.x{background:url(data:image/png;base64,AAAA)}`)
		},
		"GET /{$}": htmlPage("Home", `<link rel="stylesheet" href="/static/broken.css"> <a href="/broken">a broken link</a> <a href="/boom">boom</a>
			<a href="/bad">bad</a> <a href="/logout">log out</a> <a href="/dev/mail/1">a mail</a>
			<a href="/only-it">only it</a> <img src="/static/missing.png" alt="">`),
		"GET /boom": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		},
		// Everything wrong at once: no lang, no title, two h1, no main, a duplicate id.
		"GET /bad": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<!doctype html><html><head></head><body><h1 id="x">a</h1><h1 id="x">b</h1><img src="/static/app.css"></body></html>`)
		},
		"GET /logout": func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("the crawler followed a logout link")
		},
		"GET /dev/mail/1": htmlPage("Confirm your email", `<a href="/confirm?token=secret">confirm</a>`),
		"GET /confirm": func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("the crawler spent a one-time link from a mail")
		},
		"GET /only-it": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html lang="it"><head><title>t</title></head><body><main><h1>t</h1></main></body></html>`)
		},
	})
	rep := crawlSite(t, s)
	got := problemsText(rep)
	want := []string{
		`[it] /broken: broken link: 404 (linked from /)`,
		`[en] /broken: broken link: 404 (linked from /)`,
		`[it] /boom: server error 500 (linked from /)`,
		`[en] /boom: server error 500 (linked from /)`,
		`[it] /bad: missing <html lang>`,
		`[it] /bad: missing <title>`,
		`[it] /bad: 2 <h1> elements, want exactly 1`,
		`[it] /bad: 0 <main> elements, want exactly 1`,
		`[it] /bad: duplicate id attributes: "x"×2`,
		`[it] /bad: 1 <img> without alt`,
		`[en] /only-it: <html lang="it"> but the visitor asked for "en"`,
		`/static/missing.png: broken link: 404 (linked from /)`,
		`[it] /static/fonts/missing.woff2: broken link: 404 (linked from /static/broken.css)`,
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing problem %q; got:\n%s", w, got)
		}
	}
	if strings.Contains(got, "[it] /only-it") {
		t.Errorf("the Italian page was reported in the Italian pass:\n%s", got)
	}
	if s.hit("/logout") != 0 || s.hit("/confirm") != 0 {
		t.Errorf("followed a link it must not: logout %d, confirm %d", s.hit("/logout"), s.hit("/confirm"))
	}
	if s.hit("/dev/mail/1") == 0 {
		t.Errorf("the mail page itself was not checked")
	}
	if rep.Skipped == 0 {
		t.Errorf("skipped = 0, want the logout link counted")
	}
}

func TestNotFoundPageMustBeA404Page(t *testing.T) {
	s := newSite(map[string]func(http.ResponseWriter, *http.Request){
		"GET /{$}": htmlPage("Home", ``),
		// A catch-all that answers 200 to everything hides broken links.
		"GET /": htmlPage("Anything", ``),
	})
	rep := crawlSite(t, s)
	if got := problemsText(rep); !strings.Contains(got, "/arengo-crawl-no-such-page: unknown URL answers 200, want 404") {
		t.Errorf("soft 404 not reported; got:\n%s", got)
	}
}

func TestMaxIsAFailure(t *testing.T) {
	// Every page links to a new one: an endless calendar.
	s := newSite(map[string]func(http.ResponseWriter, *http.Request){
		"GET /{$}": htmlPage("Home", `<a href="/n/1">1</a>`),
		"GET /n/{n}": func(w http.ResponseWriter, r *http.Request) {
			var n int
			fmt.Sscan(r.PathValue("n"), &n)
			htmlPage("N", fmt.Sprintf(`<a href="/n/%d">next</a>`, n+1))(w, r)
		},
	})
	rep := crawlSite(t, s)
	if got := problemsText(rep); !strings.Contains(got, "reached -max 200") {
		t.Errorf("link explosion not reported; got:\n%s", got)
	}
}

func TestRunExitCodes(t *testing.T) {
	ok := httptest.NewServer(newSite(map[string]func(http.ResponseWriter, *http.Request){
		"GET /{$}": htmlPage("Home", ``),
	}))
	defer ok.Close()
	bad := httptest.NewServer(newSite(map[string]func(http.ResponseWriter, *http.Request){
		"GET /{$}": htmlPage("Home", `<a href="/nope">nope</a>`),
	}))
	defer bad.Close()
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"-base", ok.URL}, 0, "crawl: ok — 4 pages (en 2, it 2)"},
		{[]string{"-base", bad.URL}, 1, "crawl: 2 problems"},
		{[]string{}, 2, ""},
		{[]string{"-base", "ftp://x"}, 2, ""},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errb); code != tc.code {
			t.Errorf("run(%v) = %d, want %d; out: %s err: %s", tc.args, code, tc.code, out.String(), errb.String())
		}
		if !strings.Contains(out.String(), tc.out) {
			t.Errorf("run(%v) printed %q, want it to contain %q", tc.args, out.String(), tc.out)
		}
	}
}

func TestCrawlsAsALoggedInPerson(t *testing.T) {
	loggedIn := func(r *http.Request) bool {
		c, err := r.Cookie("session")
		return err == nil && c.Value == "ok"
	}
	s := newSite(map[string]func(http.ResponseWriter, *http.Request){
		"GET /{$}": func(w http.ResponseWriter, r *http.Request) {
			if loggedIn(r) {
				htmlPage("Home", `<a href="/admin">admin</a><form method="post" action="/logout"><button>out</button></form>`)(w, r)
				return
			}
			htmlPage("Home", `<a href="/login">log in</a>`)(w, r)
		},
		"GET /login": htmlPage("Login", `<form method="post" action="/login"><input type="hidden" name="next" value="/"><label for="e">Email</label><input id="e" type="email" name="email"><label for="p">Password</label><input id="p" type="password" name="password"><button>Log in</button></form>`),
		"POST /login": func(w http.ResponseWriter, r *http.Request) {
			if r.FormValue("email") != "admin@example.org" || r.FormValue("password") != "secret" || r.FormValue("next") != "/" {
				w.WriteHeader(http.StatusUnprocessableEntity)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "ok", Path: "/"})
			http.Redirect(w, r, "/", http.StatusSeeOther)
		},
		"GET /admin": func(w http.ResponseWriter, r *http.Request) {
			if !loggedIn(r) {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			htmlPage("Admin", `<a href="/admin/report">report</a>`)(w, r)
		},
		"GET /admin/report": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		},
	})
	srv := httptest.NewServer(s)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	rep, err := Crawl(context.Background(), Options{Base: u, Locales: []string{"en"}, Login: &Login{Path: "/login", Email: "admin@example.org", Password: "secret"}})
	if err != nil {
		t.Fatalf("Crawl: %v", err)
	}
	if got := problemsText(rep); !strings.Contains(got, "[en] /admin/report: server error 500 (linked from /admin)") {
		t.Errorf("the page only a logged-in person reaches was not crawled; got:\n%s", got)
	}

	_, err = Crawl(context.Background(), Options{Base: u, Locales: []string{"en"}, Login: &Login{Path: "/login", Email: "admin@example.org", Password: "wrong"}})
	if err == nil || !strings.Contains(err.Error(), "answered 422") {
		t.Errorf("a failed login must stop the crawl, got %v", err)
	}
}
