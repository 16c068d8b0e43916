package app

import (
	"context"
	"time"

	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/cityuser"
	"github.com/arengo/arengo/internal/identity/eligibility"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/secure"
)

// IdentityServices are the identity foundations: the data keys, census
// lists, verifications and legal identities, eligibility, city users.
type IdentityServices struct {
	Keys         *secure.Keyring
	Census       *census.Store
	Verification *verification.Service
	Eligibility  *eligibility.Evaluator
	Requirements *eligibility.Store
	CityUsers    *cityuser.Service
}

// cityUserReminderWindow is how long before expiry city users are reminded.
const cityUserReminderWindow = 30 * 24 * time.Hour

// wireIdentity builds the identity services and mounts the city-user pages.
// The secret key comes from the configuration; New has already refused to
// start a production instance without one (see secure.LoadOrCreateKey), so
// an empty key here means a test harness, which gets a key that lives in
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
	// The CSV imports are the census lists; an HTTP registry client
	// (census.HTTPClient) replaces them once its URL is configurable.
	verif := verification.New(a.DB, keys, a.Clock, verification.Options{Residents: st.Source(census.Residents), Electors: st.Source(census.Electors)})
	cu := cityuser.NewService(a.DB, a.Clock, a.Catalog, cityuser.Options{BaseURL: a.Cfg.BaseURL, OrgName: a.Cfg.OrgName})
	s := &IdentityServices{
		Keys: keys, Census: st, Verification: verif,
		Eligibility:  eligibility.New(a.DB, verif, a.Clock, a.Catalog),
		Requirements: eligibility.NewStore(a.DB, a.Clock),
		CityUsers:    cu,
	}
	(&cityuser.Web{S: a.Web, Svc: cu}).Routes()
	// Reminders are claimed row by row, so running with every sweep is safe.
	a.sweeps = append(a.sweeps, func(ctx context.Context) error {
		_, err := cu.RemindExpiring(ctx, cityUserReminderWindow)
		return err
	})
	return s, nil
}
