package roles

import (
	"embed"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the roles pages (namespace "roles").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "roles", FS: sub}
}

// Web serves the space roles admin pages.
type Web struct {
	S     *web.Server
	DB    *db.DB
	Roles *Service
	Authz *authz.Authorizer
}

// Routes registers the pages. A process's roles are managed by platform
// administrators and by that process's own administrators.
func (h *Web) Routes() {
	h.S.Handle("GET /admin/processes/{id}/roles", h.list)
	h.S.Handle("POST /admin/processes/{id}/roles", h.assign)
	h.S.Handle("POST /admin/processes/{id}/roles/{roleID}/revoke", h.revoke)
}

type listData struct {
	Process     authz.Process
	Assignments []Assignment
	RoleOptions []web.Option
}

// process loads the process named in the URL after checking the viewer may manage it.
func (h *Web) process(r *http.Request) (authz.Process, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return authz.Process{}, err
	}
	var uid int64
	if v := web.ViewerFrom(r.Context()); v != nil {
		uid = v.ID
	}
	if uid == 0 {
		return authz.Process{}, kernel.ErrUnauthenticated
	}
	p, err := authz.LoadProcess(r.Context(), h.DB.R(), id)
	if err != nil {
		return authz.Process{}, err
	}
	if err := h.Authz.RequireManage(r.Context(), uid, p.Ref()); err != nil {
		return authz.Process{}, err
	}
	return p, nil
}

func (h *Web) render(w http.ResponseWriter, r *http.Request, p authz.Process, f *web.Form) error {
	as, err := h.Roles.List(r.Context(), p.Ref())
	if err != nil {
		return err
	}
	locale := web.LocaleFrom(r.Context())
	var opts []web.Option
	for _, role := range authz.Roles {
		opts = append(opts, web.Option{Value: role, Label: h.S.Catalog().T(locale, "roles.role."+role)})
	}
	return h.S.RenderForm(w, r, "roles/list.html", listData{Process: p, Assignments: as, RoleOptions: opts}, f)
}

func (h *Web) list(w http.ResponseWriter, r *http.Request) error {
	p, err := h.process(r)
	if err != nil {
		return err
	}
	return h.render(w, r, p, web.NewForm(map[string]string{"role": authz.RoleModerator}))
}

func (h *Web) assign(w http.ResponseWriter, r *http.Request) error {
	p, err := h.process(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	if _, err := h.Roles.Assign(r.Context(), p.Ref(), f.Get("nickname"), f.Get("role")); err != nil {
		if h.S.Fail(r, f, err) {
			return h.render(w, r, p, f)
		}
		return err
	}
	h.S.SetFlash(w, "roles.flash.assigned")
	return web.Redirect(w, r, r.URL.Path)
}

func (h *Web) revoke(w http.ResponseWriter, r *http.Request) error {
	p, err := h.process(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "roleID")
	if err != nil {
		return err
	}
	if err := h.Roles.Revoke(r.Context(), p.Ref(), id); err != nil {
		return err
	}
	h.S.SetFlash(w, "roles.flash.revoked")
	return web.Redirect(w, r, "/admin/processes/"+strconv.FormatInt(p.ID, 10)+"/roles")
}
