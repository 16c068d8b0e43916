package component

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the component admin pages (namespace "component").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "component", FS: sub}
}

// Web serves the components' admin pages and mounts every tool's pages.
type Web struct {
	S          *web.Server
	DB         *db.DB
	Components *Service
	Authz      *authz.Authorizer
	public     map[string]map[string]Handler
	admin      map[string]map[string]Handler
}

// NewWeb returns the web surface of components.
func NewWeb(s *web.Server, d *db.DB, svc *Service, az *authz.Authorizer) *Web {
	return &Web{S: s, DB: d, Components: svc, Authz: az, public: map[string]map[string]Handler{}, admin: map[string]map[string]Handler{}}
}

// Routes registers the admin pages and every tool's pages. Call it after
// all tools are registered.
func (h *Web) Routes() {
	const base = "/admin/processes/{id}/components"
	h.S.Handle("GET "+base, h.list)
	h.S.Handle("POST "+base, h.create)
	h.S.Handle("GET "+base+"/{componentID}/edit", h.edit)
	h.S.Handle("POST "+base+"/{componentID}/edit", h.rename)
	h.S.Handle("POST "+base+"/{componentID}/move", h.move)
	h.S.Handle("POST "+base+"/{componentID}/publish", h.publish(true))
	h.S.Handle("POST "+base+"/{componentID}/unpublish", h.publish(false))
	h.S.Handle("GET "+base+"/{componentID}/delete", h.confirmDelete)
	h.S.Handle("POST "+base+"/{componentID}/delete", h.delete)
	h.S.Handle("GET "+base+"/{componentID}/actions", h.actions)
	h.S.Handle("POST "+base+"/{componentID}/actions", h.saveActions)
	h.mountTools()
}

// process loads the process in the URL after checking the viewer manages it.
func (h *Web) process(r *http.Request) (authz.Process, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return authz.Process{}, err
	}
	v := web.ViewerFrom(r.Context())
	if v == nil {
		return authz.Process{}, kernel.ErrUnauthenticated
	}
	p, err := authz.LoadProcess(r.Context(), h.DB.R(), id)
	if err != nil {
		return authz.Process{}, err
	}
	if err := h.Authz.RequireManage(r.Context(), v.ID, p.Ref()); err != nil {
		return authz.Process{}, err
	}
	return p, nil
}

// component loads the process and one of its components from the URL.
func (h *Web) component(r *http.Request) (authz.Process, Component, error) {
	p, err := h.process(r)
	if err != nil {
		return authz.Process{}, Component{}, err
	}
	id, err := web.PathID(r, "componentID")
	if err != nil {
		return authz.Process{}, Component{}, err
	}
	c, err := h.Components.GetIn(r.Context(), p.Ref(), id)
	if err != nil {
		return authz.Process{}, Component{}, err
	}
	return p, c, nil
}

func listURL(p authz.Process) string {
	return "/admin/processes/" + strconv.FormatInt(p.ID, 10) + "/components"
}

// row is one component in the admin list.
type row struct {
	Component
	TypeName  string
	HasEditor bool
	PublicURL string
	First     bool
	Last      bool
}

type toolInfo struct {
	Type, Name, Description string
}

type listData struct {
	Process     authz.Process
	Rows        []row
	TypeOptions []web.Option
	Tools       []toolInfo
}

func (h *Web) renderList(w http.ResponseWriter, r *http.Request, p authz.Process, f *web.Form) error {
	cs, err := h.Components.List(r.Context(), p.Ref())
	if err != nil {
		return err
	}
	t := h.translator(r)
	d := listData{Process: p}
	for i, c := range cs {
		rw := row{Component: c, TypeName: c.Type, PublicURL: PublicURL(p.Slug, c.ID), First: i == 0, Last: i == len(cs)-1}
		if m, ok := h.Components.reg.Get(c.Type); ok {
			rw.TypeName = t(m.NameKey)
			rw.HasEditor = m.HasEditor
		}
		d.Rows = append(d.Rows, rw)
	}
	for _, m := range h.Components.reg.All() {
		d.TypeOptions = append(d.TypeOptions, web.Option{Value: m.Type, Label: t(m.NameKey)})
		d.Tools = append(d.Tools, toolInfo{Type: m.Type, Name: t(m.NameKey), Description: t(m.DescriptionKey)})
	}
	return h.S.RenderForm(w, r, "component/list.html", d, f)
}

func (h *Web) translator(r *http.Request) func(key string, args ...any) string {
	locale := web.LocaleFrom(r.Context())
	return func(key string, args ...any) string { return h.S.Catalog().T(locale, key, args...) }
}

func (h *Web) list(w http.ResponseWriter, r *http.Request) error {
	p, err := h.process(r)
	if err != nil {
		return err
	}
	return h.renderList(w, r, p, nil)
}

func nameFrom(f *web.Form) kernel.Text {
	return kernel.Text{kernel.LocaleIT: f.Get("name_it"), kernel.LocaleEN: f.Get("name_en")}
}

func (h *Web) create(w http.ResponseWriter, r *http.Request) error {
	p, err := h.process(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	c, err := h.Components.Create(r.Context(), p.Ref(), f.Get("type"), nameFrom(f))
	if err != nil {
		if h.S.Fail(r, f, err) {
			return h.renderList(w, r, p, f)
		}
		return err
	}
	h.S.SetFlash(w, "component.flash.created")
	// Straight to its content editor when the tool has one: the next thing
	// an administrator does with a new page is write it.
	if m, _ := h.Components.reg.Get(c.Type); m.HasEditor {
		return web.Redirect(w, r, AdminURL(p.ID, c.ID, "/manage"))
	}
	return web.Redirect(w, r, listURL(p))
}

type editData struct {
	Process   authz.Process
	Component Component
}

func (h *Web) edit(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.component(r)
	if err != nil {
		return err
	}
	f := web.NewForm(map[string]string{"name_it": c.Name[kernel.LocaleIT], "name_en": c.Name[kernel.LocaleEN]})
	return h.S.RenderForm(w, r, "component/edit.html", editData{Process: p, Component: c}, f)
}

func (h *Web) rename(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.component(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	if err := h.Components.Rename(r.Context(), c.ID, nameFrom(f)); err != nil {
		if h.S.Fail(r, f, err) {
			return h.S.RenderForm(w, r, "component/edit.html", editData{Process: p, Component: c}, f)
		}
		return err
	}
	h.S.SetFlash(w, "component.flash.renamed")
	return web.Redirect(w, r, listURL(p))
}

func (h *Web) move(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.component(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	var delta int
	switch f.Get("direction") {
	case "up":
		delta = -1
	case "down":
		delta = 1
	default:
		return kernel.Invalid("direction", "error.invalid")
	}
	if err := h.Components.Move(r.Context(), c.ID, delta); err != nil {
		return err
	}
	h.S.SetFlash(w, "component.flash.moved")
	return web.Redirect(w, r, listURL(p))
}

func (h *Web) publish(on bool) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, c, err := h.component(r)
		if err != nil {
			return err
		}
		if err := h.Components.SetPublished(r.Context(), c.ID, on); err != nil {
			return err
		}
		if on {
			h.S.SetFlash(w, "component.flash.published")
		} else {
			h.S.SetFlash(w, "component.flash.unpublished")
		}
		return web.Redirect(w, r, listURL(p))
	}
}

func (h *Web) confirmDelete(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.component(r)
	if err != nil {
		return err
	}
	return h.S.Render(w, r, "component/delete.html", editData{Process: p, Component: c})
}

func (h *Web) delete(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.component(r)
	if err != nil {
		return err
	}
	if err := h.Components.Delete(r.Context(), c.ID); err != nil {
		return err
	}
	h.S.SetFlash(w, "component.flash.deleted")
	return web.Redirect(w, r, listURL(p))
}

// cell is one checkbox of the matrix of open actions.
type cell struct {
	ID    string
	Value string
	Label string
}

type matrixRow struct {
	Action string
	Label  string
	Cells  []cell
}

type actionsData struct {
	Process   authz.Process
	Component Component
	Rows      []matrixRow
}

func (h *Web) renderActions(w http.ResponseWriter, r *http.Request, p authz.Process, c Component, f *web.Form) error {
	t := h.translator(r)
	locale := web.LocaleFrom(r.Context())
	d := actionsData{Process: p, Component: c}
	if m, ok := h.Components.reg.Get(c.Type); ok {
		for _, a := range m.Actions {
			mr := matrixRow{Action: a, Label: t("component.action." + a)}
			for _, ph := range p.Phases {
				mr.Cells = append(mr.Cells, cell{
					ID:    "open-" + strconv.FormatInt(ph.ID, 10) + "-" + a,
					Value: strconv.FormatInt(ph.ID, 10) + ":" + a,
					Label: t("component.actions.cell", "action", mr.Label, "phase", ph.Title.In(locale)),
				})
			}
			d.Rows = append(d.Rows, mr)
		}
	}
	return h.S.RenderForm(w, r, "component/actions.html", d, f)
}

func (h *Web) actions(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.component(r)
	if err != nil {
		return err
	}
	pa, err := h.Components.PhaseActions(r.Context(), c.ID)
	if err != nil {
		return err
	}
	vals := url.Values{}
	for ph, as := range pa {
		for _, a := range as {
			vals.Add("open", strconv.FormatInt(ph, 10)+":"+a)
		}
	}
	return h.renderActions(w, r, p, c, &web.Form{Values: vals})
}

// parseMatrix reads the ticked "phaseID:action" boxes.
func parseMatrix(f *web.Form) (PhaseActions, error) {
	pa := PhaseActions{}
	for _, v := range f.Values["open"] {
		phs, action, ok := strings.Cut(v, ":")
		ph, err := strconv.ParseInt(phs, 10, 64)
		if !ok || err != nil || ph <= 0 || action == "" {
			return nil, kernel.Invalid("", "component.error.matrix_malformed")
		}
		if !pa.Open(ph, action) {
			pa[ph] = append(pa[ph], action)
		}
	}
	return pa, nil
}

func (h *Web) saveActions(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.component(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	pa, err := parseMatrix(f)
	if err == nil {
		err = h.Components.SetPhaseActions(r.Context(), c.ID, pa)
	}
	if err != nil {
		if h.S.Fail(r, f, err) {
			return h.renderActions(w, r, p, c, f)
		}
		return err
	}
	h.S.SetFlash(w, "component.flash.actions_saved")
	return web.Redirect(w, r, AdminURL(p.ID, c.ID, "/actions"))
}
