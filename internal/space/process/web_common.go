package process

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

// Layouts of the date inputs (type="date" and type="datetime-local").
const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02T15:04"
)

// textFrom reads the per-language fields <field>_it, <field>_en. Markdown
// bodies keep their whitespace (raw); single-line fields are trimmed.
func textFrom(f *web.Form, field string, raw bool) kernel.Text {
	t := kernel.Text{}
	for _, loc := range kernel.Locales {
		if raw {
			t[loc] = f.Raw(field + "_" + loc)
		} else {
			t[loc] = f.Get(field + "_" + loc)
		}
	}
	return t
}

// textValues fills the per-language form values of field from t.
func textValues(values map[string]string, field string, t kernel.Text) {
	for _, loc := range kernel.Locales {
		values[field+"_"+loc] = t[loc]
	}
}

func parseIDField(f *web.Form, field string, v *kernel.Validator) int64 {
	s := f.Get(field)
	if s == "" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		v.Add(field, "process.error.choice_invalid")
		return 0
	}
	return id
}

// parseTime reads a date or datetime-local input in loc. An empty field
// gives the zero time (the validator reports it as required); a malformed
// one is reported here.
func parseTime(f *web.Form, field, layout string, loc *time.Location, v *kernel.Validator) time.Time {
	s := f.Get(field)
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil && layout == dateTimeLayout {
		// Some browsers send seconds.
		t, err = time.ParseInLocation("2006-01-02T15:04:05", s, loc)
	}
	if err != nil {
		v.Add(field, "process.error.date_invalid")
		return time.Time{}
	}
	return t
}

// t translates in the request's language.
func (h *Handlers) t(r *http.Request, key string, args ...any) string {
	return h.S.Catalog().T(web.LocaleFrom(r.Context()), key, args...)
}

func isAdmin(r *http.Request) bool {
	v := web.ViewerFrom(r.Context())
	return v != nil && v.IsAdmin
}

// canManage reports whether the viewer may administer process processID:
// a platform administrator, or one of the process's space administrators.
func (h *Handlers) canManage(r *http.Request, processID int64) (bool, error) {
	v := web.ViewerFrom(r.Context())
	switch {
	case v == nil:
		return false, nil
	case v.IsAdmin:
		return true, nil
	case h.CanManage == nil:
		return false, nil
	}
	ok, err := h.CanManage(r.Context(), v.ID, processID)
	if err != nil {
		return false, fmt.Errorf("process: can manage: %w", err)
	}
	return ok, nil
}

// requireManage lets next run only for who may administer the process at
// {id}: anonymous visitors are sent to sign in, other participants get 403.
func (h *Handlers) requireManage(next web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if web.ViewerFrom(r.Context()) == nil {
			return kernel.ErrUnauthenticated
		}
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		ok, err := h.canManage(r, id)
		if err != nil {
			return err
		}
		if !ok {
			return kernel.ErrForbidden
		}
		return next(w, r)
	}
}

// territoryNames maps territory id → name in the request's language.
func (h *Handlers) territoryNames(r *http.Request) (map[int64]string, []Territory, error) {
	ts, err := h.Svc.Territories(r.Context())
	if err != nil {
		return nil, nil, err
	}
	locale := web.LocaleFrom(r.Context())
	names := make(map[int64]string, len(ts))
	for _, t := range ts {
		names[t.ID] = t.Name.In(locale)
	}
	return names, ts, nil
}

// card is a process as shown in lists, already in the reader's language.
type card struct {
	Title, Subtitle, URL string
	Territory            string
	Status               Status
	StatusLabel          string
	StartsOn, LastDay    time.Time
}

func (h *Handlers) cards(r *http.Request, ps []Process, names map[int64]string) []card {
	locale := web.LocaleFrom(r.Context())
	now := h.Svc.Now()
	out := make([]card, 0, len(ps))
	for _, p := range ps {
		st := p.Status(now)
		out = append(out, card{
			Title: p.Title.In(locale), Subtitle: p.Subtitle.In(locale), URL: "/processes/" + p.Slug,
			Territory: names[p.TerritoryID], Status: st, StatusLabel: h.t(r, "process.status."+string(st)),
			StartsOn: p.StartsOn, LastDay: p.LastDay(),
		})
	}
	return out
}

// navLink is one entry of the administration sub-navigation of a process.
type navLink struct {
	URL, Label string
	Current    bool
}

// adminNav links the administration pages of one process; current is the
// suffix of the page being shown ("edit", "phases", "pact").
func (h *Handlers) adminNav(r *http.Request, p Process, current string) []navLink {
	base := "/admin/processes/" + strconv.FormatInt(p.ID, 10) + "/"
	items := []struct{ suffix, key string }{
		{"edit", "process.admin.nav.edit"},
		{"phases", "process.admin.nav.phases"},
		{"pact", "process.admin.nav.pact"},
		{"components", "process.admin.nav.components"},
		{"roles", "process.admin.nav.roles"},
	}
	out := make([]navLink, 0, len(items)+1)
	for _, it := range items {
		out = append(out, navLink{URL: base + it.suffix, Label: h.t(r, it.key), Current: it.suffix == current})
	}
	return append(out, navLink{URL: "/processes/" + p.Slug, Label: h.t(r, "process.admin.nav.public")})
}

// territoryOptions lists the territories for a select, with an empty first
// choice labelled by noneKey.
func (h *Handlers) territoryOptions(r *http.Request, ts []Territory, noneKey string, skip int64) []web.Option {
	locale := web.LocaleFrom(r.Context())
	opts := []web.Option{{Value: "", Label: h.t(r, noneKey)}}
	for _, t := range ts {
		if t.ID == skip {
			continue
		}
		label := t.Name.In(locale)
		if t.ParentID != 0 {
			label = "— " + label
		}
		opts = append(opts, web.Option{Value: strconv.FormatInt(t.ID, 10), Label: label})
	}
	return opts
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}
