package roles_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/space/roles"
)

func fieldKey(err error, field string) string {
	if ie, ok := kernel.AsInvalid(err); ok {
		for _, f := range ie.Fields {
			if f.Field == field {
				return f.Key
			}
		}
	}
	return ""
}

func TestAssignRevoke(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc := roles.NewService(d, &kernel.FixedClock{T: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)})
		pid, _ := authztest.CreateProcess(t, d, "p", true)
		other, _ := authztest.CreateProcess(t, d, "q", true)
		space := authz.SpaceRef{Type: authz.SpaceProcess, ID: pid}
		elena := authztest.CreateUser(t, d, authztest.User{Nickname: "Elena.M"})
		authztest.CreateUser(t, d, authztest.User{Nickname: "gone", Deleted: true})

		for _, c := range []struct{ nick, role, field, key string }{
			{"", "moderator", "nickname", "roles.error.nickname_required"},
			{"   ", "moderator", "nickname", "roles.error.nickname_required"},
			{"nessuno", "moderator", "nickname", "roles.error.unknown_nickname"},
			{"gone", "moderator", "nickname", "roles.error.unknown_nickname"},
			{"<script>x</script>", "moderator", "nickname", "roles.error.unknown_nickname"},
			{strings.Repeat("a", 500), "moderator", "nickname", "roles.error.unknown_nickname"},
			{"Elena.M", "mayor", "role", "roles.error.role_invalid"},
			{"Elena.M", "", "role", "roles.error.role_invalid"},
		} {
			_, err := svc.Assign(ctx, space, c.nick, c.role)
			if got := fieldKey(err, c.field); got != c.key {
				t.Errorf("assign %q/%q: %v, want %s", c.nick, c.role, err, c.key)
			}
		}
		var n int
		d.R().QueryRow(`SELECT COUNT(*) FROM space_roles`).Scan(&n)
		if n != 0 {
			t.Fatalf("bad input stored %d roles", n)
		}

		// Nicknames match case-insensitively.
		a, err := svc.Assign(ctx, space, " elena.m ", authz.RoleModerator)
		if err != nil {
			t.Fatal(err)
		}
		if a.UserID != elena || a.Nickname != "Elena.M" {
			t.Fatalf("assigned %+v", a)
		}
		_, err = svc.Assign(ctx, space, "ELENA.M", authz.RoleModerator)
		if fieldKey(err, "nickname") != "roles.error.duplicate" {
			t.Fatalf("duplicate: %v", err)
		}
		if _, err := svc.Assign(ctx, space, "Elena.M", authz.RoleEvaluator); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Assign(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: other}, "Elena.M", authz.RoleModerator); err != nil {
			t.Fatal(err)
		}

		got, err := svc.RolesOf(ctx, elena, authz.SpaceProcess, pid)
		if err != nil || strings.Join(got, ",") != "evaluator,moderator" {
			t.Fatalf("RolesOf: %v %v", got, err)
		}
		if ok, _ := svc.HasRole(ctx, elena, authz.SpaceProcess, pid, authz.RoleAdmin); ok {
			t.Fatal("HasRole admin")
		}
		if ok, _ := svc.HasRole(ctx, elena, authz.SpaceProcess, pid, authz.RoleModerator); !ok {
			t.Fatal("HasRole moderator")
		}
		list, err := svc.List(ctx, space)
		if err != nil || len(list) != 2 || list[0].Role != authz.RoleEvaluator {
			t.Fatalf("List: %+v %v", list, err)
		}

		// An assignment cannot be revoked through another space.
		if err := svc.Revoke(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: other}, a.ID); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("revoke via other space: %v", err)
		}
		if err := svc.Revoke(ctx, space, a.ID); err != nil {
			t.Fatal(err)
		}
		if ok, _ := svc.HasRole(ctx, elena, authz.SpaceProcess, pid, authz.RoleModerator); ok {
			t.Fatal("still moderator")
		}
		var assigns, revokes int
		d.R().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'role.assign'`).Scan(&assigns)
		d.R().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'role.revoke' AND before_json LIKE '%moderator%' AND space_id = $1`, pid).Scan(&revokes)
		if assigns != 3 || revokes != 1 {
			t.Fatalf("audit: %d assigns, %d revokes", assigns, revokes)
		}
	})
}
