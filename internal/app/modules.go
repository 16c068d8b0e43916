package app

import (
	"context"
	"net/http"

	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/mail"
	"github.com/arengo/arengo/internal/web"
)

// Services are the platform's use-case services, for the CLI and the demo
// loader as well as the web handlers.
type Services struct {
	Identity *identity.Service
}

// templateSources lists every package's pages.
func templateSources() []web.TemplateSource {
	return []web.TemplateSource{
		web.BaseSource(),
		mail.Templates(),
	}
}

// wireModules builds the services and registers every module's routes.
func (a *App) wireModules() error {
	ids := identity.NewService(a.DB, a.Clock, identity.Options{SessionIdle: a.Cfg.SessionIdle, SessionMax: a.Cfg.SessionMax})
	a.Services = &Services{Identity: ids}
	a.sweeps = append(a.sweeps, ids.Sweep)
	a.Web.SetAuthenticator(sessionAuth{ids})
	a.Web.Use(func(h http.Handler) http.Handler { return withActor(a.Web, h) })

	lang := languageHandler{s: a.Web, users: ids}
	a.Web.Handle("POST /lang", lang.switchLanguage)
	a.Web.Handle("GET /{$}", func(w http.ResponseWriter, r *http.Request) error {
		return a.Web.Render(w, r, "web/home.html", nil)
	})

	if a.Cfg.Demo {
		(&mail.Viewer{S: a.Web, DB: a.DB}).Routes()
	}
	return nil
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
