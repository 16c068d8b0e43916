package verification_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/secure"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func user(t *testing.T, d *db.DB, nick string) int64 {
	t.Helper()
	var id int64
	err := d.W().QueryRow(`INSERT INTO users (email, email_key, nickname, nickname_key, locale, is_admin, created_at, updated_at)
		VALUES ($1, $1, $2, $2, 'it', $3, $4, $4) RETURNING id`, nick+"@prova.it", nick, false, t0).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func cf(t *testing.T, family, given string, birth time.Time, sex byte) string {
	t.Helper()
	c, err := codicefiscale.Generate(codicefiscale.Person{FamilyName: family, GivenName: given, BirthDate: birth, Sex: sex, Birthplace: "F205"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

type fixture struct {
	d     *db.DB
	clock *kernel.FixedClock
	keys  *secure.Keyring
	svc   *verification.Service
	res   census.Static
	el    census.Static
}

func setup(t *testing.T, d *db.DB) *fixture {
	f := &fixture{d: d, clock: &kernel.FixedClock{T: t0}, keys: secure.NewEphemeral(), res: census.Static{}, el: census.Static{}}
	f.svc = verification.New(d, f.keys, f.clock, verification.Options{Residents: f.res, Electors: f.el})
	return f
}

func maria(t *testing.T) verification.PersonalData {
	return verification.PersonalData{FiscalCode: cf(t, "Rossini", "Maria", date(1984, 8, 15), 'F'), GivenName: "Maria", FamilyName: "Rossini", BirthDate: date(1984, 8, 15), Email: "m@x.it"}
}

func TestRecordAndStrongest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		u := user(t, d, "giulia")
		if _, err := f.svc.Strongest(ctx, u); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("no verifications: %v", err)
		}
		if _, err := f.svc.Record(ctx, u, verification.NewVerification{Method: verification.MethodEmail}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		if _, err := f.svc.Record(ctx, u, verification.NewVerification{Method: verification.MethodSPID, Level: verification.LevelSpidL3, ExpiresAt: t0.Add(3 * time.Hour), Details: map[string]string{"idp": "https://idp.example"}}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		if _, err := f.svc.Record(ctx, u, verification.NewVerification{Method: verification.MethodSPID, Level: verification.LevelSpidL2}); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.List(ctx, u)
		if err != nil || len(list) != 3 || list[0].Level != verification.LevelSpidL2 || list[1].Details["idp"] != "https://idp.example" {
			t.Fatalf("list %+v %v", list, err)
		}
		s, err := f.svc.Strongest(ctx, u)
		if err != nil || s.Level != verification.LevelSpidL3 {
			t.Fatalf("strongest = %+v %v", s, err)
		}
		f.clock.Advance(time.Hour) // the L3 one has expired
		if s, _ := f.svc.Strongest(ctx, u); s.Level != verification.LevelSpidL2 {
			t.Fatalf("after expiry strongest = %+v", s)
		}
		for _, bad := range []verification.NewVerification{{Method: "fax"}, {Method: verification.MethodSPID, Level: "SpidL9"}, {Method: verification.MethodSPID}} {
			if _, err := f.svc.Record(ctx, u, bad); err == nil {
				t.Errorf("recorded %+v", bad)
			}
		}
	})
}

func TestStrengthOrder(t *testing.T) {
	S := verification.StrengthOf
	if !(S("email", "") < S("spid", "SpidL1") && S("spid", "SpidL1") < S("spid", "SpidL2") && S("spid", "SpidL2") < S("spid", "SpidL3")) {
		t.Fatal("SPID levels out of order")
	}
	if S("desk", "") != S("spid", "SpidL2") || S("oidc", "") != S("spid", "SpidL2") || S("cie", "") != S("spid", "SpidL3") {
		t.Fatal("desk/OIDC/CIE strengths")
	}
}

func TestLinkIdentity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a, b := user(t, d, "alice"), user(t, d, "bruno")
		pd := maria(t)
		pd.FiscalCode = strings.ToLower(pd.FiscalCode)
		id, err := f.svc.LinkIdentity(ctx, a, pd)
		if err != nil {
			t.Fatal(err)
		}
		if id.FiscalCode != strings.ToUpper(pd.FiscalCode) {
			t.Fatalf("code not normalised: %s", id.FiscalCode)
		}
		got, err := f.svc.Identity(ctx, a)
		if err != nil || got.FiscalCode != id.FiscalCode || got.GivenName != "Maria" || got.FamilyName != "Rossini" || !got.BirthDate.Equal(date(1984, 8, 15)) {
			t.Fatalf("identity %+v %v", got, err)
		}
		// Nothing in clear in the table.
		var enc []byte
		var hash string
		if err := d.R().QueryRow(`SELECT fiscal_enc, fiscal_hash FROM user_identities WHERE user_id = $1`, a).Scan(&enc, &hash); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(enc, []byte(id.FiscalCode)) || strings.Contains(hash, id.FiscalCode) {
			t.Fatal("codice fiscale stored in clear")
		}
		if u, err := f.svc.FindUserByFiscalCode(ctx, " "+strings.ToLower(id.FiscalCode)); err != nil || u != a {
			t.Fatalf("find = %d %v", u, err)
		}
		if _, err := f.svc.FindUserByFiscalCode(ctx, cf(t, "Bianchi", "Luca", date(1990, 1, 1), 'M')); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("unknown person: %v", err)
		}
		// The same person from another account is refused with a clear error.
		_, err = f.svc.LinkIdentity(ctx, b, pd)
		if !errors.Is(err, verification.ErrIdentityTaken) || !errors.Is(err, kernel.ErrConflict) || verification.ReasonKey(err) != verification.KeyIdentityTaken {
			t.Fatalf("second account: %v", err)
		}
		// The same account, another person.
		other := verification.PersonalData{FiscalCode: cf(t, "Bianchi", "Luca", date(1990, 1, 1), 'M'), GivenName: "Luca", FamilyName: "Bianchi", BirthDate: date(1990, 1, 1)}
		if _, err := f.svc.LinkIdentity(ctx, a, other); !errors.Is(err, verification.ErrIdentityMismatch) {
			t.Fatalf("other person on the same account: %v", err)
		}
		// The same account and person again (next login) refreshes the names.
		pd.GivenName = "Maria Grazia"
		if _, err := f.svc.LinkIdentity(ctx, a, pd); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.svc.Identity(ctx, a); got.GivenName != "Maria Grazia" {
			t.Fatalf("relink did not refresh: %+v", got)
		}
		var n int
		d.R().QueryRow(`SELECT COUNT(*) FROM user_identities`).Scan(&n)
		if n != 1 {
			t.Fatalf("identities = %d", n)
		}
		// A row's ciphertext copied onto another row does not decrypt.
		if _, err := f.svc.LinkIdentity(ctx, b, other); err != nil {
			t.Fatal(err)
		}
		if _, err := d.W().Exec(`UPDATE user_identities SET fiscal_enc = $1 WHERE user_id = $2`, enc, b); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Identity(ctx, b); !errors.Is(err, secure.ErrDecrypt) {
			t.Fatalf("swapped ciphertext: %v", err)
		}
	})
}

func TestLinkIdentityInvalid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		u := user(t, d, "carla")
		good := maria(t)
		cases := map[string]struct {
			pd     verification.PersonalData
			fields []string
		}{
			"empty":         {verification.PersonalData{}, []string{"fiscal_code", "given_name", "family_name", "birth_date"}},
			"bad code":      {verification.PersonalData{FiscalCode: good.FiscalCode[:15] + "#", GivenName: "A", FamilyName: "B", BirthDate: good.BirthDate}, []string{"fiscal_code"}},
			"script code":   {verification.PersonalData{FiscalCode: "<script>alert(1)", GivenName: "A", FamilyName: "B", BirthDate: good.BirthDate}, []string{"fiscal_code"}},
			"long name":     {verification.PersonalData{FiscalCode: good.FiscalCode, GivenName: strings.Repeat("a", 201), FamilyName: "B", BirthDate: good.BirthDate}, []string{"given_name"}},
			"future birth":  {verification.PersonalData{FiscalCode: good.FiscalCode, GivenName: "A", FamilyName: "B", BirthDate: t0.AddDate(0, 0, 1)}, []string{"birth_date"}},
			"ancient birth": {verification.PersonalData{FiscalCode: good.FiscalCode, GivenName: "A", FamilyName: "B", BirthDate: date(1800, 1, 1)}, []string{"birth_date"}},
			"blank names":   {verification.PersonalData{FiscalCode: good.FiscalCode, GivenName: "  ", FamilyName: "\t", BirthDate: good.BirthDate}, []string{"given_name", "family_name"}},
		}
		for name, c := range cases {
			_, err := f.svc.LinkIdentity(context.Background(), u, c.pd)
			ie, ok := kernel.AsInvalid(err)
			if !ok {
				t.Errorf("%s: err = %v", name, err)
				continue
			}
			var got []string
			for _, fe := range ie.Fields {
				got = append(got, fe.Field)
			}
			if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(c.fields)) {
				t.Errorf("%s: fields %v, want %v", name, got, c.fields)
			}
		}
		var n int
		d.R().QueryRow(`SELECT COUNT(*) FROM user_identities`).Scan(&n)
		if n != 0 {
			t.Fatalf("stored %d identities from bad input", n)
		}
	})
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Two (or eight) accounts linking the same person at the same moment:
// exactly one wins, whatever the engine.
func TestLinkIdentityConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		pd := maria(t)
		const n = 8
		users := make([]int64, n)
		for i := range users {
			users[i] = user(t, d, fmt.Sprintf("utente%d", i))
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = f.svc.LinkIdentity(context.Background(), users[i], pd)
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, verification.ErrIdentityTaken):
			default:
				t.Errorf("account %d: unexpected error %v", i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d accounts won the same person", wins)
		}
		var rows int
		d.R().QueryRow(`SELECT COUNT(*) FROM user_identities`).Scan(&rows)
		if rows != 1 {
			t.Fatalf("identities = %d", rows)
		}
	})
}

func TestRecheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		u := user(t, d, "dario")
		pd := maria(t)
		f.res[pd.FiscalCode] = census.Record{Municipio: "5"}
		id, recheckErr, err := f.svc.VerifyWithLogin(ctx, u, pd, verification.NewVerification{Method: verification.MethodSPID, Level: verification.LevelSpidL2})
		if err != nil || recheckErr != nil {
			t.Fatal(err, recheckErr)
		}
		if !id.Resident || id.Municipio != "5" || id.Elector || !id.CheckedAt.Equal(t0) {
			t.Fatalf("after login %+v", id)
		}
		// Moves to Municipio 3 and gets on the electoral roll.
		f.res[pd.FiscalCode] = census.Record{Municipio: "3"}
		f.el[pd.FiscalCode] = census.Record{}
		f.clock.Advance(24 * time.Hour)
		if id, err = f.svc.Recheck(ctx, u); err != nil || id.Municipio != "3" || !id.Elector {
			t.Fatalf("recheck %+v %v", id, err)
		}
		// Leaves the city.
		delete(f.res, pd.FiscalCode)
		if id, err = f.svc.Recheck(ctx, u); err != nil || id.Resident || id.Municipio != "" {
			t.Fatalf("recheck after moving away %+v %v", id, err)
		}
		stored, _ := f.svc.Identity(ctx, u)
		if stored.Resident || !stored.CheckedAt.Equal(t0.Add(24*time.Hour)) {
			t.Fatalf("stored %+v", stored)
		}
		// A registry outage changes nothing.
		f.res[pd.FiscalCode] = census.Record{Municipio: "1"}
		down := verification.New(d, f.keys, f.clock, verification.Options{Residents: failing{}, Electors: f.el})
		f.clock.Advance(time.Hour)
		if _, err := down.Recheck(ctx, u); !errors.Is(err, census.ErrUnavailable) {
			t.Fatalf("outage: %v", err)
		}
		if after, _ := f.svc.Identity(ctx, u); after != stored {
			t.Fatalf("outage changed the identity: %+v", after)
		}
		if _, err := f.svc.Recheck(ctx, user(t, d, "nessuno")); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("recheck without identity: %v", err)
		}
	})
}

type failing struct{}

func (failing) Lookup(context.Context, string) (census.Record, error) {
	return census.Record{}, fmt.Errorf("test: %w", census.ErrUnavailable)
}

func TestRecordDesk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := kernel.WithActor(context.Background(), kernel.Actor{UserID: 0})
		f := setup(t, d)
		staff, u := user(t, d, "sportello"), user(t, d, "ernesto")
		ctx = kernel.WithActor(ctx, kernel.Actor{UserID: staff})
		pd := maria(t)
		in := verification.DeskInput{FiscalCode: pd.FiscalCode, GivenName: "Maria", FamilyName: "Rossini", BirthDate: pd.BirthDate,
			DocumentType: "cie", DocumentNumber: "CA12345AB", Office: "URP Municipio 5"}
		bad := in
		bad.BirthDate = date(1984, 8, 16)
		bad.DocumentType = "library_card"
		bad.DocumentNumber = ""
		bad.Office = strings.Repeat("x", 201)
		_, err := f.svc.RecordDesk(ctx, staff, u, bad)
		ie, ok := kernel.AsInvalid(err)
		if !ok || len(ie.Fields) != 4 {
			t.Fatalf("bad desk input: %v", err)
		}
		if _, err := f.svc.RecordDesk(ctx, staff, staff, in); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("self verification: %v", err)
		}
		v, err := f.svc.RecordDesk(ctx, staff, u, in)
		if err != nil {
			t.Fatal(err)
		}
		if v.Method != verification.MethodDesk || v.VerifiedBy != staff || v.Strength() != verification.StrengthSubstantial {
			t.Fatalf("%+v", v)
		}
		var action, after string
		var actor int64
		if err := d.R().QueryRow(`SELECT action, actor_id, after_json FROM audit_log WHERE target_type = 'user' AND target_id = $1`, u).Scan(&action, &actor, &after); err != nil {
			t.Fatal(err)
		}
		if action != "verification.desk" || actor != staff || strings.Contains(after, pd.FiscalCode) || strings.Contains(after, "CA12345AB") || !strings.Contains(after, "URP Municipio 5") {
			t.Fatalf("audit %s %d %s", action, actor, after)
		}
		var docEnc []byte
		d.R().QueryRow(`SELECT document_number_enc FROM desk_verifications WHERE user_id = $1`, u).Scan(&docEnc)
		if len(docEnc) == 0 || bytes.Contains(docEnc, []byte("CA12345AB")) {
			t.Fatal("document number missing or in clear")
		}
		// The same person at the desk for another account: refused, nothing recorded.
		other := user(t, d, "fabio")
		if _, err := f.svc.RecordDesk(ctx, staff, other, in); !errors.Is(err, verification.ErrIdentityTaken) {
			t.Fatalf("desk for a second account: %v", err)
		}
		var nv, nd, na int
		d.R().QueryRow(`SELECT COUNT(*) FROM verifications`).Scan(&nv)
		d.R().QueryRow(`SELECT COUNT(*) FROM desk_verifications`).Scan(&nd)
		d.R().QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&na)
		if nv != 1 || nd != 1 || na != 1 {
			t.Fatalf("half-saved: %d verifications, %d desk, %d audit", nv, nd, na)
		}
	})
}
