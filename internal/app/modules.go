package app

import (
	"context"
	"net/http"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/comments"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/components/page"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/identity/cityuser"
	"github.com/arengo/arengo/internal/identity/oidclogin"
	"github.com/arengo/arengo/internal/identity/spidlogin"
	"github.com/arengo/arengo/internal/mail"
	"github.com/arengo/arengo/internal/moderation"
	"github.com/arengo/arengo/internal/notify"
	"github.com/arengo/arengo/internal/space/process"
	"github.com/arengo/arengo/internal/space/roles"
	"github.com/arengo/arengo/internal/useradmin"
	"github.com/arengo/arengo/internal/web"
)

// Services are the platform's use-case services, for the CLI and the demo
// loader as well as the web handlers.
type Services struct {
	Identity *identity.Service
	// Processes: territories, processes, phases, Pacts. ProcessWeb's
	// Components lister and AdminLinks are filled by later modules.
	Processes  *process.Service
	ProcessWeb *process.Handlers
	// Components, the tools registry and authorization (see wire_components.go).
	Registry   *component.Registry
	Components *component.Service
	Pages      *page.Module
	Roles      *roles.Service
	Authz      *authz.Authorizer
	Users      *useradmin.Service
	// Comments and Moderation are shared by every participation tool: a
	// component registers a comments.Policy / moderation.Reportable for its
	// things and includes CommentsWeb.Section in its pages.
	Comments    *comments.Service
	CommentsWeb *comments.Web
	Moderation  *moderation.Service
	// IdentityX: keys, census, verifications, eligibility, city users (wire_identity.go).
	IdentityX *IdentityServices
	// StrongLogin: SPID (with the demo's test IdP) and the flow strong logins share.
	StrongLogin *spidlogin.Module
}

// templateSources lists every package's pages.
func templateSources() []web.TemplateSource {
	return append([]web.TemplateSource{
		web.BaseSource(),
		mail.Templates(),
		notify.Templates(),
		identity.Templates(),
		process.Templates(),
		comments.Templates(),
		moderation.Templates(),
		cityuser.Templates(),
		spidlogin.Templates(),
	}, append(componentTemplates(), identityTemplates()...)...)
}

// wireModules builds the services and registers every module's routes.
func (a *App) wireModules() error {
	ids := identity.NewService(a.DB, a.Clock, identity.Options{SessionIdle: a.Cfg.SessionIdle, SessionMax: a.Cfg.SessionMax,
		Hash: identity.HashParams{MemoryKiB: uint32(a.Cfg.Argon2MemoryKiB), Time: uint32(a.Cfg.Argon2Time)}})
	a.Services = &Services{Identity: ids}
	a.sweeps = append(a.sweeps, ids.Sweep)
	notes := notify.New(a.DB, a.Clock)
	a.Web.SetAuthenticator(sessionAuth{svc: ids, notify: notes})
	(&notify.Web{S: a.Web, Svc: notes}).Routes()
	a.Web.Use(func(h http.Handler) http.Handler { return withActor(a.Web, h) })

	lang := languageHandler{s: a.Web, users: ids}
	a.Web.Handle("POST /lang", lang.switchLanguage)
	accounts := &identity.Handlers{S: a.Web, Svc: ids, Limiter: a.Limiter}
	accounts.Routes()
	idx, err := a.wireIdentity()
	if err != nil {
		return err
	}
	a.Services.IdentityX = idx
	strong, err := spidlogin.New(context.Background(), spidlogin.Deps{Cfg: a.Cfg, S: a.Web, DB: a.DB, Users: ids,
		Verify: idx.Verification, Keys: idx.Keys, Clock: a.Clock, Log: a.Log, Limiter: a.Limiter})
	if err != nil {
		return err
	}
	a.Services.StrongLogin = strong
	if oc, ok := oidclogin.FromConfig(a.Cfg); ok {
		ol, err := oidclogin.New(oc, a.Web, a.DB, strong.Flow, a.Clock, nil, a.Log)
		if err != nil {
			return err
		}
		ol.Routes()
		strong.Others = append(strong.Others, ol.Button())
		a.sweeps = append(a.sweeps, ol.Sweep)
	}
	strong.Routes()
	accounts.LoginOptions = func(w http.ResponseWriter) identity.LoginOptions {
		o := identity.LoginOptions{SPID: strong.SPID != nil}
		for _, p := range strong.Others {
			o.Others = append(o.Others, identity.LoginProvider{Name: p.Name, Action: p.Action})
			spidlogin.AllowFormAction(w, p.Origin) // the form's redirect goes to the provider
		}
		return o
	}
	a.Web.Use(strong.Middleware)
	a.sweeps = append(a.sweeps, strong.Sweeps()...)
	a.workers = append(a.workers, strong.Workers()...)
	procs := process.NewService(a.DB, a.Clock, nil)
	a.Services.Processes = procs
	a.Services.ProcessWeb = &process.Handlers{S: a.Web, Svc: procs}
	a.Services.ProcessWeb.Routes() // includes the home page, GET /{$}
	a.demoLoaders = append(a.demoLoaders, a.demoProcesses, a.demoIdentity)

	if a.Cfg.Demo {
		(&mail.Viewer{S: a.Web, DB: a.DB}).Routes()
	}
	mod := moderation.NewService(a.DB, a.Clock, a.Catalog, a.Limiter, ids, moderation.Options{BaseURL: a.Cfg.BaseURL, OrgName: a.Cfg.OrgName})
	cms, err := comments.NewService(a.DB, a.Clock, a.Catalog, a.Limiter, mod, comments.Options{BaseURL: a.Cfg.BaseURL, OrgName: a.Cfg.OrgName})
	if err != nil {
		return err
	}
	cweb, err := comments.NewWeb(a.Web, cms)
	if err != nil {
		return err
	}
	a.Services.Comments, a.Services.CommentsWeb, a.Services.Moderation = cms, cweb, mod
	cweb.Routes()
	(&moderation.Web{S: a.Web, Svc: mod}).Routes()
	// Last, so its demo loader runs after the processes' one.
	if err := a.wireComponents(); err != nil {
		return err
	}
	return a.wireEligibility()
}

// sweepAll runs every module's expiry sweep.
func (a *App) sweepAll(ctx context.Context) error {
	for _, s := range a.sweeps {
		if err := s(ctx); err != nil {
			return err
		}
	}
	return nil
}
