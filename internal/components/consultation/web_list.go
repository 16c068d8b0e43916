package consultation

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/arengo/arengo/internal/component"
)

// PerPage is how many observations a list page shows.
const PerPage = 25

type listPage struct {
	base
	Filter       ListFilter
	Observations []*Observation
	Total        int
	Page, Pages  int
	PrevURL      string
	NextURL      string
	Sections     []*Section
	Paragraph    *Paragraph // when the list is one paragraph's
	Kinds        []string
	Statuses     []string
	OutcomeCodes []string
	SortCodes    []string
	ObserveOpen  bool
}

func parseFilter(q url.Values) ListFilter {
	f := ListFilter{Kind: q.Get("kind"), Status: q.Get("status"), Outcome: q.Get("outcome"), Sort: q.Get("sort")}
	f.SectionID, _ = strconv.ParseInt(q.Get("section"), 10, 64)
	f.ParagraphID, _ = strconv.ParseInt(q.Get("paragraph"), 10, 64)
	switch f.Status {
	case StatusFiled, StatusWithdrawn, StatusAnswered:
	default:
		f.Status = ""
	}
	if !ValidKind(f.Kind) {
		f.Kind = ""
	}
	if !ValidOutcome(f.Outcome) {
		f.Outcome = ""
	}
	switch f.Sort {
	case SortSupported, SortCommented:
	default:
		f.Sort = SortNewest
	}
	return f
}

func (f ListFilter) query(page int) string {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" && v != "0" {
			q.Set(k, v)
		}
	}
	set("section", strconv.FormatInt(f.SectionID, 10))
	set("paragraph", strconv.FormatInt(f.ParagraphID, 10))
	set("kind", f.Kind)
	set("status", f.Status)
	set("outcome", f.Outcome)
	if f.Sort != SortNewest {
		set("sort", f.Sort)
	}
	if page > 1 {
		set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request, v component.View) error {
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := parseFilter(q)
	page := pageParam(q)
	lp := listPage{base: b, Filter: f, Page: page, Kinds: Kinds(), Statuses: []string{StatusFiled, StatusAnswered, StatusWithdrawn},
		OutcomeCodes: Outcomes(), SortCodes: Sorts()}
	if f.ParagraphID > 0 {
		p, err := h.m.Paragraph(r.Context(), v.Component.ID, f.ParagraphID)
		if err != nil {
			return err
		}
		lp.Paragraph = p
	}
	secs, _, err := h.m.st.document(r.Context(), v.Component.ID)
	if err != nil {
		return err
	}
	lp.Sections = secs
	f.Limit, f.Offset = PerPage, (page-1)*PerPage
	if lp.Observations, lp.Total, err = h.m.List(r.Context(), v.Component.ID, f, false); err != nil {
		return err
	}
	lp.Pages = (lp.Total + PerPage - 1) / PerPage
	if page > lp.Pages && lp.Pages > 0 {
		// Beyond the last page (an old link, a typed URL): the last one.
		page, lp.Page = lp.Pages, lp.Pages
		f.Offset = (page - 1) * PerPage
		if lp.Observations, lp.Total, err = h.m.List(r.Context(), v.Component.ID, f, false); err != nil {
			return err
		}
	}
	if page > 1 {
		lp.PrevURL = b.URL + "/observations" + f.query(page-1)
	}
	if page < lp.Pages {
		lp.NextURL = b.URL + "/observations" + f.query(page+1)
	}
	if lp.ObserveOpen, _, err = h.m.phaseOpen(r.Context(), v, "observe"); err != nil {
		return err
	}
	return h.s.Render(w, r, "consultation/list.html", lp)
}
