package eligibility_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/identity/eligibility"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/secure"
)

// now is 23 November 2026, 11:00 in Italy.
var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

type world struct {
	t      *testing.T
	d      *db.DB
	clock  *kernel.FixedClock
	verif  *verification.Service
	ev     *eligibility.Evaluator
	cat    *i18n.Catalog
	res    census.Static
	el     census.Static
	m3, m5 eligibility.Territory
	n      int
}

func newWorld(t *testing.T, d *db.DB) *world {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, d: d, clock: &kernel.FixedClock{T: now}, cat: cat, res: census.Static{}, el: census.Static{}}
	w.verif = verification.New(d, secure.NewEphemeral(), w.clock, verification.Options{Residents: w.res, Electors: w.el})
	w.ev = eligibility.New(d, w.verif, w.clock, cat)
	ctx := context.Background()
	for _, m := range []string{"3", "5"} {
		if _, err := d.W().Exec(`INSERT INTO territories (slug, name, kind, census_code) VALUES ($1, $2, 'municipio', $3)`,
			"municipio-"+m, `{"it":"Municipio `+m+`"}`, m); err != nil {
			t.Fatal(err)
		}
	}
	var id3, id5 int64
	d.R().QueryRow(`SELECT id FROM territories WHERE census_code = '3'`).Scan(&id3)
	d.R().QueryRow(`SELECT id FROM territories WHERE census_code = '5'`).Scan(&id5)
	if w.m3, err = eligibility.LoadTerritory(ctx, d.R(), id3); err != nil {
		t.Fatal(err)
	}
	if w.m5, err = eligibility.LoadTerritory(ctx, d.R(), id5); err != nil {
		t.Fatal(err)
	}
	return w
}

// person describes a participant to create.
type person struct {
	birth    time.Time
	level    string // SPID level; "" = email only; "desk"; "expired"
	resident string // Municipio, or "" for non-residents; "-" resident without Municipio
	elector  bool
	cityUser string // "": none; "approved:5", "expired:5", "pending:5", "approved:" (whole Comune)
	noID     bool   // strong login recorded but no identity linked
}

func (w *world) make(p person) int64 {
	t := w.t
	t.Helper()
	ctx := context.Background()
	w.n++
	nick := "p" + string(rune('a'+w.n%26)) + strings.Repeat("x", w.n/26+2)
	var uid int64
	if err := w.d.W().QueryRow(`INSERT INTO users (email, email_key, nickname, nickname_key, locale, is_admin, created_at, updated_at)
		VALUES ($1, $1, $2, $2, 'it', $3, $4, $4) RETURNING id`, nick+"@prova.it", nick, false, now).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	if _, err := w.verif.Record(ctx, uid, verification.NewVerification{Method: verification.MethodEmail}); err != nil {
		t.Fatal(err)
	}
	if p.level == "" {
		return uid
	}
	code, err := codicefiscale.Generate(codicefiscale.Person{FamilyName: "Rossi", GivenName: "Ada", BirthDate: p.birth, Sex: codicefiscale.Female, Birthplace: fmt.Sprintf("F%03d", w.n)})
	if err != nil {
		t.Fatal(err)
	}
	switch p.resident {
	case "":
	case "-":
		w.res[code] = census.Record{}
	default:
		w.res[code] = census.Record{Municipio: p.resident}
	}
	if p.elector {
		w.el[code] = census.Record{}
	}
	nv := verification.NewVerification{Method: verification.MethodSPID, Level: p.level}
	switch p.level {
	case "desk":
		nv = verification.NewVerification{Method: verification.MethodDesk}
	case "expired":
		nv = verification.NewVerification{Method: verification.MethodSPID, Level: verification.LevelSpidL2, ExpiresAt: now.Add(-time.Minute)}
	}
	if p.noID {
		if _, err := w.verif.Record(ctx, uid, nv); err != nil {
			t.Fatal(err)
		}
	} else if _, rerr, err := w.verif.VerifyWithLogin(ctx, uid, verification.PersonalData{FiscalCode: code, GivenName: "Ada", FamilyName: "Rossi", BirthDate: p.birth}, nv); err != nil || rerr != nil {
		t.Fatal(err, rerr)
	}
	if p.cityUser != "" {
		status, m, _ := strings.Cut(p.cityUser, ":")
		var territory any
		switch m {
		case "3":
			territory = w.m3.ID
		case "5":
			territory = w.m5.ID
		}
		var expires any
		switch status {
		case "approved":
			expires = now.AddDate(1, 0, 0)
		case "expired":
			status, expires = "approved", now.AddDate(0, 0, -3)
		}
		if _, err := w.d.W().Exec(`INSERT INTO city_user_requests (user_id, reason, details, territory_id, status, created_at, expires_at)
			VALUES ($1, 'work', 'Lavoro in via Padova', $2, $3, $4, $5)`, uid, territory, status, now.AddDate(-1, 0, 0), expires); err != nil {
			t.Fatal(err)
		}
	}
	return uid
}

var (
	adult = date(1990, 5, 1)
	// 16 exactly today; 16 tomorrow.
	sixteenToday    = date(2010, 11, 23)
	sixteenTomorrow = date(2010, 11, 24)
)

func TestCheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		signM := eligibility.Requirement{MinLevel: eligibility.LevelSpidL2, MinAge: 16, Residence: eligibility.ResidenceMunicipio, AllowCityUsers: true}
		signMNoCity := signM
		signMNoCity.AllowCityUsers = false
		comune := eligibility.Requirement{MinLevel: eligibility.LevelSpidL2, MinAge: 16, Residence: eligibility.ResidenceComune, AllowCityUsers: true}
		referendum := eligibility.Requirement{MinLevel: eligibility.LevelSpidL2, MinAge: 18, Residence: eligibility.ResidenceComune, ElectorsOnly: true}
		l3 := eligibility.Requirement{MinLevel: eligibility.LevelSpidL3, Residence: eligibility.ResidenceAny}
		cie := eligibility.Requirement{MinLevel: eligibility.LevelCIE, Residence: eligibility.ResidenceAny}
		emailOnly := eligibility.Default()
		open := eligibility.Requirement{MinLevel: eligibility.LevelNone, Residence: eligibility.ResidenceAny}

		cases := []struct {
			name   string
			user   int64
			action string
			req    eligibility.Requirement
			t      eligibility.Territory
			key    string // "" = OK
			text   string // Italian text, when checked
		}{
			{"anonymous, open", 0, "", open, eligibility.Comune, "", ""},
			{"anonymous, sign", 0, "sign", signM, w.m5, "eligibility.reason.sign_in", "Accedi per partecipare."},
			{"email only, default", w.make(person{}), "comment", emailOnly, eligibility.Comune, "", ""},
			{"email only, sign", w.make(person{}), "sign", signM, w.m5, "eligibility.reason.level_spid_l2", "Serve l'accesso con SPID di livello 2"},
			{"SPID L1, sign", w.make(person{birth: adult, level: "SpidL1", resident: "5"}), "sign", signM, w.m5, "eligibility.reason.level_spid_l2", ""},
			{"expired SPID L2", w.make(person{birth: adult, level: "expired", resident: "5"}), "sign", signM, w.m5, "eligibility.reason.verification_expired", "La tua identificazione è scaduta"},
			{"SPID L2 resident of 5", w.make(person{birth: adult, level: "SpidL2", resident: "5"}), "sign", signM, w.m5, "", ""},
			{"desk-verified resident of 5", w.make(person{birth: adult, level: "desk", resident: "5"}), "sign", signM, w.m5, "", ""},
			{"SPID L2, needs L3", w.make(person{birth: adult, level: "SpidL2"}), "vote", l3, eligibility.Comune, "eligibility.reason.level_spid_l3", ""},
			{"SPID L3 for CIE level", w.make(person{birth: adult, level: "SpidL3"}), "vote", cie, eligibility.Comune, "", ""},
			{"16 today", w.make(person{birth: sixteenToday, level: "SpidL2", resident: "5"}), "sign", signM, w.m5, "", ""},
			{"16 tomorrow", w.make(person{birth: sixteenTomorrow, level: "SpidL2", resident: "5"}), "sign", signM, w.m5, "eligibility.reason.too_young_action",
				"Hai 15 anni: puoi leggere e commentare ma non firmare (servono almeno 16 anni)."},
			{"16 tomorrow, no action", w.make(person{birth: sixteenTomorrow, level: "SpidL2", resident: "5"}), "", signM, w.m5, "eligibility.reason.too_young",
				"Hai 15 anni: puoi leggere e commentare, ma per questa azione servono almeno 16 anni."},
			{"16 tomorrow, unknown action", w.make(person{birth: sixteenTomorrow, level: "SpidL2", resident: "5"}), "frobnicate", signM, w.m5, "eligibility.reason.too_young", ""},
			{"resident of another Municipio", w.make(person{birth: adult, level: "SpidL2", resident: "3"}), "sign", signM, w.m5, "eligibility.reason.other_municipio_or_city_user",
				"Risulti residente nel Municipio 3: questa azione è riservata a chi risiede nel Municipio 5 e ai city user approvati"},
			{"resident of another Municipio, no city users", w.make(person{birth: adult, level: "SpidL2", resident: "3"}), "sign", signMNoCity, w.m5, "eligibility.reason.other_municipio",
				"Risulti residente nel Municipio 3: questa azione è riservata a chi risiede nel Municipio 5."},
			{"resident of 3 for a Comune action", w.make(person{birth: adult, level: "SpidL2", resident: "3"}), "sign", comune, eligibility.Comune, "", ""},
			{"resident without Municipio, Municipio action", w.make(person{birth: adult, level: "SpidL2", resident: "-"}), "sign", signM, w.m5, "eligibility.reason.not_resident_municipio_or_city_user", ""},
			{"non-resident", w.make(person{birth: adult, level: "SpidL2"}), "sign", signM, w.m5, "eligibility.reason.not_resident_municipio_or_city_user",
				"Serve essere residenti nel Municipio 5 o city user approvati"},
			{"non-resident, Comune", w.make(person{birth: adult, level: "SpidL2"}), "sign", comune, eligibility.Comune, "eligibility.reason.not_resident_comune_or_city_user", ""},
			{"city user of 5", w.make(person{birth: adult, level: "SpidL2", cityUser: "approved:5"}), "sign", signM, w.m5, "", ""},
			{"city user of 5, city users not allowed", w.make(person{birth: adult, level: "SpidL2", cityUser: "approved:5"}), "sign", signMNoCity, w.m5, "eligibility.reason.not_resident_municipio",
				"Serve essere residenti nel Municipio 5."},
			{"city user of 3 in 5", w.make(person{birth: adult, level: "SpidL2", cityUser: "approved:3"}), "sign", signM, w.m5, "eligibility.reason.not_resident_municipio_or_city_user", ""},
			{"city user of 3, Comune action", w.make(person{birth: adult, level: "SpidL2", cityUser: "approved:3"}), "sign", comune, eligibility.Comune, "", ""},
			{"city user of the Comune, Municipio action", w.make(person{birth: adult, level: "SpidL2", cityUser: "approved:"}), "sign", signM, w.m5, "eligibility.reason.not_resident_municipio_or_city_user", ""},
			{"expired city user", w.make(person{birth: adult, level: "SpidL2", cityUser: "expired:5"}), "sign", signM, w.m5, "eligibility.reason.city_user_expired",
				"La tua approvazione come city user è scaduta il 20 novembre 2026"},
			{"pending city user", w.make(person{birth: adult, level: "SpidL2", cityUser: "pending:5"}), "sign", signM, w.m5, "eligibility.reason.city_user_pending", ""},
			{"young city user", w.make(person{birth: sixteenTomorrow, level: "SpidL2", cityUser: "approved:5"}), "sign", signM, w.m5, "eligibility.reason.too_young_action", ""},
			{"elector", w.make(person{birth: adult, level: "SpidL2", resident: "1", elector: true}), "sign", referendum, eligibility.Comune, "", ""},
			{"non-elector", w.make(person{birth: adult, level: "SpidL2", resident: "1"}), "sign", referendum, eligibility.Comune, "eligibility.reason.not_elector_action",
				"Solo gli elettori del Comune possono firmare."},
			{"17-year-old elector list check", w.make(person{birth: date(2009, 6, 1), level: "SpidL2", resident: "1"}), "vote", referendum, eligibility.Comune, "eligibility.reason.too_young_action",
				"Hai 17 anni: puoi leggere e commentare ma non votare (servono almeno 18 anni)."},
			{"strong login without identity", w.make(person{birth: adult, level: "SpidL2", noID: true}), "sign", signM, w.m5, "eligibility.reason.identity_needed", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r, err := w.ev.CheckAction(ctx, c.user, c.action, c.req, c.t)
				if err != nil {
					t.Fatal(err)
				}
				if r.OK != (c.key == "") || r.ReasonKey != c.key {
					t.Fatalf("got OK=%v %q %v, want %q", r.OK, r.ReasonKey, r.Args, c.key)
				}
				if r.OK {
					return
				}
				it, en := r.Text(w.cat, "it"), r.Text(w.cat, "en")
				if c.text != "" && !strings.HasPrefix(it, c.text) {
					t.Errorf("it: %q, want prefix %q", it, c.text)
				}
				for _, s := range []string{it, en} {
					if s == r.ReasonKey || strings.ContainsAny(s, "{}") {
						t.Errorf("untranslated or unfilled: %q", s)
					}
				}
				ok, key, err := w.ev.Allow(ctx, c.user, c.action, c.req, c.t)
				if err != nil || ok || key != c.key {
					t.Errorf("Allow = %v %q %v", ok, key, err)
				}
			})
		}
	})
}

// A person turns 16 at midnight in Italy, not in UTC.
func TestAgeAtMidnightInItaly(t *testing.T) {
	birth := date(2010, 11, 23)
	if a := eligibility.Age(birth, time.Date(2026, 11, 22, 22, 59, 0, 0, time.UTC)); a != 15 {
		t.Fatalf("23:59 in Rome on the eve: %d", a)
	}
	if a := eligibility.Age(birth, time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC)); a != 16 {
		t.Fatalf("00:00 in Rome on the birthday: %d", a)
	}
	leap := date(2008, 2, 29)
	if a := eligibility.Age(leap, time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC)); a != 17 {
		t.Fatalf("29 February, on 28 February: %d", a)
	}
	if a := eligibility.Age(leap, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)); a != 18 {
		t.Fatalf("29 February, on 1 March: %d", a)
	}
}

func TestParseRequirement(t *testing.T) {
	r, err := eligibility.Parse([]byte(`{"min_level":"spid_l2","residence":"municipio","allow_city_users":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.MinAge != eligibility.DefaultMinAge || r.MinLevel != eligibility.LevelSpidL2 || !r.AllowCityUsers {
		t.Fatalf("%+v", r)
	}
	if r2, err := eligibility.Parse([]byte(r.JSON())); err != nil || r2 != r {
		t.Fatalf("round trip %+v %v", r2, err)
	}
	if r, _ := eligibility.Parse([]byte(`{"min_age":0}`)); r.MinAge != 0 {
		t.Fatal("explicit 0 overridden")
	}
	bad := map[string]string{
		`{"min_level":"spid_l9"}`:                    "min_level",
		`{"min_age":-1}`:                             "min_age",
		`{"min_age":500}`:                            "min_age",
		`{"residence":"mars"}`:                       "residence",
		`{"min_level":"email","residence":"comune"}`: "min_level",
		`{"min_level":"none","electors_only":true}`:  "min_level",
	}
	for in, field := range bad {
		_, err := eligibility.Parse([]byte(in))
		ie, ok := kernel.AsInvalid(err)
		if !ok || ie.Fields[0].Field != field {
			t.Errorf("%s: %v", in, err)
		}
	}
	for _, in := range []string{``, `{`, `[]`, `{"min_level":"email","extra":1}`, `{"min_age":"16"}`, `<script>`} {
		if _, err := eligibility.Parse([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	for name, p := range eligibility.Presets {
		if err := p.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
}

func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := &kernel.FixedClock{T: now}
		s := eligibility.NewStore(d, clock)
		var comp int64
		if err := d.W().QueryRow(`INSERT INTO components (space_type, space_id, type, name, created_at, updated_at) VALUES ('process', 1, 'proposals', '{}', $1, $1) RETURNING id`, now).Scan(&comp); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Get(ctx, comp, "sign"); ok || err != nil {
			t.Fatalf("empty get: %v %v", ok, err)
		}
		req := eligibility.Presets["resident_municipio"]
		if err := s.Set(ctx, comp, "sign", req, "process", 1); err != nil {
			t.Fatal(err)
		}
		req.MinAge = 18
		if err := s.Set(ctx, comp, "sign", req, "process", 1); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Get(ctx, comp, "sign")
		if err != nil || !ok || got != req {
			t.Fatalf("get %+v %v %v", got, ok, err)
		}
		bad := req
		bad.Residence = "mars"
		if err := s.Set(ctx, comp, "sign", bad, "process", 1); !errors.Is(err, kernel.ErrInvalid) {
			t.Fatalf("bad requirement: %v", err)
		}
		if err := s.Set(ctx, comp, "", req, "process", 1); !errors.Is(err, kernel.ErrInvalid) {
			t.Fatalf("empty action: %v", err)
		}
		var n int
		var before string
		d.R().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'eligibility.set' AND space_type = 'process'`).Scan(&n)
		d.R().QueryRow(`SELECT before_json FROM audit_log WHERE action = 'eligibility.set' ORDER BY id DESC LIMIT 1`).Scan(&before)
		if n != 2 || !strings.Contains(before, `"min_age":16`) {
			t.Fatalf("audit: %d entries, before %s", n, before)
		}
	})
}

func TestEmailConfirmedAccountAndForSpace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		var confirmed, unconfirmed int64
		d.W().QueryRow(`INSERT INTO users (email, email_key, email_confirmed_at, nickname, nickname_key, locale, created_at, updated_at)
			VALUES ('c@prova.it', 'c@prova.it', $1, 'conf', 'conf', 'it', $1, $1) RETURNING id`, now).Scan(&confirmed)
		d.W().QueryRow(`INSERT INTO users (email, email_key, nickname, nickname_key, locale, created_at, updated_at)
			VALUES ('u@prova.it', 'u@prova.it', 'unconf', 'unconf', 'it', $1, $1) RETURNING id`, now).Scan(&unconfirmed)
		if r, err := w.ev.Check(ctx, confirmed, eligibility.Default(), eligibility.Comune); err != nil || !r.OK {
			t.Fatalf("confirmed account: %+v %v", r, err)
		}
		if r, _ := w.ev.Check(ctx, unconfirmed, eligibility.Default(), eligibility.Comune); r.OK || r.ReasonKey != "eligibility.reason.level_email" {
			t.Fatalf("unconfirmed account: %+v", r)
		}

		var proc, comp int64
		if err := d.W().QueryRow(`INSERT INTO processes (slug, title, territory_id, starts_on, ends_on, created_at, updated_at)
			VALUES ('bilancio-m5', '{"it":"Bilancio partecipativo"}', $1, $2, $2, $2, $2) RETURNING id`, w.m5.ID, now).Scan(&proc); err != nil {
			t.Fatal(err)
		}
		d.W().QueryRow(`INSERT INTO components (space_type, space_id, type, name, created_at, updated_at) VALUES ('process', $1, 'proposals', '{}', $2, $2) RETURNING id`, proc, now).Scan(&comp)
		if err := eligibility.NewStore(d, w.clock).Set(ctx, comp, "sign", eligibility.Presets["resident_municipio"], "process", proc); err != nil {
			t.Fatal(err)
		}
		m3 := w.make(person{birth: adult, level: "SpidL2", resident: "3"})
		m5 := w.make(person{birth: adult, level: "SpidL2", resident: "5"})
		if r, err := w.ev.ForSpace(ctx, m3, "process", proc, comp, "sign"); err != nil || r.ReasonKey != "eligibility.reason.other_municipio_or_city_user" {
			t.Fatalf("resident of 3: %+v %v", r, err)
		}
		if r, err := w.ev.ForSpace(ctx, m5, "process", proc, comp, "sign"); err != nil || !r.OK {
			t.Fatalf("resident of 5: %+v %v", r, err)
		}
		// Another action of the component has no requirement: the default applies.
		if r, err := w.ev.ForSpace(ctx, unconfirmed, "process", proc, comp, "comment"); err != nil || r.ReasonKey != "eligibility.reason.level_email" {
			t.Fatalf("default requirement: %+v %v", r, err)
		}
	})
}

func TestStoreApply(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := eligibility.NewStore(d, &kernel.FixedClock{T: now})
		var comp int64
		if err := d.W().QueryRow(`INSERT INTO components (space_type, space_id, type, name, created_at, updated_at) VALUES ('process', 1, 'proposals', '{}', $1, $1) RETURNING id`, now).Scan(&comp); err != nil {
			t.Fatal(err)
		}
		audits := func() int {
			var n int
			d.R().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND action LIKE 'eligibility.%'`, comp).Scan(&n)
			return n
		}
		sign, vote := eligibility.Presets["resident_municipio"], eligibility.Presets["electors"]
		if err := s.Apply(ctx, comp, []eligibility.Change{{Action: "sign", Req: &sign}, {Action: "vote", Req: &vote}, {Action: "comment"}}, "process", 1); err != nil {
			t.Fatal(err)
		}
		all, err := s.All(ctx, comp)
		if err != nil || len(all) != 2 || all["sign"] != sign || all["vote"] != vote || audits() != 2 {
			t.Fatalf("all %v %v, %d audit entries", all, err, audits())
		}
		// One bad requirement: nothing changes, fields named by action.
		bad := eligibility.Requirement{MinLevel: "spid_l9", Residence: eligibility.ResidenceAny}
		err = s.Apply(ctx, comp, []eligibility.Change{{Action: "sign"}, {Action: "vote", Req: &bad}}, "process", 1)
		ie, ok := kernel.AsInvalid(err)
		if !ok || ie.Fields[0].Field != "vote_min_level" {
			t.Fatalf("bad: %v", err)
		}
		if all, _ := s.All(ctx, comp); len(all) != 2 || audits() != 2 {
			t.Fatalf("half-applied: %v", all)
		}
		// Unchanged writes nothing; a reset removes and audits.
		if err := s.Apply(ctx, comp, []eligibility.Change{{Action: "sign", Req: &sign}, {Action: "vote"}}, "process", 1); err != nil {
			t.Fatal(err)
		}
		if all, _ := s.All(ctx, comp); len(all) != 1 || audits() != 3 {
			t.Fatalf("after reset: %v, %d audit entries", all, audits())
		}
	})
}

func TestDefaultsFollowTheParticipationAge(t *testing.T) {
	if r := eligibility.DefaultFor("sign", 18); r.MinAge != 18 || r.MinLevel != eligibility.LevelEmail {
		t.Fatalf("sign: %+v", r)
	}
	if r := eligibility.DefaultFor("comment", 18); r.MinAge != 0 {
		t.Fatalf("comment: %+v", r)
	}
	p := eligibility.PresetsFor(14)
	if p["resident_comune"].MinAge != 14 || p["electors"].MinAge != 18 || p["open"].MinAge != 0 {
		t.Fatalf("presets: %+v", p)
	}
}
