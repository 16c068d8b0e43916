package process

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/arengo/arengo/internal/web"
)

// PageSize is how many processes the list shows per page.
const PageSize = 20

// maxPage bounds the page number read from the URL.
const maxPage = 1_000_000

type listData struct {
	Cards       []card
	Total       int
	Page, Pages int
	PrevURL     string
	NextURL     string
	Territory   web.FieldView
	Status      web.FieldView
	Filtered    bool
}

// list shows the published processes, filtered by territory and status
// through plain GET parameters (the form works without JavaScript).
// Unknown filter values are ignored rather than refused: they come from
// edited URLs, not from the form.
func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := Filter{PublishedOnly: true, Limit: PageSize}
	names, ts, err := h.territoryNames(r)
	if err != nil {
		return err
	}
	if id, err := strconv.ParseInt(q.Get("territory"), 10, 64); err == nil {
		if _, ok := names[id]; ok {
			f.TerritoryID = id
		}
	}
	for _, st := range Statuses() {
		if q.Get("status") == string(st) {
			f.Status = st
		}
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page < 1 {
		page = 1
	}
	// Far past any real list, and small enough that the offset cannot
	// overflow into a negative number.
	page = min(page, maxPage)
	f.Offset = (page - 1) * PageSize
	ps, total, err := h.Svc.List(r.Context(), f)
	if err != nil {
		return err
	}
	d := listData{Cards: h.cards(r, ps, names), Total: total, Page: page, Pages: (total + PageSize - 1) / PageSize,
		Filtered: f.TerritoryID != 0 || f.Status != ""}
	pageURL := func(n int) string {
		v := url.Values{}
		if f.TerritoryID != 0 {
			v.Set("territory", strconv.FormatInt(f.TerritoryID, 10))
		}
		if f.Status != "" {
			v.Set("status", string(f.Status))
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/processes"
		}
		return "/processes?" + v.Encode()
	}
	if page > 1 {
		d.PrevURL = pageURL(min(page-1, max(d.Pages, 1)))
	}
	if page < d.Pages {
		d.NextURL = pageURL(page + 1)
	}
	d.Territory = web.FieldView{ID: "f-territory", Name: "territory", Label: h.t(r, "process.list.territory"),
		Options: h.territoryOptions(r, ts, "process.list.all_territories", 0)}
	for i := range d.Territory.Options {
		d.Territory.Options[i].Selected = d.Territory.Options[i].Value == idString(f.TerritoryID)
	}
	d.Status = web.FieldView{ID: "f-status", Name: "status", Label: h.t(r, "process.list.status"),
		Options: []web.Option{{Value: "", Label: h.t(r, "process.list.all_statuses"), Selected: f.Status == ""}}}
	for _, st := range Statuses() {
		d.Status.Options = append(d.Status.Options, web.Option{Value: string(st), Label: h.t(r, "process.status."+string(st)), Selected: f.Status == st})
	}
	return h.S.Render(w, r, "process/list.html", d)
}
