package main

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Options configure one crawl.
type Options struct {
	Base    *url.URL
	Locales []string // one breadth-first pass per locale, sent as Accept-Language
	Max     int      // fetches allowed in all; reaching it is a failure (a link explosion)
	// Skip matches path+query of links never requested: logout-like actions
	// that would change state even though they are links.
	Skip *regexp.Regexp
	// NoFollow matches the path of pages that are checked but whose links are
	// not followed: the demo mail viewer shows one-time links (confirmation,
	// password reset) that a crawler must not spend.
	NoFollow *regexp.Regexp
	Client   *http.Client
	// Login, when set, signs in through the site's login form first and
	// crawls as that person (a cookie jar keeps the session).
	Login *Login
	// Progress, when set, receives one line per failure as it is found.
	Progress io.Writer
}

// defaultSkip matches logout-like links.
const defaultSkip = `(?i)/(logout|log-out|signout|sign-out|logoff)(/|$|\?)`

// defaultNoFollow matches single messages in the demo mail viewer.
const defaultNoFollow = `^/dev/mail/.+`

// Login is an account to crawl as, and the path of the login form.
type Login struct {
	Path, Email, Password string
}

// Problem is one failure, with the page that linked to the URL.
type Problem struct {
	Locale string
	URL    string
	From   string
	Msg    string
}

func (p Problem) String() string {
	s := fmt.Sprintf("[%s] %s: %s", p.Locale, p.URL, p.Msg)
	if p.From != "" {
		s += " (linked from " + p.From + ")"
	}
	return s
}

// Report is what a crawl found.
type Report struct {
	Pages     map[string]int // HTML pages checked, by locale
	Assets    int            // stylesheets, scripts, images, downloads fetched (once for all locales)
	Redirects int
	Skipped   int // links not followed (Skip)
	Problems  []Problem
	Elapsed   time.Duration
}

func (r Report) TotalPages() int {
	n := 0
	for _, v := range r.Pages {
		n += v
	}
	return n
}

type kind int

const (
	kindPage  kind = iota // a navigation target: checked as HTML when it is HTML
	kindAsset             // a subresource: must load, is not parsed
)

type item struct {
	url  string
	kind kind
	from string
}

type crawler struct {
	opt       Options
	rep       *Report
	fetches   int
	seenAsset map[string]bool
}

const maxBody = 10 << 20

// Crawl visits every same-origin URL reachable from the base URL's root,
// once per locale, and reports every failure. The error is only for a crawl
// that could not run (the context ended).
func Crawl(ctx context.Context, opt Options) (Report, error) {
	start := time.Now()
	if opt.Client == nil {
		// No cookie jar: each request is an anonymous visitor whose language
		// comes from Accept-Language alone. Redirects are links to check, not
		// something to follow blindly.
		opt.Client = &http.Client{
			Timeout: 20 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if opt.Login != nil && opt.Client.Jar == nil {
		jar, _ := cookiejar.New(nil)
		opt.Client.Jar = jar
	}
	if opt.Max <= 0 {
		opt.Max = 2000
	}
	if len(opt.Locales) == 0 {
		opt.Locales = []string{"it", "en"}
	}
	rep := Report{Pages: map[string]int{}}
	c := &crawler{opt: opt, rep: &rep, seenAsset: map[string]bool{}}
	root := opt.Base.ResolveReference(&url.URL{Path: "/"}).String()
	if opt.Login != nil {
		if err := c.login(ctx, opt.Locales[0]); err != nil {
			rep.Elapsed = time.Since(start)
			return rep, err
		}
	}
	for _, loc := range opt.Locales {
		if err := c.pass(ctx, loc, root); err != nil {
			rep.Elapsed = time.Since(start)
			return rep, err
		}
		// An unknown URL must give the 404 page, a real page in the visitor's language.
		c.checkNotFound(ctx, loc)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func (c *crawler) problem(loc, u, from, format string, args ...any) {
	p := Problem{Locale: loc, URL: c.display(u), From: c.display(from), Msg: fmt.Sprintf(format, args...)}
	c.rep.Problems = append(c.rep.Problems, p)
	if c.opt.Progress != nil {
		fmt.Fprintln(c.opt.Progress, "FAIL", p)
	}
}

// display shortens same-origin URLs to their path for readable reports.
func (c *crawler) display(u string) string {
	if u == "" {
		return ""
	}
	pu, err := url.Parse(u)
	if err != nil || !c.sameOrigin(pu) {
		return u
	}
	s := pu.EscapedPath()
	if pu.RawQuery != "" {
		s += "?" + pu.RawQuery
	}
	return s
}

func (c *crawler) sameOrigin(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.opt.Base.Scheme) && strings.EqualFold(u.Host, c.opt.Base.Host)
}

func (c *crawler) pass(ctx context.Context, loc, root string) error {
	seen := map[string]bool{root: true}
	queue := []item{{url: root, kind: kindPage}}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("crawl: %w", err)
		}
		it := queue[0]
		queue = queue[1:]
		if c.fetches >= c.opt.Max {
			c.problem(loc, it.url, it.from, "reached -max %d fetches with %d URLs still queued: a link explosion, or raise -max", c.opt.Max, len(queue)+1)
			return nil
		}
		links := c.visit(ctx, loc, it)
		for _, l := range links {
			if l.kind == kindAsset {
				if c.seenAsset[l.url] {
					continue
				}
				c.seenAsset[l.url] = true
			} else {
				if seen[l.url] {
					continue
				}
				seen[l.url] = true
			}
			queue = append(queue, l)
		}
	}
	return nil
}

func (c *crawler) get(ctx context.Context, loc, u string) (*http.Response, []byte, error) {
	c.fetches++
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept-Language", acceptLanguage(loc))
	req.Header.Set("User-Agent", "arengo-crawl")
	res, err := c.opt.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return res, nil, err
	}
	return res, body, nil
}

func acceptLanguage(loc string) string {
	switch loc {
	case "it":
		return "it-IT,it;q=0.9"
	case "en":
		return "en-GB,en;q=0.9"
	}
	return loc
}

// visit fetches one URL, checks it and returns the links to follow.
func (c *crawler) visit(ctx context.Context, loc string, it item) []item {
	res, body, err := c.get(ctx, loc, it.url)
	if err != nil {
		if ctx.Err() == nil {
			c.problem(loc, it.url, it.from, "request failed: %v", err)
		}
		return nil
	}
	switch {
	case res.StatusCode >= 500:
		c.problem(loc, it.url, it.from, "server error %d", res.StatusCode)
		return nil
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		c.problem(loc, it.url, it.from, "broken link: %d", res.StatusCode)
		return nil
	case res.StatusCode >= 400:
		// A link shown to a visitor must work for that visitor.
		c.problem(loc, it.url, it.from, "linked URL answers %d to an anonymous visitor", res.StatusCode)
		return nil
	case res.StatusCode >= 300:
		c.rep.Redirects++
		loc2 := res.Header.Get("Location")
		if loc2 == "" {
			c.problem(loc, it.url, it.from, "redirect %d without Location", res.StatusCode)
			return nil
		}
		if next, ok := c.resolve(it.url, loc2); ok {
			return []item{{url: next, kind: it.kind, from: it.url}}
		}
		return nil
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if mt == "text/css" {
		// Fonts and images a stylesheet loads are assets too.
		c.rep.Assets++
		var out []item
		for _, ref := range cssRefs(string(body)) {
			if u, ok := c.resolve(it.url, ref); ok {
				out = append(out, item{url: u, kind: kindAsset, from: it.url})
			}
		}
		return out
	}
	if it.kind == kindAsset || mt != "text/html" {
		c.rep.Assets++
		return nil
	}
	c.rep.Pages[loc]++
	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		c.problem(loc, it.url, it.from, "unparseable HTML: %v", err)
		return nil
	}
	for _, msg := range checkPage(doc, loc) {
		c.problem(loc, it.url, it.from, "%s", msg)
	}
	if pu, err := url.Parse(it.url); err == nil && c.opt.NoFollow != nil && c.opt.NoFollow.MatchString(pu.EscapedPath()) {
		return nil
	}
	var out []item
	for _, l := range extractLinks(doc) {
		u, ok := c.resolve(it.url, l.ref)
		if !ok {
			continue
		}
		if c.opt.Skip != nil {
			pu, _ := url.Parse(u)
			pq := pu.EscapedPath()
			if pu.RawQuery != "" {
				pq += "?" + pu.RawQuery
			}
			if c.opt.Skip.MatchString(pq) {
				c.rep.Skipped++
				continue
			}
		}
		out = append(out, item{url: u, kind: l.kind, from: it.url})
	}
	return out
}

// resolve makes ref absolute against page and keeps it only when it is on
// the crawled origin; the fragment is dropped.
func (c *crawler) resolve(page, ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
		return "", false
	}
	base, err := url.Parse(page)
	if err != nil {
		return "", false
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", false
	}
	u := base.ResolveReference(r)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", false // mailto:, tel:, data:, javascript:
	}
	if !c.sameOrigin(u) {
		return "", false
	}
	u.Fragment = ""
	u.RawFragment = ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), true
}

func (c *crawler) checkNotFound(ctx context.Context, loc string) {
	u := c.opt.Base.ResolveReference(&url.URL{Path: "/arengo-crawl-no-such-page"}).String()
	res, body, err := c.get(ctx, loc, u)
	if err != nil {
		if ctx.Err() == nil {
			c.problem(loc, u, "", "request failed: %v", err)
		}
		return
	}
	if res.StatusCode != http.StatusNotFound {
		c.problem(loc, u, "", "unknown URL answers %d, want 404", res.StatusCode)
		return
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if mt != "text/html" {
		c.problem(loc, u, "", "404 page is %q, want an HTML page", mt)
		return
	}
	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		c.problem(loc, u, "", "unparseable 404 page: %v", err)
		return
	}
	c.rep.Pages[loc]++
	for _, msg := range checkPage(doc, loc) {
		c.problem(loc, u, "", "404 page: %s", msg)
	}
}

var cssURL = regexp.MustCompile(`url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')`)

// cssRefs lists the URLs a stylesheet refers to with url() and @import.
func cssRefs(css string) []string {
	var out []string
	for _, m := range cssURL.FindAllStringSubmatch(css, -1) {
		for _, g := range m[1:] {
			if g != "" {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

type link struct {
	ref  string
	kind kind
}

// extractLinks lists the URLs a page refers to. Forms are followed only when
// they submit with GET (their action, without field values); POST forms
// change state and are never submitted.
func extractLinks(doc *html.Node) []link {
	var out []link
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.DataAtom {
		case atom.A, atom.Area:
			if v, ok := attr(n, "href"); ok {
				out = append(out, link{v, kindPage})
			}
		case atom.Link:
			if v, ok := attr(n, "href"); ok {
				rel, _ := attr(n, "rel")
				if strings.Contains(strings.ToLower(rel), "alternate") {
					out = append(out, link{v, kindPage})
				} else {
					out = append(out, link{v, kindAsset})
				}
			}
		case atom.Script, atom.Img, atom.Source, atom.Iframe, atom.Video, atom.Audio, atom.Track:
			if v, ok := attr(n, "src"); ok {
				out = append(out, link{v, kindAsset})
			}
		case atom.Form:
			method, _ := attr(n, "method")
			if method == "" || strings.EqualFold(method, "get") {
				if v, ok := attr(n, "action"); ok {
					out = append(out, link{v, kindPage})
				}
			}
		}
	})
	return out
}

// checkPage returns what is wrong with a page's structure: the checks every
// page must pass whatever its content (WCAG 3.1.1, 2.4.2, 1.3.1, 4.1.1).
func checkPage(doc *html.Node, wantLocale string) []string {
	var msgs []string
	var htmlLang string
	var hasHTML bool
	titles, h1s, mains := 0, 0, 0
	titleText := ""
	ids := map[string]int{}
	var imgNoAlt int
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.DataAtom {
		case atom.Html:
			hasHTML = true
			htmlLang, _ = attr(n, "lang")
		case atom.Title:
			if inSVG(n) {
				return
			}
			titles++
			titleText = strings.TrimSpace(textOf(n))
		case atom.H1:
			h1s++
		case atom.Main:
			mains++
		case atom.Img:
			if _, ok := attr(n, "alt"); !ok {
				imgNoAlt++
			}
		}
		if id, ok := attr(n, "id"); ok {
			ids[id]++
		}
	})
	if !hasHTML || strings.TrimSpace(htmlLang) == "" {
		msgs = append(msgs, "missing <html lang>")
	} else if wantLocale != "" && !strings.EqualFold(primaryTag(htmlLang), wantLocale) {
		msgs = append(msgs, fmt.Sprintf("<html lang=%q> but the visitor asked for %q", htmlLang, wantLocale))
	}
	switch {
	case titles == 0:
		msgs = append(msgs, "missing <title>")
	case titles > 1:
		msgs = append(msgs, fmt.Sprintf("%d <title> elements", titles))
	case titleText == "":
		msgs = append(msgs, "empty <title>")
	}
	if h1s != 1 {
		msgs = append(msgs, fmt.Sprintf("%d <h1> elements, want exactly 1", h1s))
	}
	if mains != 1 {
		msgs = append(msgs, fmt.Sprintf("%d <main> elements, want exactly 1", mains))
	}
	var dups []string
	for id, n := range ids {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%q×%d", id, n))
		}
	}
	if len(dups) > 0 {
		sort.Strings(dups)
		msgs = append(msgs, "duplicate id attributes: "+strings.Join(dups, ", "))
	}
	if imgNoAlt > 0 {
		msgs = append(msgs, fmt.Sprintf("%d <img> without alt", imgNoAlt))
	}
	return msgs
}

func primaryTag(lang string) string {
	lang = strings.TrimSpace(lang)
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		return lang[:i]
	}
	return lang
}

func inSVG(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Namespace == "svg" || p.DataAtom == atom.Svg {
			return true
		}
	}
	return n.Namespace == "svg"
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	walk(n, func(m *html.Node) {
		if m.Type == html.TextNode {
			b.WriteString(m.Data)
		}
	})
	return b.String()
}

// login fills in and posts the login form, and checks the session works:
// the home page must then offer a way to log out.
func (c *crawler) login(ctx context.Context, loc string) error {
	l := c.opt.Login
	page := c.opt.Base.ResolveReference(&url.URL{Path: l.Path}).String()
	res, body, err := c.get(ctx, loc, page)
	if err != nil {
		return fmt.Errorf("login page: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("login page %s answered %d", l.Path, res.StatusCode)
	}
	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		return fmt.Errorf("login page: %w", err)
	}
	var form *html.Node
	walk(doc, func(n *html.Node) {
		if form == nil && n.DataAtom == atom.Form && hasDescendant(n, func(m *html.Node) bool {
			v, _ := attr(m, "type")
			return m.DataAtom == atom.Input && v == "password"
		}) {
			form = n
		}
	})
	if form == nil {
		return fmt.Errorf("no form with a password field on %s", l.Path)
	}
	vals := url.Values{}
	walk(form, func(n *html.Node) {
		name, ok := attr(n, "name")
		if n.DataAtom != atom.Input || !ok {
			return
		}
		typ, _ := attr(n, "type")
		switch {
		case typ == "password":
			vals.Set(name, l.Password)
		case typ == "email" || name == "email" || name == "username" || name == "login":
			vals.Set(name, l.Email)
		case typ == "hidden":
			v, _ := attr(n, "value")
			vals.Set(name, v)
		}
	})
	action, _ := attr(form, "action")
	target, ok := c.resolve(page, action)
	if action == "" {
		target, ok = page, true
	}
	if !ok {
		return fmt.Errorf("login form posts to another site: %q", action)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(vals.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.opt.Base.Scheme+"://"+c.opt.Base.Host)
	req.Header.Set("Accept-Language", acceptLanguage(loc))
	c.fetches++
	res, err = c.opt.Client.Do(req)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	res.Body.Close()
	if res.StatusCode >= 400 {
		return fmt.Errorf("login as %s answered %d", l.Email, res.StatusCode)
	}
	_, body, err = c.get(ctx, loc, c.opt.Base.ResolveReference(&url.URL{Path: "/"}).String())
	if err != nil {
		return fmt.Errorf("after login: %w", err)
	}
	if !logoutRe.Match(body) {
		return fmt.Errorf("login as %s did not start a session (no logout on the home page)", l.Email)
	}
	return nil
}

var logoutRe = regexp.MustCompile(`(?i)action="[^"]*/logout"|href="[^"]*/logout"`)

func hasDescendant(n *html.Node, f func(*html.Node) bool) bool {
	found := false
	walk(n, func(m *html.Node) {
		if !found && m != n && f(m) {
			found = true
		}
	})
	return found
}
