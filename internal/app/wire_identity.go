package app

import (
	"context"
	"time"

	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/cityuser"
	"github.com/arengo/arengo/internal/identity/desk"
	"github.com/arengo/arengo/internal/identity/eligibility"
	"github.com/arengo/arengo/internal/identity/gdpr"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/secure"
	"github.com/arengo/arengo/internal/space/process"
	"github.com/arengo/arengo/internal/web"
)

// IdentityServices are the identity foundations: the data keys, census
// lists, verifications and legal identities, eligibility, city users, and
// the personal-data export other modules add their part to.
type IdentityServices struct {
	Keys         *secure.Keyring
	Census       *census.Store
	Verification *verification.Service
	Eligibility  *eligibility.Evaluator
	Requirements *eligibility.Store
	CityUsers    *cityuser.Service
	// GDPR builds "download my data": a module keeping personal data
	// registers a gdpr.Contributor while wiring.
	GDPR *gdpr.Service
}

// identityTemplates lists the pages of the identity sub-packages.
func identityTemplates() []web.TemplateSource {
	return []web.TemplateSource{
		eligibility.Templates(),
		verification.Templates(),
		desk.Templates(),
		gdpr.Templates(),
	}
}

// cityUserReminderWindow is how long before expiry city users are reminded.
const cityUserReminderWindow = 30 * 24 * time.Hour

// censusSource is the registry service when its URL is configured, the
// CSV imports otherwise.
func censusSource(st *census.Store, kind census.Kind, url, token string, timeout time.Duration) census.Source {
	if url != "" {
		return &census.HTTPClient{Kind: kind, URL: url, Token: token, Timeout: timeout}
	}
	return st.Source(kind)
}

// wireIdentity builds the identity services and mounts the pages of city
// users, the participant's verifications, desk verification and the data
// export; it makes account deletion erase identity data. The secret key
// comes from the configuration; New has already refused to start a
// production instance without one (see secure.LoadOrCreateKey), so an
// empty key here means a test harness, which gets a key that lives in
// memory only.
func (a *App) wireIdentity() (*IdentityServices, error) {
	keys := secure.NewEphemeral()
	if a.Cfg.SecretKey != "" {
		var err error
		if keys, err = secure.ParseKeyring(a.Cfg.SecretKey); err != nil {
			return nil, err
		}
	}
	st := census.NewStore(a.DB, keys, a.Clock)
	verif := verification.New(a.DB, keys, a.Clock, verification.Options{
		Residents: censusSource(st, census.Residents, a.Cfg.CensusURL, a.Cfg.CensusToken, a.Cfg.CensusTimeout),
		Electors:  censusSource(st, census.Electors, a.Cfg.ElectorsURL, a.Cfg.ElectorsToken, a.Cfg.CensusTimeout),
	})
	cu := cityuser.NewService(a.DB, a.Clock, a.Catalog, cityuser.Options{BaseURL: a.Cfg.BaseURL, OrgName: a.Cfg.OrgName, Validity: a.Cfg.CityUserApproval})
	ev := eligibility.New(a.DB, verif, a.Clock, a.Catalog)
	ev.MinAge = a.Cfg.MinAge
	exp := gdpr.NewService(a.DB, a.Clock, a.Catalog, a.Cfg.OrgName)
	exp.Register(gdpr.Identity(verif))
	s := &IdentityServices{
		Keys: keys, Census: st, Verification: verif,
		Eligibility:  ev,
		Requirements: eligibility.NewStore(a.DB, a.Clock),
		CityUsers:    cu,
		GDPR:         exp,
	}
	// Deleting the account erases the legal identity, verifications, desk
	// checks and city-user requests in the same transaction.
	a.Services.Identity.OnErase(verif.Erase)
	a.Services.Identity.OnErase(cu.Erase)

	(&cityuser.Web{S: a.Web, Svc: cu}).Routes()
	(&verification.Web{S: a.Web, Svc: verif, CityUser: cu.Status}).Routes()
	(&desk.Web{S: a.Web, DB: a.DB, Svc: verif}).Routes()
	(&gdpr.Web{S: a.Web, Svc: exp, Limiter: a.Limiter}).Routes()
	// Reminders are claimed row by row, so running with every sweep is safe.
	a.sweeps = append(a.sweeps, func(ctx context.Context) error {
		_, err := cu.RemindExpiring(ctx, cityUserReminderWindow)
		return err
	})
	return s, nil
}

// wireEligibility runs once components are wired: authorization asks the
// eligibility evaluator (the requirement chosen per component action; by
// default a confirmed email), administrators get the requirements page, and
// the dashboard links to the city-user queue and desk verification.
func (a *App) wireEligibility() error {
	idx := a.Services.IdentityX
	a.Services.Authz.UseEligibility(eligibility.AuthzHook{E: idx.Eligibility})
	(&eligibility.Web{S: a.Web, DB: a.DB, Authz: a.Services.Authz, Components: a.Services.Components,
		Registry: a.Services.Registry, Store: idx.Requirements, Eval: idx.Eligibility}).Routes()
	if pw := a.Services.ProcessWeb; pw != nil {
		pw.AdminLinks = append(pw.AdminLinks,
			process.AdminLink{URL: "/admin/city-users", LabelKey: "cityuser.admin_link", HintKey: "cityuser.admin_hint"},
			process.AdminLink{URL: "/admin/desk", LabelKey: "desk.admin_link", HintKey: "desk.admin_hint"})
	}
	return nil
}
