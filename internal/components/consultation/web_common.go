package consultation

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
	"github.com/arengo/arengo/internal/textdiff"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html templates/standalone/*.tmpl templates/standalone/*.css
var templatesFS embed.FS

// Templates returns the consultation pages (namespace "consultation").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "consultation", FS: sub}
}

// handlers serve the tool's pages.
type handlers struct {
	m *Module
	s *web.Server
}

func viewerID(r *http.Request) int64 {
	if v := web.ViewerFrom(r.Context()); v != nil {
		return v.ID
	}
	return 0
}

func requireViewer(r *http.Request) (int64, error) {
	if id := viewerID(r); id != 0 {
		return id, nil
	}
	return 0, kernel.ErrUnauthenticated
}

// maxPage bounds a page number read from the URL, so the offset made from
// it stays far from overflowing (a negative OFFSET is an error on
// PostgreSQL).
const maxPage = 1_000_000

// pageParam reads the "page" query parameter: 1 when missing, malformed or
// below 1, at most maxPage.
func pageParam(q url.Values) int {
	page, _ := strconv.Atoi(q.Get("page")) // out of range: the largest or smallest int
	return min(max(page, 1), maxPage)
}

func isNotFound(err error) bool { return errors.Is(err, kernel.ErrNotFound) }

// base is what every page of the tool knows: its component, process, URLs
// and configuration, with helpers for the templates.
type base struct {
	component.View
	Cons        Consultation
	URL         string // the consultation's public URL
	AdminURL    string
	ProcessURL  string
	CanEvaluate bool
	m           *Module
}

func (h *handlers) base(r *http.Request, v component.View) (base, error) {
	cons, err := h.m.Get(r.Context(), v.Component.ID)
	if err != nil {
		return base{}, err
	}
	b := base{View: v, Cons: cons, URL: component.PublicURL(v.Process.Slug, v.Component.ID),
		AdminURL: component.AdminURL(v.Process.ID, v.Component.ID, "/manage"), ProcessURL: "/processes/" + v.Process.Slug, m: h.m}
	// Whoever manages the space (checked on the way in) evaluates there too:
	// only others need asking.
	if uid := viewerID(r); uid != 0 && !v.CanManage {
		if b.CanEvaluate, err = h.m.MayEvaluate(r.Context(), uid, v.Component); err != nil {
			return base{}, err
		}
	}
	b.CanEvaluate = b.CanEvaluate || v.CanManage
	return b, nil
}

// Preview reports whether the public cannot see the page yet.
func (b base) Preview() bool { return !b.Component.Published() || !b.Process.Published }

// Outcome is an outcome's label in locale.
func (b base) Outcome(outcome, locale string) string {
	return b.m.OutcomeLabel(b.Cons, outcome, locale)
}

// Ref is "Art. 3, comma 2" for an observation.
func (b base) Ref(o *Observation, locale string) string {
	return b.m.cat.T(locale, "consultation.paragraph.ref", "section", o.Section().Short(locale), "n", o.ParagraphNumber)
}

// ParaRef is "Art. 3, comma 2" for a paragraph.
func (b base) ParaRef(p *Paragraph, locale string) string {
	return b.m.cat.T(locale, "consultation.paragraph.ref", "section", p.Section.Short(locale), "n", p.Number)
}

// ObsURL is an observation's page.
func (b base) ObsURL(o *Observation) string {
	return b.URL + "/observations/" + strconv.FormatInt(o.ID, 10)
}

// Author is the public name of an observation's author.
func (b base) Author(o *Observation, locale string) string {
	if o.AuthorNickname == "" {
		return b.m.cat.T(locale, "account.deleted_participant")
	}
	return o.AuthorNickname
}

// Placeholder is the text shown instead of a hidden observation.
func (b base) Placeholder(o *Observation, locale string) string {
	return b.m.cat.T(locale, moderation.PlaceholderKey(o.HiddenReason))
}

// Text renders plain text typed by a person: escaped, blank lines as
// paragraphs, line breaks kept.
func (base) Text(s string) template.HTML { return plainHTML(s) }

// Excerpt shortens a text for lists.
func (base) Excerpt(s string) string { return excerpt(s, 300) }

// Diff shows proposed against original word by word: deletions in <del>,
// insertions in <ins>, each announced by a hidden text label because
// screen readers do not read the elements' meaning.
func (b base) Diff(original, proposed, locale string) template.HTML {
	return diffHTML(original, proposed, func(k string) string { return b.m.cat.T(locale, k) })
}

var blankLinesRe = regexp.MustCompile(`\n[ \t]*\n`)

func plainHTML(s string) template.HTML {
	var out strings.Builder
	for _, p := range blankLinesRe.Split(strings.ReplaceAll(s, "\r\n", "\n"), -1) {
		p = strings.Trim(p, "\n")
		if strings.TrimSpace(p) == "" {
			continue
		}
		out.WriteString("<p>")
		out.WriteString(strings.ReplaceAll(template.HTMLEscapeString(p), "\n", "<br>"))
		out.WriteString("</p>")
	}
	return template.HTML(out.String())
}

func diffHTML(original, proposed string, t func(string) string) template.HTML {
	var out strings.Builder
	esc := func(s string) string { return strings.ReplaceAll(template.HTMLEscapeString(s), "\n", "<br>") }
	for _, op := range textdiff.Words(original, proposed) {
		switch op.Kind {
		case textdiff.Insert:
			out.WriteString(`<ins><span class="visually-hidden">[` + t("consultation.diff.ins_start") + `] </span>` + esc(op.Text) +
				`<span class="visually-hidden"> [` + t("consultation.diff.ins_end") + `]</span></ins>`)
		case textdiff.Delete:
			out.WriteString(`<del><span class="visually-hidden">[` + t("consultation.diff.del_start") + `] </span>` + esc(op.Text) +
				`<span class="visually-hidden"> [` + t("consultation.diff.del_end") + `]</span></del>`)
		default:
			out.WriteString(esc(op.Text))
		}
	}
	return template.HTML(out.String())
}

// excerpt shortens text to n runes on a word boundary.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// options builds select options with labels from the catalog.
func (h *handlers) options(r *http.Request, values []string, label func(string) string) []web.Option {
	out := make([]web.Option, 0, len(values))
	for _, v := range values {
		out = append(out, web.Option{Value: v, Label: label(v)})
	}
	return out
}

func (h *handlers) t(r *http.Request) func(key string, args ...any) string {
	locale := web.LocaleFrom(r.Context())
	cat := h.s.Catalog()
	return func(key string, args ...any) string { return cat.T(locale, key, args...) }
}

// refusedPage explains why an action without a form of its own (a
// support) was refused.
type refusedPage struct {
	base
	Messages []string
	BackURL  string
}

// refused renders the reasons of an invalid-input error with status 422,
// or returns err when it is another error.
func (h *handlers) refused(w http.ResponseWriter, r *http.Request, b base, err error, back string) error {
	ie, ok := kernel.AsInvalid(err)
	if !ok {
		return err
	}
	locale := web.LocaleFrom(r.Context())
	page := refusedPage{base: b, BackURL: back}
	for _, f := range ie.Fields {
		page.Messages = append(page.Messages, h.s.Catalog().T(locale, f.Key, f.Args...))
	}
	return h.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "consultation/refused.html", page)
}

// rateLimitedField turns a rate-limit refusal into a form message so the
// participant keeps what they typed.
func rateLimitedField(err error) error {
	if errors.Is(err, kernel.ErrRateLimited) {
		return kernel.Invalid("", "consultation.error.rate_limited")
	}
	return err
}

func errRetired(id int64) error {
	return fmt.Errorf("consultation: paragraph %d retired: %w", id, kernel.ErrNotFound)
}

func errForbidden(id int64) error {
	return fmt.Errorf("consultation: observation %d of another author: %w", id, kernel.ErrForbidden)
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// AllOutcomes lists the outcome codes for templates.
func (base) AllOutcomes() []string { return Outcomes() }

// AllDatasets lists the open-data datasets for templates.
func (base) AllDatasets() []string { return Datasets() }
