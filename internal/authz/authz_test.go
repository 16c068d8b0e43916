package authz_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/space/roles"
)

// t0 is "now" in most rows: the instant phase 2 of the main process starts.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// hook is an eligibility rule for tests: refuses listed users with a key,
// and records the component it was asked about.
type hook struct {
	refuse map[int64]string
	err    error
	asked  *int64
}

func (h hook) Check(_ context.Context, userID int64, _ authz.SpaceRef, componentID int64, _ string) (authz.Verdict, error) {
	if h.asked != nil {
		*h.asked = componentID
	}
	if h.err != nil {
		return authz.Verdict{}, h.err
	}
	if key, ok := h.refuse[userID]; ok {
		return authz.Verdict{ReasonKey: key, Args: []any{"municipio", "5"}, HelpURL: "/account/city-user"}, nil
	}
	return authz.Verdict{OK: true}, nil
}

type world struct {
	d                           *db.DB
	clock                       *kernel.FixedClock
	reg                         *component.Registry
	roles                       *roles.Service
	main, draft, noPhases, pinC int64 // components
	hidden                      int64 // published, in an unpublished process
	ph                          []int64
	users                       map[string]int64
}

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{d: d, clock: &kernel.FixedClock{T: t0}, reg: component.NewRegistry(), users: map[string]int64{}}
	if err := w.reg.Register(component.Manifest{
		Type: "proposals", NameKey: "x",
		Actions: []string{component.ActionCreate, component.ActionSupport, component.ActionVote, component.ActionComment},
	}); err != nil {
		t.Fatal(err)
	}
	w.roles = roles.NewService(d, w.clock)
	svc := component.NewService(d, w.clock, w.reg)

	day := 24 * time.Hour
	mainP, ph := authztest.CreateProcess(t, d, "bilancio", true,
		authztest.Phase{Title: "Informazione", Start: t0.Add(-10 * day), End: t0},
		authztest.Phase{Title: "Proposte", Start: t0, End: t0.Add(10 * day)},
		authztest.Phase{Title: "Voto", Start: t0.Add(10 * day), End: t0.Add(20 * day)},
	)
	w.ph = ph
	otherP, _ := authztest.CreateProcess(t, d, "senza-fasi", true)
	pinnedP, pph := authztest.CreateProcess(t, d, "fissato", true,
		authztest.Phase{Title: "Passata", Start: t0.Add(-30 * day), End: t0.Add(-20 * day)},
		authztest.Phase{Title: "In corso", Start: t0.Add(-1 * day), End: t0.Add(day)},
	)
	authztest.Pin(t, d, pinnedP, pph[0])
	hiddenP, hph := authztest.CreateProcess(t, d, "bozza", false, authztest.Phase{Title: "Tutto", Start: t0.Add(-day), End: t0.Add(day)})

	mk := func(p int64, publish bool, open component.PhaseActions) int64 {
		c, err := svc.Create(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: p}, "proposals", kernel.Text{"it": "Proposte"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPhaseActions(ctx, c.ID, open); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPublished(ctx, c.ID, publish); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	w.main = mk(mainP, true, component.PhaseActions{ph[0]: {"comment"}, ph[1]: {"create", "comment"}, ph[2]: {"vote"}})
	w.draft = mk(mainP, false, component.PhaseActions{ph[1]: {"create"}})
	w.noPhases = mk(otherP, true, nil)
	w.pinC = mk(pinnedP, true, component.PhaseActions{pph[0]: {"comment"}})
	w.hidden = mk(hiddenP, true, component.PhaseActions{hph[0]: {"comment"}})

	for _, u := range []authztest.User{
		{Nickname: "cittadina"},
		{Nickname: "nonconfermato", Unconfirmed: true},
		{Nickname: "sospeso", Blocked: true},
		{Nickname: "eliminato", Deleted: true},
		{Nickname: "amministratrice", Admin: true},
		{Nickname: "admin_sospeso", Admin: true, Blocked: true},
		{Nickname: "moderatrice"},
		{Nickname: "valutatore"},
		{Nickname: "capoprogetto"},
		{Nickname: "moderatore_altrove"},
		{Nickname: "non_residente"},
	} {
		w.users[u.Nickname] = authztest.CreateUser(t, d, u)
	}
	authztest.Grant(t, d, mainP, w.users["moderatrice"], authz.RoleModerator)
	authztest.Grant(t, d, mainP, w.users["valutatore"], authz.RoleEvaluator)
	authztest.Grant(t, d, mainP, w.users["capoprogetto"], authz.RoleAdmin)
	authztest.Grant(t, d, otherP, w.users["moderatore_altrove"], authz.RoleModerator)
	return w
}

func TestAuthorize(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		az := authz.New(d, w.clock, w.roles, w.reg, nil)
		var asked int64
		withHook := authz.New(d, w.clock, w.roles, w.reg, hook{refuse: map[int64]string{w.users["non_residente"]: "eligibility.reason.not_resident_municipio"}, asked: &asked})
		day := 24 * time.Hour

		cases := []struct {
			name      string
			az        *authz.Authorizer
			user      string // "" = anonymous
			component int64
			action    string
			at        time.Time
			allowed   bool
			reason    authz.Reason
			key       string // expected MessageKey when refused
			phase     int64
		}{
			{name: "participant creates in the proposals phase", user: "cittadina", component: w.main, action: "create", at: t0, allowed: true, phase: w.ph[1]},
			{name: "participant comments in the proposals phase", user: "cittadina", component: w.main, action: "comment", at: t0, allowed: true, phase: w.ph[1]},
			{name: "one nanosecond before phase 2, phase 1 is current: create closed", user: "cittadina", component: w.main, action: "create", at: t0.Add(-time.Nanosecond), reason: authz.ReasonActionClosed, phase: w.ph[0]},
			{name: "one nanosecond before phase 2, comment open in phase 1", user: "cittadina", component: w.main, action: "comment", at: t0.Add(-time.Nanosecond), allowed: true, phase: w.ph[0]},
			{name: "first instant of phase 1", user: "cittadina", component: w.main, action: "comment", at: t0.Add(-10 * day), allowed: true, phase: w.ph[0]},
			{name: "before the first phase: no current phase", user: "cittadina", component: w.main, action: "comment", at: t0.Add(-10*day - time.Nanosecond), reason: authz.ReasonNoCurrentPhase},
			{name: "vote closed at the last instant of phase 2", user: "cittadina", component: w.main, action: "vote", at: t0.Add(10*day - time.Nanosecond), reason: authz.ReasonActionClosed, phase: w.ph[1]},
			{name: "vote open when phase 3 starts exactly", user: "cittadina", component: w.main, action: "vote", at: t0.Add(10 * day), allowed: true, phase: w.ph[2]},
			{name: "create closed in phase 3", user: "cittadina", component: w.main, action: "create", at: t0.Add(10 * day), reason: authz.ReasonActionClosed, phase: w.ph[2]},
			{name: "phase 3 ends exactly: no current phase", user: "cittadina", component: w.main, action: "vote", at: t0.Add(20 * day), reason: authz.ReasonNoCurrentPhase},
			{name: "declared action never opened", user: "cittadina", component: w.main, action: "support", at: t0, reason: authz.ReasonActionClosed, phase: w.ph[1]},
			{name: "action the tool does not declare", user: "cittadina", component: w.main, action: "sign", at: t0, reason: authz.ReasonUnknownAction},
			{name: "anonymous visitor", user: "", component: w.main, action: "create", at: t0, reason: authz.ReasonNotSignedIn},
			{name: "deleted account", user: "eliminato", component: w.main, action: "create", at: t0, reason: authz.ReasonNotSignedIn},
			{name: "blocked participant", user: "sospeso", component: w.main, action: "create", at: t0, reason: authz.ReasonBlocked},
			{name: "blocked administrator", user: "admin_sospeso", component: w.main, action: "manage", at: t0, reason: authz.ReasonBlocked},
			{name: "unconfirmed email is not eligible by default", user: "nonconfermato", component: w.main, action: "create", at: t0, reason: authz.ReasonNotEligible, key: "authz.eligibility.email_unconfirmed", phase: w.ph[1]},
			{name: "eligibility hook refuses with its key", az: withHook, user: "non_residente", component: w.main, action: "create", at: t0, reason: authz.ReasonNotEligible, key: "eligibility.reason.not_resident_municipio", phase: w.ph[1]},
			{name: "eligibility hook accepts others", az: withHook, user: "cittadina", component: w.main, action: "create", at: t0, allowed: true, phase: w.ph[1]},
			{name: "hook replaces the default rule", az: withHook, user: "nonconfermato", component: w.main, action: "create", at: t0, allowed: true, phase: w.ph[1]},
			{name: "unpublished component", user: "cittadina", component: w.draft, action: "create", at: t0, reason: authz.ReasonUnpublished},
			{name: "admin cannot act in an unpublished component", user: "amministratrice", component: w.draft, action: "create", at: t0, reason: authz.ReasonUnpublished},
			{name: "published component of an unpublished process", user: "cittadina", component: w.hidden, action: "comment", at: t0, reason: authz.ReasonUnpublished},
			{name: "admin takes part like anyone", user: "amministratrice", component: w.main, action: "create", at: t0, allowed: true, phase: w.ph[1]},
			{name: "admin does not bypass phases", user: "amministratrice", component: w.main, action: "vote", at: t0, reason: authz.ReasonActionClosed, phase: w.ph[1]},
			{name: "admin manages", user: "amministratrice", component: w.main, action: "manage", at: t0, allowed: true},
			{name: "admin moderates anywhere", user: "amministratrice", component: w.noPhases, action: "moderate", at: t0, allowed: true},
			{name: "space admin manages", user: "capoprogetto", component: w.main, action: "manage", at: t0, allowed: true},
			{name: "space admin moderates", user: "capoprogetto", component: w.main, action: "moderate", at: t0, allowed: true},
			{name: "space admin evaluates", user: "capoprogetto", component: w.main, action: "evaluate", at: t0, allowed: true},
			{name: "space admin does not manage other spaces", user: "capoprogetto", component: w.noPhases, action: "manage", at: t0, reason: authz.ReasonNoRole},
			{name: "moderator moderates", user: "moderatrice", component: w.main, action: "moderate", at: t0, allowed: true},
			{name: "moderator moderates an unpublished component", user: "moderatrice", component: w.draft, action: "moderate", at: t0, allowed: true},
			{name: "moderator moderates when no phase is current", user: "moderatrice", component: w.main, action: "moderate", at: t0.Add(100 * day), allowed: true},
			{name: "moderator does not evaluate", user: "moderatrice", component: w.main, action: "evaluate", at: t0, reason: authz.ReasonNoRole},
			{name: "moderator does not manage", user: "moderatrice", component: w.main, action: "manage", at: t0, reason: authz.ReasonNoRole},
			{name: "evaluator evaluates", user: "valutatore", component: w.main, action: "evaluate", at: t0, allowed: true},
			{name: "evaluator does not moderate", user: "valutatore", component: w.main, action: "moderate", at: t0, reason: authz.ReasonNoRole},
			{name: "moderator of another process", user: "moderatore_altrove", component: w.main, action: "moderate", at: t0, reason: authz.ReasonNoRole},
			{name: "moderator of the other process moderates there", user: "moderatore_altrove", component: w.noPhases, action: "moderate", at: t0, allowed: true},
			{name: "participant has no staff action", user: "cittadina", component: w.main, action: "moderate", at: t0, reason: authz.ReasonNoRole},
			{name: "process without phases", user: "cittadina", component: w.noPhases, action: "comment", at: t0, reason: authz.ReasonNoCurrentPhase},
			{name: "pinned past phase is current", user: "cittadina", component: w.pinC, action: "comment", at: t0, allowed: true},
			{name: "pinned phase wins over the dated one", user: "cittadina", component: w.pinC, action: "create", at: t0, reason: authz.ReasonActionClosed},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				w.clock.T = c.at
				a := az
				if c.az != nil {
					a = c.az
				}
				var uid int64
				if c.user != "" {
					uid = w.users[c.user]
				}
				got, err := a.Authorize(context.Background(), authz.Request{UserID: uid, ComponentID: c.component, Action: c.action})
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if got.Allowed != c.allowed || got.Reason != c.reason {
					t.Fatalf("got allowed=%v reason=%q, want allowed=%v reason=%q", got.Allowed, got.Reason, c.allowed, c.reason)
				}
				if c.key != "" && got.MessageKey() != c.key {
					t.Fatalf("message key %q, want %q", got.MessageKey(), c.key)
				}
				if c.phase != 0 && got.PhaseID != c.phase {
					t.Fatalf("phase %d, want %d", got.PhaseID, c.phase)
				}
			})
		}

		// The hook is told which component is asked about, and its
		// arguments and help link reach the page.
		w.clock.T = t0
		dec, err := withHook.Authorize(context.Background(), authz.Request{UserID: w.users["non_residente"], ComponentID: w.main, Action: "create"})
		if err != nil || asked != w.main || dec.HelpURL != "/account/city-user" {
			t.Fatalf("hook: asked about %d, decision %+v, %v", asked, dec, err)
		}
		cat, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		if got := dec.Text(cat, "it"); !strings.Contains(got, "Municipio 5") || strings.ContainsAny(got, "{}[]") {
			t.Fatalf("text: %q", got)
		}
		if got := (authz.Decision{Allowed: true}).Text(cat, "it"); got != "" {
			t.Fatalf("allowed has a text: %q", got)
		}
		if _, err := az.Authorize(context.Background(), authz.Request{UserID: w.users["cittadina"], ComponentID: 999999, Action: "create"}); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("unknown component: %v", err)
		}
		boom := errors.New("census down")
		broken := authz.New(d, w.clock, w.roles, w.reg, hook{err: boom})
		if _, err := broken.Authorize(context.Background(), authz.Request{UserID: w.users["cittadina"], ComponentID: w.main, Action: "create"}); !errors.Is(err, boom) {
			t.Fatalf("hook error not returned: %v", err)
		}
	})
}

func TestCanManage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		az := authz.New(d, w.clock, w.roles, w.reg, nil)
		ctx := context.Background()
		var mainP int64
		if err := d.R().QueryRow(`SELECT id FROM processes WHERE slug = $1`, "bilancio").Scan(&mainP); err != nil {
			t.Fatal(err)
		}
		space := authz.SpaceRef{Type: authz.SpaceProcess, ID: mainP}
		for nick, want := range map[string]bool{
			"amministratrice": true, "capoprogetto": true, "moderatrice": false, "valutatore": false,
			"cittadina": false, "admin_sospeso": false, "eliminato": false, "moderatore_altrove": false,
		} {
			got, err := az.CanManage(ctx, w.users[nick], space)
			if err != nil || got != want {
				t.Errorf("%s: CanManage = %v, %v; want %v", nick, got, err, want)
			}
		}
		if err := az.RequireManage(ctx, 0, space); !errors.Is(err, kernel.ErrUnauthenticated) {
			t.Errorf("anonymous: %v", err)
		}
		if err := az.RequireManage(ctx, w.users["moderatrice"], space); !errors.Is(err, kernel.ErrForbidden) {
			t.Errorf("moderator: %v", err)
		}
	})
}

func TestCurrentPhase(t *testing.T) {
	p := authz.Process{Phases: []authz.Phase{
		{ID: 1, StartsAt: t0, EndsAt: t0.Add(time.Hour)},
		{ID: 2, StartsAt: t0.Add(2 * time.Hour), EndsAt: t0.Add(3 * time.Hour)},
	}}
	for _, c := range []struct {
		at   time.Time
		want int64
	}{
		{t0.Add(-time.Nanosecond), 0}, {t0, 1}, {t0.Add(time.Hour - time.Nanosecond), 1}, {t0.Add(time.Hour), 0},
		{t0.Add(2 * time.Hour), 2}, {t0.Add(3 * time.Hour), 0},
	} {
		ph, ok := p.CurrentPhase(c.at)
		if ok != (c.want != 0) || ph.ID != c.want {
			t.Errorf("at %v: phase %d ok=%v, want %d", c.at, ph.ID, ok, c.want)
		}
	}
	p.PinnedPhaseID = 2
	if ph, ok := p.CurrentPhase(t0); !ok || ph.ID != 2 {
		t.Errorf("pinned: %d %v", ph.ID, ok)
	}
	p.PinnedPhaseID = 99 // a pin to a deleted phase falls back to the dates
	if ph, ok := p.CurrentPhase(t0); !ok || ph.ID != 1 {
		t.Errorf("stale pin: %d %v", ph.ID, ok)
	}
}
