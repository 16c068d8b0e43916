package useradmin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/useradmin"
)

func nicks(us []useradmin.User) string {
	var s []string
	for _, u := range us {
		s = append(s, u.Nickname)
	}
	return strings.Join(s, ",")
}

func TestSearchAndAdmins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc := useradmin.NewService(d, &kernel.FixedClock{T: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)})
		anna := authztest.CreateUser(t, d, authztest.User{Nickname: "Anna_B", Admin: true})
		bruno := authztest.CreateUser(t, d, authztest.User{Nickname: "bruno"})
		authztest.CreateUser(t, d, authztest.User{Nickname: "annabella"})
		authztest.CreateUser(t, d, authztest.User{Nickname: "annullato", Deleted: true})
		blockedAdmin := authztest.CreateUser(t, d, authztest.User{Nickname: "zeta", Admin: true, Blocked: true})

		for q, want := range map[string]string{
			"ANNA":        "annabella,Anna_B", // case-insensitive, newest first, deleted excluded
			"bruno@prova": "bruno",            // email
			"_":           "Anna_B",           // LIKE wildcards match literally
			"%":           "",
			"' OR 1=1 --": "",
		} {
			us, err := svc.Search(ctx, q, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			if got := nicks(us); got != want {
				t.Errorf("search %q: %s, want %s", q, got, want)
			}
		}
		all, _ := svc.Search(ctx, "", 0, 2)
		rest, _ := svc.Search(ctx, "", all[1].ID, 50)
		if len(all) != 2 || nicks(rest) != "bruno,Anna_B" {
			t.Fatalf("keyset: %s / %s", nicks(all), nicks(rest))
		}

		// The only active administrator cannot lose the role (a blocked one does not count).
		err := svc.SetAdmin(ctx, anna, false)
		if ie, ok := kernel.AsInvalid(err); !ok || ie.Fields[0].Key != "useradmin.error.last_admin" {
			t.Fatalf("last admin: %v", err)
		}
		if err := svc.SetAdmin(ctx, bruno, true); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetAdmin(ctx, bruno, true); err != nil { // already: nothing recorded
			t.Fatal(err)
		}
		if err := svc.SetAdmin(ctx, anna, false); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetAdmin(ctx, blockedAdmin, false); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetAdmin(ctx, 99999, true); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		var grants, revokes int
		d.R().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.admin_grant' AND target_id = $1`, bruno).Scan(&grants)
		d.R().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.admin_revoke'`).Scan(&revokes)
		if grants != 1 || revokes != 2 {
			t.Fatalf("audit: %d grants, %d revokes", grants, revokes)
		}
	})
}

func TestUsersPage(t *testing.T) {
	h := apptest.New(t)
	admin := h.Admin()
	citizen := h.Participant("lucia")
	if r := citizen.Get("/admin/users"); r.Status != http.StatusForbidden {
		t.Fatalf("participant: %d", r.Status)
	}
	if r := h.Client().Get("/admin/users"); r.Status != http.StatusSeeOther {
		t.Fatalf("anonymous: %d", r.Status)
	}
	r := admin.Get("/admin/users?q=LUC")
	text := apptest.Text(r.Body)
	if r.Status != 200 || !strings.Contains(text, "lucia lucia@prova.it 23 novembre 2026 23 novembre 2026 No") || strings.Contains(text, "admin@prova.it") {
		t.Fatalf("search: %d %s", r.Status, text)
	}
	var me, lucia int64
	h.DB.R().QueryRow(`SELECT id FROM users WHERE nickname = 'admin_prova'`).Scan(&me)
	h.DB.R().QueryRow(`SELECT id FROM users WHERE nickname = 'lucia'`).Scan(&lucia)

	// The only administrator cannot remove themself.
	r = admin.Post(fmt.Sprintf("/admin/users/%d/unadmin", me), url.Values{"q": {"admin"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(apptest.Text(r.Body), "ultimo amministratore attivo") {
		t.Fatalf("last admin: %d %s", r.Status, apptest.Text(r.Body))
	}
	if r := citizen.Post(fmt.Sprintf("/admin/users/%d/admin", lucia), nil); r.Status != http.StatusForbidden {
		t.Fatalf("self-promotion: %d", r.Status)
	}
	r = admin.Post(fmt.Sprintf("/admin/users/%d/admin", lucia), url.Values{"q": {"luc"}})
	if r.Status != http.StatusSeeOther || r.Location != "/admin/users?q=luc" {
		t.Fatalf("grant: %d %q", r.Status, r.Location)
	}
	if !strings.Contains(apptest.Text(admin.Follow(r).Body), "Amministratore nominato") {
		t.Fatal("no flash")
	}
	if r := admin.Post(fmt.Sprintf("/admin/users/%d/unadmin", me), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("unadmin with another admin left: %d", r.Status)
	}
	if r := admin.Get("/admin/users"); r.Status != http.StatusForbidden {
		t.Fatalf("former admin still in: %d", r.Status)
	}
	if r := admin.Post("/admin/users/abc/admin", nil); r.Status != http.StatusForbidden {
		t.Fatalf("former admin post: %d", r.Status)
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'user.admin_%'`); n != 2 {
		t.Fatalf("audit: %d", n)
	}
}
