package consultation

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/web"
)

// documentPage is the whole document with its paragraphs' counts.
type documentPage struct {
	base
	Doc          *Document
	Text         []docSection // the document as shown, prepared once
	ObserveOpen  bool         // the observe action is open in the current phase
	OpenUntil    time.Time    // when the current phase ends
	Publications []Publication
}

// docSection and docParagraph are the document as the page shows it. A
// plan has hundreds of paragraphs and every template action costs
// reflection and contextual escaping, so what each paragraph shows is
// computed here in one pass (issue 4 asks for the page in under 50 ms with
// 500 paragraphs); the template only places it.
type docSection struct {
	ID         int64
	Heading    string
	Paragraphs []docParagraph
}

type docParagraph struct {
	Anchor string
	Ref    string        // "Art. 3, comma 2"
	Body   template.HTML // the text, escaped
	Meta   template.HTML // observations link, published outcomes, observe link
}

// prepareText builds the paragraphs' view in locale.
func (b base) prepareText(doc *Document, observeOpen bool, locale string) []docSection {
	cat := b.m.cat
	noObs := template.HTMLEscapeString(cat.T(locale, "consultation.doc.no_observations"))
	observe := template.HTMLEscapeString(cat.T(locale, "consultation.doc.observe_link"))
	url := template.HTMLEscapeString(b.URL)
	labels := map[string]string{}
	for _, o := range Outcomes() {
		labels[o] = template.HTMLEscapeString(b.Outcome(o, locale))
	}
	// Filling a message's arguments builds a replacer each time: the
	// paragraph reference is filled once with markers replaced per
	// paragraph, and the counts' labels are kept by number.
	refFormat := cat.T(locale, "consultation.paragraph.ref", "section", "\x01", "n", "\x02")
	counts := map[int]string{}
	out := make([]docSection, 0, len(doc.Sections))
	var sb strings.Builder
	for _, s := range doc.Sections {
		ds := docSection{ID: s.ID, Heading: s.Heading(locale), Paragraphs: make([]docParagraph, 0, len(s.Paragraphs))}
		short := s.Short(locale)
		for _, p := range s.Paragraphs {
			ref := strings.Replace(strings.Replace(refFormat, "\x01", short, 1), "\x02", strconv.Itoa(p.Number), 1)
			dp := docParagraph{Anchor: p.Anchor(), Ref: ref, Body: plainHTML(p.Body)}
			id := strconv.FormatInt(p.ID, 10)
			sb.Reset()
			if p.Observations > 0 {
				label, ok := counts[p.Observations]
				if !ok {
					label = template.HTMLEscapeString(cat.TN(locale, "consultation.doc.paragraph_observations", p.Observations))
					counts[p.Observations] = label
				}
				sb.WriteString(`<a href="` + url + `/observations?paragraph=` + id + `" aria-describedby="` + dp.Anchor + `-h">`)
				sb.WriteString(label)
				sb.WriteString(`</a>`)
			} else {
				sb.WriteString(`<span>` + noObs + `</span>`)
			}
			for _, o := range Outcomes() {
				if n := p.Outcomes[o]; n > 0 {
					sb.WriteString(` · <span class="badge bg-light text-dark border">` + labels[o] + `: ` + strconv.Itoa(n) + `</span>`)
				}
			}
			if observeOpen {
				sb.WriteString(` · <a href="` + url + `/paragraphs/` + id + `/observe">` + observe +
					`<span class="visually-hidden"> (` + template.HTMLEscapeString(dp.Ref) + `)</span></a>`)
			}
			dp.Meta = template.HTML(sb.String())
			ds.Paragraphs = append(ds.Paragraphs, dp)
		}
		out = append(out, ds)
	}
	return out
}

// phaseOpen reports whether action is open in the process's current phase
// (for everyone; eligibility is checked when a person acts).
func (m *Module) phaseOpen(ctx context.Context, v component.View, action string) (bool, time.Time, error) {
	if !v.Component.Published() || !v.Process.Published {
		return false, time.Time{}, nil
	}
	ph, ok := v.Process.CurrentPhase(m.clock.Now())
	if !ok {
		return false, time.Time{}, nil
	}
	var n int
	err := m.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM component_phase_actions WHERE component_id = $1 AND phase_id = $2 AND action = $3`,
		v.Component.ID, ph.ID, action).Scan(&n)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("consultation: phase actions: %w", err)
	}
	return n > 0, ph.EndsAt, nil
}

func (h *handlers) document(w http.ResponseWriter, r *http.Request, v component.View) error {
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	doc, err := h.m.Document(r.Context(), v.Component.ID)
	if err != nil {
		return err
	}
	page := documentPage{base: b, Doc: doc}
	if page.ObserveOpen, page.OpenUntil, err = h.m.phaseOpen(r.Context(), v, "observe"); err != nil {
		return err
	}
	if page.Publications, err = h.m.Publications(r.Context(), v.Component.ID); err != nil {
		return err
	}
	page.Text = b.prepareText(doc, page.ObserveOpen, web.LocaleFrom(r.Context()))
	return h.s.Render(w, r, "consultation/document.html", page)
}
