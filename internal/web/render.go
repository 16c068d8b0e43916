package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/markdown"
)

//go:embed templates
var templatesFS embed.FS

// Renderer holds the parsed page templates. Every page is parsed together
// with the shared layout and partials; pages are named "<namespace>/<file>",
// e.g. "process/show.html".
type Renderer struct {
	pages map[string]*template.Template
	md    *markdown.Renderer
}

// TemplateSource is one package's templates: a namespace and a filesystem
// whose *.html files (at its root) are pages.
type TemplateSource struct {
	Namespace string
	FS        fs.FS
}

// BaseSource returns the web package's own pages (errors, home fallback).
func BaseSource() TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates/pages")
	return TemplateSource{Namespace: "web", FS: sub}
}

// NewRenderer parses the layout with each source's pages.
func NewRenderer(md *markdown.Renderer, sources ...TemplateSource) (*Renderer, error) {
	base := template.New("layout").Funcs(funcs)
	if _, err := base.ParseFS(templatesFS, "templates/*.html"); err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	r := &Renderer{pages: map[string]*template.Template{}, md: md}
	for _, src := range sources {
		files, err := fs.Glob(src.FS, "*.html")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			t, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := t.ParseFS(src.FS, f); err != nil {
				return nil, fmt.Errorf("web: parse %s/%s: %w", src.Namespace, f, err)
			}
			name := src.Namespace + "/" + f
			if _, dup := r.pages[name]; dup {
				return nil, fmt.Errorf("web: page %s defined twice", name)
			}
			r.pages[name] = t
		}
	}
	return r, nil
}

// Pages lists the page names, sorted (used by template tests).
func (r *Renderer) Pages() []string {
	out := make([]string, 0, len(r.pages))
	for k := range r.pages {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Page is passed to every template as its dot. Data is the handler's own
// value; the methods give translation, dates, forms and Markdown.
type Page struct {
	Locale   string
	Viewer   *Viewer
	Path     string
	URL      string
	Flash    string
	Form     *Form
	Data     any
	Status   int
	OrgName  string
	Demo     bool
	BaseURL  string
	Now      time.Time
	cat      *i18n.Catalog
	md       *markdown.Renderer
	titleKey string
}

// Render writes page name with data. form may be nil.
func (r *Renderer) Render(w http.ResponseWriter, req *http.Request, s *Server, status int, name string, data any, form *Form) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	p := &Page{
		Locale:  LocaleFrom(req.Context()),
		Viewer:  ViewerFrom(req.Context()),
		Path:    req.URL.Path,
		URL:     req.URL.RequestURI(),
		Form:    form,
		Data:    data,
		Status:  status,
		OrgName: s.cfg.OrgName,
		Demo:    s.cfg.Demo,
		BaseURL: s.cfg.BaseURL,
		Now:     s.clock.Now(),
		cat:     s.cat,
		md:      r.md,
	}
	if p.Form == nil {
		p.Form = &Form{}
	}
	p.Form.locale = p.Locale
	p.Form.cat = s.cat
	p.Flash = s.takeFlash(w, req)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", p.Locale)
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// Render renders a page with status 200 (or the form's 422 when it has errors).
func (s *Server) Render(w http.ResponseWriter, r *http.Request, name string, data any) error {
	return s.render.Render(w, r, s, http.StatusOK, name, data, nil)
}

// RenderForm renders a page holding a form. When the form has errors the
// status is 422 and the page shows the error summary and each field's message.
func (s *Server) RenderForm(w http.ResponseWriter, r *http.Request, name string, data any, f *Form) error {
	status := http.StatusOK
	if f != nil && len(f.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render.Render(w, r, s, status, name, data, f)
}

// RenderStatus renders a page with an explicit status.
func (s *Server) RenderStatus(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	return s.render.Render(w, r, s, status, name, data, nil)
}

// T translates key with name/value args.
func (p *Page) T(key string, args ...any) string { return p.cat.T(p.Locale, key, args...) }

// Bind readies a second form of the page (the first is .Form) so that its
// fields get their labels and hints in the page's language: a form built
// with NewForm has no catalog, and a field without a label is unusable.
func (p *Page) Bind(f *Form) *Form {
	if f == nil {
		f = &Form{}
	}
	f.locale = p.Locale
	f.cat = p.cat
	return f
}

// TN translates a plural key.
func (p *Page) TN(key string, n int, args ...any) string { return p.cat.TN(p.Locale, key, n, args...) }

// Number formats an integer with the locale's grouping.
func (p *Page) Number(n any) string {
	switch v := n.(type) {
	case int:
		return i18n.Number(p.Locale, int64(v))
	case int64:
		return i18n.Number(p.Locale, v)
	}
	return fmt.Sprint(n)
}

// Date formats t as "23 novembre 2026" / "23 November 2026", in Europe/Rome.
func (p *Page) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(rome)
	return fmt.Sprintf("%d %s %d", t.Day(), i18n.MonthName(p.Locale, int(t.Month())), t.Year())
}

// DateTime formats t with the time of day, in Europe/Rome.
func (p *Page) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return p.Date(t) + ", " + t.In(rome).Format("15:04")
}

// ISO formats t for a <time datetime> attribute.
func (p *Page) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Markdown renders sanitised Markdown.
func (p *Page) Markdown(src string) template.HTML { return p.md.HTML(src) }

// IsPath reports whether the current path is prefix (for aria-current).
func (p *Page) IsPath(prefix string) bool {
	if prefix == "/" {
		return p.Path == "/"
	}
	return p.Path == prefix || strings.HasPrefix(p.Path, prefix+"/")
}

// OtherLocales lists the locales other than the current one.
func (p *Page) Locales() []string { return []string{"it", "en"} }

var funcs = template.FuncMap{
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"base": path.Base,
}

// rome is where the platform's dates are shown: Italian municipalities.
var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()
