package app

import (
	"context"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/components/consultation"
	"github.com/arengo/arengo/internal/components/page"
	"github.com/arengo/arengo/internal/space/process"
	"github.com/arengo/arengo/internal/space/roles"
	"github.com/arengo/arengo/internal/useradmin"
	"github.com/arengo/arengo/internal/web"
)

// componentTemplates lists the pages of components, roles, the audit log and
// the users admin.
func componentTemplates() []web.TemplateSource {
	return []web.TemplateSource{
		component.Templates(),
		page.Templates(),
		consultation.Templates(),
		roles.Templates(),
		audit.Templates(),
		useradmin.Templates(),
	}
}

// wireComponents builds the tools registry, registers every tool, and
// mounts components, space roles, the audit log and the users admin.
func (a *App) wireComponents() error {
	reg := component.NewRegistry()
	pages := page.New(a.DB, a.Clock)
	if err := reg.Register(pages.Manifest()); err != nil {
		return err
	}
	rs := roles.NewService(a.DB, a.Clock)
	// The eligibility hook is the default (confirmed email) until
	// wireEligibility installs the identity module's rules.
	az := authz.New(a.DB, a.Clock, rs, reg, nil)
	comps := component.NewService(a.DB, a.Clock, reg)
	users := useradmin.NewService(a.DB, a.Clock)
	a.Services.Registry, a.Services.Components, a.Services.Pages = reg, comps, pages
	a.Services.Roles, a.Services.Authz, a.Services.Users = rs, az, users
	cons, err := consultation.New(consultation.Deps{DB: a.DB, Clock: a.Clock, Catalog: a.Catalog, Limiter: a.Limiter, Authz: az,
		Comments: a.Services.Comments, CommentsWeb: a.Services.CommentsWeb, Moderation: a.Services.Moderation,
		Options: consultation.Options{BaseURL: a.Cfg.BaseURL, OrgName: a.Cfg.OrgName}})
	if err != nil {
		return err
	}
	if err := reg.Register(cons.Manifest()); err != nil {
		return err
	}

	component.NewWeb(a.Web, a.DB, comps, az).Routes()
	(&roles.Web{S: a.Web, DB: a.DB, Roles: rs, Authz: az}).Routes()
	(&audit.Web{S: a.Web, DB: a.DB, Authz: az}).Routes()
	(&useradmin.Web{S: a.Web, Users: users}).Routes()
	if pw := a.Services.ProcessWeb; pw != nil {
		pw.Components = componentLinks(comps)
		pw.CanManage = func(ctx context.Context, userID, processID int64) (bool, error) {
			return az.CanManage(ctx, userID, authz.SpaceRef{Type: authz.SpaceProcess, ID: processID})
		}
		pw.AdminLinks = append(pw.AdminLinks,
			process.AdminLink{URL: "/admin/audit", LabelKey: "audit.admin_link", HintKey: "audit.admin_hint"},
			process.AdminLink{URL: "/admin/users", LabelKey: "useradmin.admin_link", HintKey: "useradmin.admin_hint"},
			process.AdminLink{URL: "/moderation", LabelKey: "moderation.admin_link", HintKey: "moderation.admin_hint"})
	}
	a.demoLoaders = append(a.demoLoaders, a.demoComponents, a.demoConsultationLoader(cons))
	return nil
}

// componentLinks adapts the component service to the process page's lister
// of published components.
func componentLinks(svc *component.Service) process.ComponentLister {
	return func(ctx context.Context, spaceType string, spaceID int64) ([]process.ComponentLink, error) {
		links, err := svc.Links(ctx, spaceType, spaceID)
		if err != nil {
			return nil, err
		}
		out := make([]process.ComponentLink, len(links))
		for i, l := range links {
			out[i] = process.ComponentLink(l)
		}
		return out, nil
	}
}
