package cityuser_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/identity/cityuser"
	"github.com/arengo/arengo/internal/kernel"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func user(t *testing.T, d *db.DB, nick, locale string) int64 {
	t.Helper()
	var id int64
	if err := d.W().QueryRow(`INSERT INTO users (email, email_key, nickname, nickname_key, locale, created_at, updated_at)
		VALUES ($1, $1, $2, $2, $3, $4, $4) RETURNING id`, nick+"@prova.it", nick, locale, t0).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func setup(t *testing.T, d *db.DB) (*cityuser.Service, *kernel.FixedClock) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	clock := &kernel.FixedClock{T: t0}
	return cityuser.NewService(d, clock, cat, cityuser.Options{BaseURL: "https://partecipa.example.it", OrgName: "Comune di Prova"}), clock
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func lastMail(t *testing.T, d *db.DB, to string) (subject, body, locale string) {
	t.Helper()
	if err := d.R().QueryRow(`SELECT subject, body_text, locale FROM outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1`, to).Scan(&subject, &body, &locale); err != nil {
		t.Fatalf("no mail to %s: %v", to, err)
	}
	return
}

func fields(err error) []string {
	ie, ok := kernel.AsInvalid(err)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range ie.Fields {
		out = append(out, f.Field+"="+f.Key)
	}
	return out
}

func TestSubmit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, _ := setup(t, d)
		u := user(t, d, "pendolare", "it")
		var m5 int64
		d.W().QueryRow(`INSERT INTO territories (slug, name, kind, census_code) VALUES ('municipio-5', '{"it":"Municipio 5"}', 'municipio', '5') RETURNING id`).Scan(&m5)
		bad := []struct {
			in   cityuser.Input
			want string
		}{
			{cityuser.Input{}, "reason=cityuser.error.reason details=cityuser.error.details_required"},
			{cityuser.Input{Reason: "tourism", Details: "x"}, "reason=cityuser.error.reason"},
			{cityuser.Input{Reason: cityuser.ReasonWork, Details: "   "}, "details=cityuser.error.details_required"},
			{cityuser.Input{Reason: cityuser.ReasonWork, Details: strings.Repeat("è", 1001)}, "details=cityuser.error.details_too_long"},
			{cityuser.Input{Reason: cityuser.ReasonWork, Details: "x", TerritoryID: 9999}, "territory=cityuser.error.territory"},
			{cityuser.Input{Reason: cityuser.ReasonWork, Details: "x", TerritoryID: -1}, "territory=cityuser.error.territory"},
		}
		for _, c := range bad {
			_, err := svc.Submit(ctx, u, c.in)
			if got := strings.Join(fields(err), " "); got != c.want {
				t.Errorf("%+v: %q, want %q", c.in, got, c.want)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM city_user_requests`); n != 0 {
			t.Fatalf("stored %d from bad input", n)
		}
		hostile := `<script>alert("x")</script> Lavoro all'ospedale '; DROP TABLE users; --`
		r, err := svc.Submit(ctx, u, cityuser.Input{Reason: cityuser.ReasonWork, Details: hostile, TerritoryID: m5})
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Get(ctx, r.ID)
		if err != nil || got.Details != hostile || got.Status != cityuser.StatusPending || got.TerritoryName.In("it") != "Municipio 5" || got.Nickname != "pendolare" {
			t.Fatalf("stored %+v %v", got, err)
		}
		// One pending request at a time, by constraint.
		_, err = svc.Submit(ctx, u, cityuser.Input{Reason: cityuser.ReasonStudy, Details: "Studio"})
		if f := fields(err); len(f) != 1 || f[0] != "=cityuser.error.pending_exists" {
			t.Fatalf("second pending: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM city_user_requests`); n != 1 {
			t.Fatalf("requests = %d", n)
		}
	})
}

func TestDecide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, clock := setup(t, d)
		staff := user(t, d, "ufficio", "it")
		ctx := kernel.WithActor(context.Background(), kernel.Actor{UserID: staff})
		anna, john := user(t, d, "anna", "it"), user(t, d, "john", "en")
		ra, _ := svc.Submit(ctx, anna, cityuser.Input{Reason: cityuser.ReasonStudy, Details: "Studio al Politecnico"})
		rj, _ := svc.Submit(ctx, john, cityuser.Input{Reason: cityuser.ReasonWork, Details: "I work in Bicocca"})
		mine, _ := svc.Submit(ctx, staff, cityuser.Input{Reason: cityuser.ReasonLive, Details: "Vivo qui"})

		if _, err := svc.Decide(ctx, staff, rj.ID, false, "  "); strings.Join(fields(err), "") != "decision_reason=cityuser.error.decision_reason_required" {
			t.Fatalf("reject without reason: %v", err)
		}
		if _, err := svc.Decide(ctx, staff, rj.ID, false, strings.Repeat("x", 1001)); len(fields(err)) != 1 {
			t.Fatalf("reason too long: %v", err)
		}
		if _, err := svc.Decide(ctx, staff, mine.ID, true, ""); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("own request: %v", err)
		}
		if _, err := svc.Decide(ctx, staff, 424242, true, ""); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("unknown request: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM outbox`) + count(t, d, `SELECT COUNT(*) FROM audit_log`); n != 0 {
			t.Fatalf("refused decisions left %d rows", n)
		}

		a, err := svc.Decide(ctx, staff, ra.ID, true, "")
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != cityuser.StatusApproved || !a.ExpiresAt.Equal(t0.Add(cityuser.DefaultValidity)) {
			t.Fatalf("approved %+v", a)
		}
		stored, _ := svc.Get(ctx, ra.ID)
		if !stored.Active(clock.T) || stored.DecidedBy != staff {
			t.Fatalf("stored %+v", stored)
		}
		subject, body, locale := lastMail(t, d, "anna@prova.it")
		if locale != "it" || !strings.Contains(subject, "approvata") || !strings.Contains(body, "23 novembre 2027") || !strings.Contains(body, "https://partecipa.example.it/account/city-user") {
			t.Fatalf("mail %s / %s / %s", locale, subject, body)
		}
		if _, err := svc.Decide(ctx, staff, ra.ID, false, "ripensamento"); strings.Join(fields(err), "") != "=cityuser.error.already_decided" {
			t.Fatalf("decided twice: %v", err)
		}

		if _, err := svc.Decide(ctx, staff, rj.ID, false, "Please attach your employment contract"); err != nil {
			t.Fatal(err)
		}
		subject, body, locale = lastMail(t, d, "john@prova.it")
		if locale != "en" || !strings.Contains(subject, "not been approved") || !strings.Contains(body, "Please attach your employment contract") {
			t.Fatalf("mail %s / %s / %s", locale, subject, body)
		}
		var actions []string
		rows, _ := d.R().Query(`SELECT action || ':' || after_json FROM audit_log WHERE actor_id = $1 ORDER BY id`, staff)
		for rows.Next() {
			var s string
			rows.Scan(&s)
			actions = append(actions, s)
		}
		rows.Close()
		if len(actions) != 2 || !strings.HasPrefix(actions[0], "cityuser.approve:") || !strings.HasPrefix(actions[1], "cityuser.reject:") || !strings.Contains(actions[1], "employment contract") {
			t.Fatalf("audit %v", actions)
		}
		if p, _ := svc.Pending(ctx); len(p) != 1 || p[0].ID != mine.ID {
			t.Fatalf("pending %+v", p)
		}
	})
}

func TestRemindExpiring(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, clock := setup(t, d)
		staff := user(t, d, "ufficio", "it")
		ctx := kernel.WithActor(context.Background(), kernel.Actor{UserID: staff})
		approve := func(u int64) {
			r, err := svc.Submit(ctx, u, cityuser.Input{Reason: cityuser.ReasonWork, Details: "Lavoro qui"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Decide(ctx, staff, r.ID, true, ""); err != nil {
				t.Fatal(err)
			}
		}
		soon, renewing, later := user(t, d, "presto", "it"), user(t, d, "rinnova", "it"), user(t, d, "tardi", "en")
		approve(soon)
		approve(renewing)
		clock.Advance(60 * 24 * time.Hour)
		approve(later)
		// 355 days after the first approvals: 10 days left for the first two, 70 for the last.
		clock.T = t0.Add(355 * 24 * time.Hour)
		if _, err := svc.Submit(ctx, renewing, cityuser.Input{Reason: cityuser.ReasonWork, Details: "Ancora qui"}); err != nil {
			t.Fatal(err)
		}
		before := count(t, d, `SELECT COUNT(*) FROM outbox`)
		n, err := svc.RemindExpiring(ctx, 30*24*time.Hour)
		if err != nil || n != 1 {
			t.Fatalf("reminded %d, %v", n, err)
		}
		subject, body, _ := lastMail(t, d, "presto@prova.it")
		if !strings.Contains(subject, "sta per scadere") || !strings.Contains(body, "23 novembre 2027") {
			t.Fatalf("reminder %s / %s", subject, body)
		}
		if n, _ := svc.RemindExpiring(ctx, 30*24*time.Hour); n != 0 {
			t.Fatalf("reminded again: %d", n)
		}
		if got := count(t, d, `SELECT COUNT(*) FROM outbox`) - before; got != 1 {
			t.Fatalf("%d mails", got)
		}
		// Past expiry nobody is reminded any more.
		clock.T = t0.Add(500 * 24 * time.Hour)
		if n, _ := svc.RemindExpiring(ctx, 30*24*time.Hour); n != 0 {
			t.Fatalf("reminded after expiry: %d", n)
		}
	})
}
