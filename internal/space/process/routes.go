package process

import (
	"context"
	"embed"
	"io/fs"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the package's pages (namespace "process").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "process", FS: sub}
}

// ComponentLink is one published component of a space, as linked from the
// space's page.
type ComponentLink struct {
	Name kernel.Text
	URL  string
	Type string // the component type, e.g. "page"
}

// ComponentLister lists the published components of a space, in order. The
// component registry provides it; processes know nothing else about
// components.
type ComponentLister func(ctx context.Context, spaceType string, spaceID int64) ([]ComponentLink, error)

// AdminLink is an entry of the administration dashboard added by another
// module (audit log, users…).
type AdminLink struct {
	URL      string
	LabelKey string // i18n key of the link text
	HintKey  string // i18n key of a one-line description; may be empty
}

// Handlers serve the public pages of processes, the home page, and the
// administration of territories, processes, phases and Pacts.
type Handlers struct {
	S   *web.Server
	Svc *Service
	// Components lists a process's published components; nil shows none.
	Components ComponentLister
	// AdminLinks are extra entries of the /admin dashboard.
	AdminLinks []AdminLink
	// CanManage reports whether userID administers the process (a space
	// administrator), so they can edit it, its phases and its Pact and see
	// its draft. Platform administrators are let in without asking it; nil
	// lets only them in.
	CanManage func(ctx context.Context, userID, processID int64) (bool, error)
}

// Routes registers every route of the package.
func (h *Handlers) Routes() {
	admin := web.RequireAdmin
	manage := h.requireManage
	routes := []struct {
		pattern string
		handler web.HandlerFunc
	}{
		// Public
		{"GET /{$}", h.home},
		{"GET /processes", h.list},
		{"GET /processes/{slug}", h.show},
		{"GET /processes/{slug}/pact", h.pact},
		{"GET /processes/{slug}/pact/versions/{n}", h.pactVersion},

		// Administration of the platform (platform administrators)
		{"GET /admin", admin(h.adminDashboard)},
		{"GET /admin/territories", admin(h.adminTerritories)},
		{"GET /admin/territories/new", admin(h.adminTerritoryNew)},
		{"POST /admin/territories", admin(h.adminTerritoryCreate)},
		{"GET /admin/territories/{id}/edit", admin(h.adminTerritoryEdit)},
		{"POST /admin/territories/{id}", admin(h.adminTerritoryUpdate)},
		{"GET /admin/processes", admin(h.adminProcesses)},
		{"GET /admin/processes/new", admin(h.adminProcessNew)},
		{"POST /admin/processes", admin(h.adminProcessCreate)},

		// Administration of one process (platform administrators and the
		// process's space administrators)
		{"GET /admin/processes/{id}", manage(h.adminProcessRedirect)},
		{"GET /admin/processes/{id}/edit", manage(h.adminProcessEdit)},
		{"POST /admin/processes/{id}", manage(h.adminProcessUpdate)},
		{"GET /admin/processes/{id}/phases", manage(h.adminPhases)},
		{"POST /admin/processes/{id}/phases", manage(h.adminPhaseCreate)},
		{"GET /admin/processes/{id}/phases/{phase}/edit", manage(h.adminPhaseEdit)},
		{"POST /admin/processes/{id}/phases/{phase}", manage(h.adminPhaseUpdate)},
		{"POST /admin/processes/{id}/phases/{phase}/delete", manage(h.adminPhaseDelete)},
		{"POST /admin/processes/{id}/phases/{phase}/move", manage(h.adminPhaseMove)},
		{"POST /admin/processes/{id}/pin", manage(h.adminPhasePin)},
		{"GET /admin/processes/{id}/pact", manage(h.adminPact)},
		{"POST /admin/processes/{id}/pact", manage(h.adminPactSubmit)},
	}
	for _, rt := range routes {
		h.S.Handle(rt.pattern, rt.handler)
	}
}
