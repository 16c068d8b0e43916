package page

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the page tool's pages (namespace "page").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "page", FS: sub}
}

type pageData struct {
	component.View
	Page       Page
	ProcessURL string
	AdminURL   string
}

func (m *Module) mount(mt *component.Mount) {
	s := mt.Server()
	mt.Public("GET", "", func(w http.ResponseWriter, r *http.Request, v component.View) error {
		p, err := m.Get(r.Context(), v.Component.ID)
		if err != nil {
			return err
		}
		return s.Render(w, r, "page/show.html", m.data(v, p))
	})
	mt.Admin("GET", "", func(w http.ResponseWriter, r *http.Request, v component.View) error {
		p, err := m.Get(r.Context(), v.Component.ID)
		if err != nil {
			return err
		}
		f := web.NewForm(map[string]string{"body_it": p.Body[kernel.LocaleIT], "body_en": p.Body[kernel.LocaleEN]})
		return s.RenderForm(w, r, "page/edit.html", m.data(v, p), f)
	})
	mt.Admin("POST", "", func(w http.ResponseWriter, r *http.Request, v component.View) error {
		f, err := web.ParseForm(r)
		if err != nil {
			return err
		}
		body := kernel.Text{kernel.LocaleIT: f.Raw("body_it"), kernel.LocaleEN: f.Raw("body_en")}
		if err := m.Save(r.Context(), v.Component, body); err != nil {
			if s.Fail(r, f, err) {
				return s.RenderForm(w, r, "page/edit.html", m.data(v, Page{ComponentID: v.Component.ID}), f)
			}
			return err
		}
		s.SetFlash(w, "component.page.flash.saved")
		return web.Redirect(w, r, component.AdminURL(v.Process.ID, v.Component.ID, "/manage"))
	})
}

func (m *Module) data(v component.View, p Page) pageData {
	return pageData{
		View: v, Page: p,
		ProcessURL: "/processes/" + v.Process.Slug,
		AdminURL:   component.AdminURL(v.Process.ID, v.Component.ID, "/manage"),
	}
}
