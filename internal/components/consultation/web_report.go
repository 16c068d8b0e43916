package consultation

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

// parseStandalone parses the pages rendered without the site layout: the
// printable report.
func parseStandalone() (*template.Template, error) {
	t, err := template.New("report").ParseFS(templatesFS, "templates/standalone/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("consultation: parse report: %w", err)
	}
	return t, nil
}

// reportView is the dot of the printable report.
type reportView struct {
	base
	Locale       string
	OrgName      string
	Generated    time.Time
	Observations []*Observation
	Outcomes     map[string]int
	Total        int
	Publications []Publication
	OutcomeCodes []string
	cat          *i18n.Catalog
	rome         *time.Location
}

func (v *reportView) T(key string, args ...any) string { return v.cat.T(v.Locale, key, args...) }
func (v *reportView) TN(key string, n int, args ...any) string {
	return v.cat.TN(v.Locale, key, n, args...)
}
func (v *reportView) Date(t time.Time) string {
	t = t.In(v.rome)
	return fmt.Sprintf("%d %s %d", t.Day(), i18n.MonthName(v.Locale, int(t.Month())), t.Year())
}
func (v *reportView) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (h *handlers) report(w http.ResponseWriter, r *http.Request, v component.View) error {
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rv := &reportView{base: b, Locale: web.LocaleFrom(ctx), OrgName: h.s.Config().OrgName, Generated: h.m.clock.Now(),
		OutcomeCodes: Outcomes(), cat: h.s.Catalog(), rome: h.m.rome}
	if err := h.m.eachPublic(ctx, v.Component.ID, func(o *Observation) error {
		rv.Observations = append(rv.Observations, o)
		return nil
	}); err != nil {
		return err
	}
	if rv.Outcomes, rv.Total, err = h.m.st.outcomeCounts(ctx, v.Component.ID); err != nil {
		return err
	}
	if rv.Publications, err = h.m.Publications(ctx, v.Component.ID); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := h.m.report.ExecuteTemplate(&buf, "report", rv); err != nil {
		return fmt.Errorf("consultation: render report: %w", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", rv.Locale)
	_, err = w.Write(buf.Bytes())
	return err
}

func (h *handlers) reportCSS(w http.ResponseWriter, r *http.Request, v component.View) error {
	b, err := fs.ReadFile(templatesFS, "templates/standalone/report.css")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(b)
	return err
}

// reportCSV is the report as a spreadsheet, in the reader's language.
func (h *handlers) reportCSV(w http.ResponseWriter, r *http.Request, v component.View) error {
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	ctx := r.Context()
	locale := web.LocaleFrom(ctx)
	t := h.t(r)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(v, "report")+`.csv"`)
	cw := csv.NewWriter(w)
	cols := []string{"protocol", "paragraph", "kind", "author", "status", "text", "proposed", "supports", "comments", "outcome", "reply", "office", "filed_at", "attachment"}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = t("consultation.report.col." + c)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	prefix, err := h.m.observationURL(ctx, v.Component.ID)
	if err != nil {
		return err
	}
	err = h.m.eachPublic(ctx, v.Component.ID, func(o *Observation) error {
		text, proposed := o.Body, o.Proposed
		switch {
		case o.Withdrawn():
			text, proposed = t("consultation.status.withdrawn"), ""
		case o.Hidden():
			text, proposed = b.Placeholder(o, locale), ""
		}
		outcome, reply, office := "", "", ""
		if o.Answered() {
			outcome, reply, office = b.Outcome(o.Reply.Outcome, locale), o.Reply.Body, o.Reply.Office
		}
		status := t("consultation.status." + o.Status)
		rec := []any{o.Protocol, b.Ref(o, locale), t("consultation.kind." + o.Kind), b.Author(o, locale), status, text, proposed,
			o.Supports, o.Comments, outcome, reply, office, o.CreatedAt, h.m.attachmentURL(prefix, o)}
		out := make([]string, len(rec))
		for i, x := range rec {
			out[i] = csvCell(x)
		}
		return cw.Write(out)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func fileName(v component.View, what string) string {
	return fmt.Sprintf("%s-%d-%s", v.Process.Slug, v.Component.ID, what)
}

// opendata serves /opendata/<dataset>.<csv|json>.
func (h *handlers) opendata(w http.ResponseWriter, r *http.Request, v component.View) error {
	name, format, ok := strings.Cut(r.PathValue("file"), ".")
	if !ok || (format != FormatCSV && format != FormatJSON) {
		return kernel.ErrNotFound
	}
	if _, ok := h.m.dataset(name); !ok {
		return kernel.ErrNotFound
	}
	if format == FormatCSV {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(v, name)+"."+format+`"`)
	return h.m.Export(r.Context(), v.Component.ID, name, format, w)
}
