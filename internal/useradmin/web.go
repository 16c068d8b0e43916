package useradmin

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the users admin pages (namespace "useradmin").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "useradmin", FS: sub}
}

// Web serves /admin/users to platform administrators.
type Web struct {
	S     *web.Server
	Users *Service
}

// Routes registers the pages.
func (h *Web) Routes() {
	h.S.Handle("GET /admin/users", web.RequireAdmin(h.list))
	h.S.Handle("POST /admin/users/{id}/admin", web.RequireAdmin(h.setAdmin(true)))
	h.S.Handle("POST /admin/users/{id}/unadmin", web.RequireAdmin(h.setAdmin(false)))
}

// PageSize is how many accounts one page lists.
const PageSize = 50

type listData struct {
	Query    string
	Users    []User
	OlderURL string
	Self     int64
}

func (h *Web) render(w http.ResponseWriter, r *http.Request, v *web.Viewer, query string, beforeID int64, f *web.Form) error {
	if utf8.RuneCountInString(query) > MaxQueryLen {
		query = ""
	}
	us, err := h.Users.Search(r.Context(), query, beforeID, PageSize+1)
	if err != nil {
		return err
	}
	d := listData{Query: query, Self: v.ID}
	if len(us) > PageSize {
		us = us[:PageSize]
		q := url.Values{}
		if query != "" {
			q.Set("q", query)
		}
		q.Set("before", strconv.FormatInt(us[len(us)-1].ID, 10))
		d.OlderURL = "/admin/users?" + q.Encode()
	}
	d.Users = us
	return h.S.RenderForm(w, r, "useradmin/list.html", d, f)
}

func (h *Web) list(w http.ResponseWriter, r *http.Request) error {
	v := web.ViewerFrom(r.Context())
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	return h.render(w, r, v, r.URL.Query().Get("q"), before, nil)
}

func (h *Web) setAdmin(admin bool) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := web.ViewerFrom(r.Context())
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		f, err := web.ParseForm(r)
		if err != nil {
			return err
		}
		if err := h.Users.SetAdmin(r.Context(), id, admin); err != nil {
			if h.S.Fail(r, f, err) {
				return h.render(w, r, v, f.Get("q"), 0, f)
			}
			return err
		}
		if admin {
			h.S.SetFlash(w, "useradmin.flash.granted")
		} else {
			h.S.SetFlash(w, "useradmin.flash.revoked")
		}
		next := "/admin/users"
		if q := f.Get("q"); q != "" {
			next += "?q=" + url.QueryEscape(q)
		}
		return web.Redirect(w, r, next)
	}
}
