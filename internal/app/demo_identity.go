package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
	"github.com/arengo/arengo/internal/kernel"
)

// demoCensusSource marks the demo's census imports, so that a later load
// tells them from a list an operator imported (which it leaves alone).
const demoCensusSource = "demo: people of the built-in SPID test IdP"

// demoIdentity puts the built-in test IdP's fictitious people on the census
// lists, so eligibility answers for them as for real citizens: residents
// with their Municipio, electors on the electoral roll. It also gives the
// demo's Municipi their census codes ("1" … "9"), which is how a resident's
// Municipio is matched with a space's territory.
//
// The people's codici fiscali follow today's date (their birth dates are
// computed so that the 16-year-old is always 16), so a demo list loaded on
// another day is loaded again; a list that already matches adds nothing.
func (a *App) demoIdentity(ctx context.Context, _ map[string]identity.User) error {
	if a.Services.IdentityX == nil {
		return nil
	}
	for i := 1; i <= 9; i++ {
		n := strconv.Itoa(i)
		if _, err := a.DB.W().ExecContext(ctx, `UPDATE territories SET census_code = $1
			WHERE slug = $2 AND kind = 'municipio' AND census_code = ''`, n, "municipio-"+n); err != nil {
			return fmt.Errorf("demo census codes: %w", err)
		}
	}
	people := testidp.People(a.Clock.Now())
	lists := map[census.Kind]map[string]string{census.Residents: {}, census.Electors: {}}
	for _, p := range people {
		municipio := ""
		if p.Municipio > 0 {
			municipio = strconv.Itoa(p.Municipio)
		}
		if p.Resident {
			lists[census.Residents][p.FiscalNumber] = municipio
		}
		if p.Elector {
			lists[census.Electors][p.FiscalNumber] = municipio
		}
	}
	st := a.Services.IdentityX.Census
	for _, kind := range []census.Kind{census.Residents, census.Electors} {
		if err := demoCensusList(ctx, st, kind, lists[kind]); err != nil {
			return fmt.Errorf("demo census %s: %w", kind, err)
		}
	}
	return nil
}

// demoCensusList makes want (codice fiscale → Municipio) the list of kind
// in force, unless it already is or an operator imported another list.
func demoCensusList(ctx context.Context, st *census.Store, kind census.Kind, want map[string]string) error {
	last, err := st.LastImport(ctx, kind)
	switch {
	case errors.Is(err, kernel.ErrNotFound):
	case err != nil:
		return err
	case last.Source != demoCensusSource:
		return nil
	case last.Rows == len(want):
		current := true
		for cf, municipio := range want {
			rec, err := st.Source(kind).Lookup(ctx, cf)
			if err != nil {
				return err
			}
			current = current && rec.Listed && rec.Municipio == municipio
		}
		if current {
			return nil
		}
	}
	// The import's file format, so the demo goes through the same checks
	// as a real census export; sorted, so its checksum is stable.
	var b strings.Builder
	b.WriteString("codice_fiscale;municipio\n")
	for _, cf := range slices.Sorted(maps.Keys(want)) {
		b.WriteString(cf + ";" + want[cf] + "\n")
	}
	_, err = st.Import(ctx, kind, strings.NewReader(b.String()), census.ImportOptions{Source: demoCensusSource})
	return err
}
