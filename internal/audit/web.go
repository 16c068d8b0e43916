package audit

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the audit log pages (namespace "audit").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "audit", FS: sub}
}

// Web serves the audit log to administrators: the whole log to platform
// administrators, one space's log to that space's administrators.
type Web struct {
	S     *web.Server
	DB    *db.DB
	Authz *authz.Authorizer
}

// Routes registers the pages.
func (h *Web) Routes() {
	h.S.Handle("GET /admin/audit", web.RequireAdmin(h.platform))
	h.S.Handle("GET /admin/processes/{id}/audit", web.RequireUser(h.process))
}

// PageSize is how many entries one page of the log shows.
const PageSize = 50

// maxActionFilter bounds the action filter; no action name is longer.
const maxActionFilter = 60

// entryView is one log entry as shown.
type entryView struct {
	Row
	ActionLabel  string
	Known        bool
	ActorLabel   string
	SpaceLabel   string
	BeforePretty string
	AfterPretty  string
}

type logData struct {
	Process       *authz.Process // set on a space's log
	Entries       []entryView
	OlderURL      string
	Action        string
	SpaceOptions  []web.Option
	FilterBaseURL string
}

func (h *Web) platform(w http.ResponseWriter, r *http.Request) error {
	procs, err := authz.ListProcesses(r.Context(), h.DB.R())
	if err != nil {
		return err
	}
	f := Filter{Action: actionFilter(r)}
	spaceID, _ := strconv.ParseInt(r.URL.Query().Get("space"), 10, 64)
	locale := web.LocaleFrom(r.Context())
	opts := []web.Option{{Value: "", Label: h.S.Catalog().T(locale, "audit.filter.all_spaces")}}
	titles := map[int64]string{}
	for _, p := range procs {
		titles[p.ID] = p.Title.In(locale)
		opts = append(opts, web.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Title.In(locale)})
	}
	if spaceID > 0 {
		f.SpaceType, f.SpaceID = authz.SpaceProcess, spaceID
	}
	return h.render(w, r, nil, f, opts, titles, "/admin/audit")
}

func (h *Web) process(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	v := web.ViewerFrom(r.Context())
	if v == nil {
		return kernel.ErrUnauthenticated
	}
	p, err := authz.LoadProcess(r.Context(), h.DB.R(), id)
	if err != nil {
		return err
	}
	if err := h.Authz.RequireManage(r.Context(), v.ID, p.Ref()); err != nil {
		return err
	}
	f := Filter{Action: actionFilter(r), SpaceType: authz.SpaceProcess, SpaceID: p.ID}
	locale := web.LocaleFrom(r.Context())
	return h.render(w, r, &p, f, nil, map[int64]string{p.ID: p.Title.In(locale)}, "/admin/processes/"+strconv.FormatInt(p.ID, 10)+"/audit")
}

// actionFilter reads the action prefix; overlong input cannot match any
// action and is ignored rather than rejected (it is a GET filter).
func actionFilter(r *http.Request) string {
	a := strings.TrimSpace(r.URL.Query().Get("action"))
	if utf8.RuneCountInString(a) > maxActionFilter || !utf8.ValidString(a) {
		return ""
	}
	return a
}

func (h *Web) render(w http.ResponseWriter, r *http.Request, p *authz.Process, f Filter, spaceOpts []web.Option, titles map[int64]string, base string) error {
	q := r.URL.Query()
	f.BeforeID, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	f.Limit = PageSize + 1
	rows, err := List(r.Context(), h.DB, f)
	if err != nil {
		return err
	}
	locale := web.LocaleFrom(r.Context())
	cat := h.S.Catalog()
	d := logData{Process: p, Action: f.Action, FilterBaseURL: base}
	if len(rows) > PageSize {
		rows = rows[:PageSize]
		older := url.Values{}
		if f.Action != "" {
			older.Set("action", f.Action)
		}
		if p == nil && f.SpaceID > 0 {
			older.Set("space", strconv.FormatInt(f.SpaceID, 10))
		}
		older.Set("before", strconv.FormatInt(rows[len(rows)-1].ID, 10))
		d.OlderURL = base + "?" + older.Encode()
	}
	for _, row := range rows {
		ev := entryView{Row: row, ActionLabel: row.Action, BeforePretty: pretty(row.Before), AfterPretty: pretty(row.After)}
		switch {
		case row.ActorID == 0:
			ev.ActorLabel = cat.T(locale, "audit.actor_system")
		case row.ActorNickname == "" || strings.HasPrefix(row.ActorNickname, "\x00"):
			// Erased accounts keep their row but lose their public name.
			ev.ActorLabel = cat.T(locale, "audit.actor_deleted")
		default:
			ev.ActorLabel = row.ActorNickname
		}
		if key := "audit.action." + row.Action; cat.Has(locale, key) {
			ev.ActionLabel, ev.Known = cat.T(locale, key), true
		}
		if row.SpaceType == authz.SpaceProcess {
			ev.SpaceLabel = titles[row.SpaceID]
		}
		d.Entries = append(d.Entries, ev)
	}
	for i := range spaceOpts {
		spaceOpts[i].Selected = f.SpaceID > 0 && spaceOpts[i].Value == strconv.FormatInt(f.SpaceID, 10)
	}
	d.SpaceOptions = spaceOpts
	return h.S.Render(w, r, "audit/list.html", d)
}

// pretty indents a JSON value for reading, with <, > and & as themselves
// (the template escapes them); anything else is shown as stored.
func pretty(s string) string {
	if s == "" {
		return ""
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber() // keep large IDs exact
	var v any
	if err := dec.Decode(&v); err != nil {
		return s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return s
	}
	return strings.TrimRight(buf.String(), "\n")
}
