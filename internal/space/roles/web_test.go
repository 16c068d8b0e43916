package roles_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/authz/authztest"
)

func TestRolesPage(t *testing.T) {
	h := apptest.New(t)
	pid, _ := authztest.CreateProcess(t, h.DB, "verde", true)
	other, _ := authztest.CreateProcess(t, h.DB, "blu", true)
	page := fmt.Sprintf("/admin/processes/%d/roles", pid)
	admin := h.Admin()
	h.CreateUser("elena@prova.it", "elena.mod", false)
	citizen := h.Participant("paolo")

	if r := h.Client().Get(page); r.Status != http.StatusSeeOther {
		t.Fatalf("anonymous: %d", r.Status)
	}
	if r := citizen.Get(page); r.Status != http.StatusForbidden {
		t.Fatalf("participant: %d", r.Status)
	}
	if r := citizen.Post(page, url.Values{"nickname": {"paolo"}, "role": {"admin"}}); r.Status != http.StatusForbidden {
		t.Fatalf("participant self-promotion: %d", r.Status)
	}

	r := admin.Get(page)
	if r.Status != 200 || !strings.Contains(apptest.Text(r.Body), "Nessuno ha ancora un ruolo") {
		t.Fatalf("empty page: %d %s", r.Status, apptest.Text(r.Body))
	}
	for _, c := range []struct {
		nick, role, msg string
	}{
		{"", "moderator", "Indica il nome utente"},
		{"sconosciuto", "moderator", "Nessun partecipante ha questo nome utente"},
		{`<b onmouseover="x">`, "moderator", "Nessun partecipante ha questo nome utente"},
		{"elena.mod", "sindaco", "Scegli uno dei ruoli"},
	} {
		r := admin.Post(page, url.Values{"nickname": {c.nick}, "role": {c.role}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(apptest.Text(r.Body), c.msg) {
			t.Fatalf("%q: %d %s", c.nick, r.Status, apptest.Text(r.Body))
		}
		if strings.Contains(r.Body, `<b onmouseover`) {
			t.Fatal("typed markup echoed unescaped")
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM space_roles`); n != 0 {
		t.Fatalf("bad input stored %d roles", n)
	}

	r = admin.Post(page, url.Values{"nickname": {"Elena.Mod"}, "role": {"moderator"}})
	if r.Status != http.StatusSeeOther || r.Location != page {
		t.Fatalf("assign: %d %q", r.Status, r.Location)
	}
	listed := apptest.Text(admin.Follow(r).Body)
	if !strings.Contains(listed, "Ruolo assegnato") || !strings.Contains(listed, "elena.mod moderatore") {
		t.Fatalf("after assign: %s", listed)
	}
	dup := admin.Post(page, url.Values{"nickname": {"elena.mod"}, "role": {"moderator"}})
	if dup.Status != http.StatusUnprocessableEntity || !strings.Contains(apptest.Text(dup.Body), "elena.mod ha già questo ruolo") || !strings.Contains(dup.Body, `value="elena.mod"`) {
		t.Fatalf("duplicate: %d %s", dup.Status, apptest.Text(dup.Body))
	}

	// A space admin manages this process's roles (and components), not another's.
	if r := admin.Post(page, url.Values{"nickname": {"paolo"}, "role": {"admin"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("make space admin: %d", r.Status)
	}
	if r := citizen.Get(page); r.Status != 200 {
		t.Fatalf("space admin on roles: %d", r.Status)
	}
	if r := citizen.Get(fmt.Sprintf("/admin/processes/%d/components", pid)); r.Status != 200 {
		t.Fatalf("space admin on components: %d", r.Status)
	}
	if r := citizen.Get(fmt.Sprintf("/admin/processes/%d/roles", other)); r.Status != http.StatusForbidden {
		t.Fatalf("space admin on another process: %d", r.Status)
	}

	var roleID int64
	if err := h.DB.R().QueryRow(`SELECT r.id FROM space_roles r JOIN users u ON u.id = r.user_id WHERE u.nickname = 'elena.mod'`).Scan(&roleID); err != nil {
		t.Fatal(err)
	}
	// Revoking through another process's URL finds nothing.
	if r := admin.Post(fmt.Sprintf("/admin/processes/%d/roles/%d/revoke", other, roleID), nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-process revoke: %d", r.Status)
	}
	if r := admin.Post(fmt.Sprintf("%s/%d/revoke", page, roleID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	if n := h.Count(`SELECT COUNT(*) FROM space_roles WHERE id = $1`, roleID); n != 0 {
		t.Fatal("role not revoked")
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('role.assign', 'role.revoke') AND space_id = $1`, pid); n != 3 {
		t.Fatalf("audit entries: %d", n)
	}
	// The participant's saved language decides the messages.
	c := h.Client().LoginAs(h.CreateUser("eng@prova.it", "english_admin", true))
	c.Post("/lang", url.Values{"lang": {"en"}, "next": {"/"}})
	if r := c.Post(page, url.Values{"nickname": {"nobody"}, "role": {"moderator"}}); !strings.Contains(r.Body, "No participant has this nickname") {
		t.Fatalf("english message: %s", apptest.Text(r.Body))
	}
}
