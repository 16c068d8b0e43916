package component

import (
	"net/http"
	"sort"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

// View is what a tool's handler receives: its component and the process it
// lives in, already loaded and checked.
type View struct {
	Component Component
	Process   authz.Process
	// CanManage is true when the viewer administers the space; public pages
	// then show unpublished components as a preview.
	CanManage bool
}

// Handler is a tool's page handler.
type Handler func(w http.ResponseWriter, r *http.Request, v View) error

// Mount is how a tool registers its pages. Routes are relative to the
// component's public URL (/processes/{slug}/c/{componentID}) or admin URL
// (/admin/processes/{id}/components/{componentID}/manage); suffix "" is
// that URL itself, "/items/{item}" a page below it.
type Mount struct {
	typ  string
	host *Web
}

// Server returns the web server, for rendering.
func (m *Mount) Server() *web.Server { return m.host.S }

// Public registers a public page. The platform answers 404 when the process
// or the component is unpublished, unless the viewer manages the space.
func (m *Mount) Public(method, suffix string, h Handler) {
	m.host.add(m.host.public, method+" "+suffix, m.typ, h)
}

// Admin registers an admin page; only the space's managers reach it.
func (m *Mount) Admin(method, suffix string, h Handler) {
	m.host.add(m.host.admin, method+" "+suffix, m.typ, h)
}

func (h *Web) add(table map[string]map[string]Handler, route, typ string, hf Handler) {
	if table[route] == nil {
		table[route] = map[string]Handler{}
	}
	table[route][typ] = hf
}

// mountTools lets every registered tool add its pages, then registers one
// dispatcher per distinct route: several tools share a URL shape, and the
// component's type picks the handler.
func (h *Web) mountTools() {
	for _, m := range h.Components.reg.All() {
		if m.Mount != nil {
			m.Mount(&Mount{typ: m.Type, host: h})
		}
	}
	for _, route := range sortedKeys(h.public) {
		method, suffix := splitRoute(route)
		table := h.public[route]
		h.S.Handle(method+" /processes/{slug}/c/{componentID}"+suffix, func(w http.ResponseWriter, r *http.Request) error {
			return h.dispatchPublic(w, r, table)
		})
	}
	for _, route := range sortedKeys(h.admin) {
		method, suffix := splitRoute(route)
		table := h.admin[route]
		h.S.Handle(method+" /admin/processes/{id}/components/{componentID}/manage"+suffix, func(w http.ResponseWriter, r *http.Request) error {
			return h.dispatchAdmin(w, r, table)
		})
	}
}

func sortedKeys(m map[string]map[string]Handler) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func splitRoute(route string) (method, suffix string) {
	for i := 0; i < len(route); i++ {
		if route[i] == ' ' {
			return route[:i], route[i+1:]
		}
	}
	return route, ""
}

func (h *Web) dispatchPublic(w http.ResponseWriter, r *http.Request, table map[string]Handler) error {
	ctx := r.Context()
	p, err := authz.LoadProcessBySlug(ctx, h.DB.R(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "componentID")
	if err != nil {
		return err
	}
	c, err := h.Components.GetIn(ctx, p.Ref(), id)
	if err != nil {
		return err
	}
	hf, ok := table[c.Type]
	if !ok {
		return kernel.ErrNotFound
	}
	var manage bool
	if v := web.ViewerFrom(ctx); v != nil {
		if manage, err = h.Authz.CanManage(ctx, v.ID, p.Ref()); err != nil {
			return err
		}
	}
	if (!p.Published || !c.Published()) && !manage {
		return kernel.ErrNotFound
	}
	return hf(w, r, View{Component: c, Process: p, CanManage: manage})
}

func (h *Web) dispatchAdmin(w http.ResponseWriter, r *http.Request, table map[string]Handler) error {
	p, c, err := h.component(r)
	if err != nil {
		return err
	}
	hf, ok := table[c.Type]
	if !ok {
		return kernel.ErrNotFound
	}
	return hf(w, r, View{Component: c, Process: p, CanManage: true})
}
