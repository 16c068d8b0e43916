package authz_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/identity/eligibility"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/secure"
	"github.com/arengo/arengo/internal/space/roles"
)

// A requirement chosen for a component action — SPID level 2, 16 or older,
// resident of the process's Municipio — is enforced by Authorize through
// the identity module's evaluator, and every refusal says why.
func TestAuthorizeWithEligibilityRequirement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := &kernel.FixedClock{T: t0}
		reg := component.NewRegistry()
		if err := reg.Register(component.Manifest{Type: "petitions", NameKey: "x",
			Actions: []string{component.ActionSign, component.ActionComment}}); err != nil {
			t.Fatal(err)
		}
		cat, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		residents := census.Static{}
		verif := verification.New(d, secure.NewEphemeral(), clock, verification.Options{Residents: residents})
		ev := eligibility.New(d, verif, clock, cat)
		az := authz.New(d, clock, roles.NewService(d, clock), reg, nil)
		az.UseEligibility(eligibility.AuthzHook{E: ev})

		var m5 int64
		if err := d.W().QueryRow(`INSERT INTO territories (slug, name, kind, census_code) VALUES ('municipio-5', '{"it":"Municipio 5","en":"Municipio 5"}', 'municipio', '5') RETURNING id`).Scan(&m5); err != nil {
			t.Fatal(err)
		}
		day := 24 * time.Hour
		proc, ph := authztest.CreateProcess(t, d, "petizioni-m5", true, authztest.Phase{Title: "Firme", Start: t0.Add(-day), End: t0.Add(day)})
		if _, err := d.W().Exec(`UPDATE processes SET territory_id = $1 WHERE id = $2`, m5, proc); err != nil {
			t.Fatal(err)
		}
		svc := component.NewService(d, clock, reg)
		c, err := svc.Create(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: proc}, "petitions", kernel.Text{"it": "Petizioni"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPhaseActions(ctx, c.ID, component.PhaseActions{ph[0]: {"sign", "comment"}}); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPublished(ctx, c.ID, true); err != nil {
			t.Fatal(err)
		}
		req := eligibility.Requirement{MinLevel: eligibility.LevelSpidL2, MinAge: 16, Residence: eligibility.ResidenceMunicipio}
		if err := eligibility.NewStore(d, clock).Set(ctx, c.ID, "sign", req, "process", proc); err != nil {
			t.Fatal(err)
		}

		n := 0
		person := func(nick string, birth time.Time, level, municipio string) int64 {
			t.Helper()
			n++
			uid := authztest.CreateUser(t, d, authztest.User{Nickname: nick})
			if level == "" {
				return uid
			}
			code, err := codicefiscale.Generate(codicefiscale.Person{FamilyName: "Verdi", GivenName: "Ada", BirthDate: birth, Sex: codicefiscale.Female, Birthplace: fmt.Sprintf("F%03d", 200+n)})
			if err != nil {
				t.Fatal(err)
			}
			if municipio != "" {
				residents[code] = census.Record{Municipio: municipio}
			}
			if _, rerr, err := verif.VerifyWithLogin(ctx, uid, verification.PersonalData{FiscalCode: code, GivenName: "Ada", FamilyName: "Verdi", BirthDate: birth},
				verification.NewVerification{Method: verification.MethodSPID, Level: level}); err != nil || rerr != nil {
				t.Fatal(err, rerr)
			}
			return uid
		}
		adult := time.Date(1980, 5, 1, 0, 0, 0, 0, time.UTC)
		fifteen := t0.AddDate(-15, 0, -10)
		cases := []struct {
			name, nick  string
			birth       time.Time
			level, m    string
			action      string
			allowed     bool
			key, text   string
			help        string
			unconfirmed bool
		}{
			{name: "adult resident of the Municipio with SPID L2 signs", nick: "residente5", birth: adult, level: "SpidL2", m: "5", action: "sign", allowed: true},
			{name: "resident of another Municipio", nick: "residente3", birth: adult, level: "SpidL2", m: "3", action: "sign",
				key: "eligibility.reason.other_municipio", text: "Municipio 3"},
			{name: "non-resident", nick: "pendolare", birth: adult, level: "SpidL2", action: "sign",
				key: "eligibility.reason.not_resident_municipio", text: "Municipio 5"},
			{name: "SPID level 1 is not enough", nick: "livello1", birth: adult, level: "SpidL1", m: "5", action: "sign",
				key: "eligibility.reason.level_spid_l2", help: eligibility.HelpLogin},
			{name: "email-only account", nick: "soloemail", action: "sign", key: "eligibility.reason.level_spid_l2", help: eligibility.HelpLogin},
			{name: "fifteen-year-old resident may not sign", nick: "quindicenne", birth: fifteen, level: "SpidL2", m: "5", action: "sign",
				key: "eligibility.reason.too_young_action", text: "Hai 15 anni: puoi leggere e commentare ma non firmare"},
			{name: "fifteen-year-old resident comments (default rule)", nick: "quindicenne2", birth: fifteen, level: "SpidL2", m: "5", action: "comment", allowed: true},
			{name: "email account comments (default rule)", nick: "soloemail2", action: "comment", allowed: true},
			{name: "unconfirmed email may not comment (default rule)", nick: "nonconf", action: "comment", unconfirmed: true,
				key: "eligibility.reason.level_email"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var uid int64
				if tc.unconfirmed {
					uid = authztest.CreateUser(t, d, authztest.User{Nickname: tc.nick, Unconfirmed: true})
				} else {
					uid = person(tc.nick, tc.birth, tc.level, tc.m)
				}
				dec, err := az.Authorize(ctx, authz.Request{UserID: uid, ComponentID: c.ID, Action: tc.action})
				if err != nil {
					t.Fatal(err)
				}
				if dec.Allowed != tc.allowed {
					t.Fatalf("allowed = %v (%+v), want %v", dec.Allowed, dec, tc.allowed)
				}
				if tc.allowed {
					return
				}
				if dec.Reason != authz.ReasonNotEligible || dec.MessageKey() != tc.key {
					t.Fatalf("reason %q key %q, want %q", dec.Reason, dec.MessageKey(), tc.key)
				}
				txt := dec.Text(cat, "it")
				if !strings.Contains(txt, tc.text) || strings.ContainsAny(txt, "{}[]") {
					t.Fatalf("text %q, want it to contain %q", txt, tc.text)
				}
				if en := dec.Text(cat, "en"); en == txt || strings.ContainsAny(en, "{}[]") {
					t.Fatalf("english text %q", en)
				}
				if tc.help != "" && dec.HelpURL != tc.help {
					t.Fatalf("help %q, want %q", dec.HelpURL, tc.help)
				}
			})
		}
	})
}
