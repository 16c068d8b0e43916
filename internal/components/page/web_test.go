package page_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func expect(t *testing.T, r *apptest.Response, status int, contains ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, apptest.Text(r.Body))
	}
	text := apptest.Text(r.Body)
	for _, s := range contains {
		if !strings.Contains(text, s) && !strings.Contains(r.Body, s) {
			t.Fatalf("page lacks %q: %s", s, text)
		}
	}
}

// TestPageComponentJourney follows an administrator adding a page to a
// process, writing it, opening comments in a phase and publishing it, and
// a citizen reading it.
func TestPageComponentJourney(t *testing.T) {
	h := apptest.New(t)
	pid, ph := authztest.CreateProcess(t, h.DB, "quartieri", true,
		authztest.Phase{Title: "Ascolto", Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)},
		authztest.Phase{Title: "Restituzione", Start: t0.Add(time.Hour), End: t0.Add(48 * time.Hour)})
	_, otherPh := authztest.CreateProcess(t, h.DB, "altro", true, authztest.Phase{Title: "X", Start: t0, End: t0.Add(time.Hour)})
	admin := h.Admin()
	base := fmt.Sprintf("/admin/processes/%d/components", pid)

	expect(t, admin.Get(base), 200, "Componenti del processo", "Pagina", "non ha ancora componenti")

	// Bad input: each case re-renders the form with 422 and the message, keeps what was typed, stores nothing.
	for _, c := range []struct {
		form url.Values
		msg  string
	}{
		{url.Values{"type": {"page"}, "name_it": {""}, "name_en": {"Kept English"}}, "Indica il nome in italiano"},
		{url.Values{"type": {"page"}, "name_it": {strings.Repeat("a", 81)}}, "al massimo 80 caratteri"},
		{url.Values{"type": {"bogus"}, "name_it": {"Regole"}}, "Scegli uno degli strumenti"},
	} {
		r := admin.Post(base, c.form)
		expect(t, r, http.StatusUnprocessableEntity, c.msg, "errore da correggere")
		if v := c.form.Get("name_en"); v != "" && !strings.Contains(r.Body, `value="`+v+`"`) {
			t.Fatalf("typed value lost")
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM components`); n != 0 {
		t.Fatalf("bad input stored %d components", n)
	}

	r := admin.Post(base, url.Values{"type": {"page"}, "name_it": {"Come partecipare"}, "name_en": {"How to take part"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, apptest.Text(r.Body))
	}
	var cid int64
	if err := h.DB.R().QueryRow(`SELECT id FROM components WHERE type = 'page'`).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	manage := fmt.Sprintf("%s/%d/manage", base, cid)
	if r.Location != manage {
		t.Fatalf("after create: %q, want the page editor %q", r.Location, manage)
	}
	expect(t, admin.Follow(r), 200, "Componente aggiunto in bozza", "Modifica la pagina «Come partecipare»")
	if n := h.Count(`SELECT COUNT(*) FROM pages WHERE component_id = $1`, cid); n != 1 {
		t.Fatalf("page row not created with the component")
	}

	// Editing the body.
	expect(t, admin.Post(manage, url.Values{"body_it": {"   "}, "body_en": {"only english"}}), 422, "Scrivi il testo in italiano", "only english")
	expect(t, admin.Post(manage, url.Values{"body_it": {strings.Repeat("x", 50001)}}), 422, "al massimo 50")
	hostile := "# Benvenuti\n\nLeggi il [patto](/processes/quartieri/pact).\n\n<script>alert(1)</script><img src=x onerror=alert(2)>"
	r = admin.Post(manage, url.Values{"body_it": {hostile}, "body_en": {"# Welcome\n\nRead the pact."}})
	if r.Status != http.StatusSeeOther || r.Location != manage {
		t.Fatalf("save: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'page.update' AND target_id = $1`, cid); n != 1 {
		t.Fatalf("page.update audit rows: %d", n)
	}

	public := fmt.Sprintf("/processes/quartieri/c/%d", cid)
	anon := h.Client()
	citizen := h.Participant("giulia")
	// Unpublished: 404 for the public, preview for the administrator.
	expect(t, anon.Get(public), 404)
	expect(t, citizen.Get(public), 404)
	expect(t, admin.Get(public), 200, "Anteprima", "Benvenuti")

	r = admin.Post(fmt.Sprintf("%s/%d/publish", base, cid), nil)
	if r.Status != http.StatusSeeOther || r.Location != base {
		t.Fatalf("publish: %d %q", r.Status, r.Location)
	}
	page := anon.Get(public)
	expect(t, page, 200, "Come partecipare", "Benvenuti", "Processo quartieri", `href="/processes/quartieri"`, "Processi partecipativi")
	if strings.Contains(page.Body, "<script>alert") || strings.Contains(page.Body, "onerror") {
		t.Fatal("hostile markup rendered")
	}
	if strings.Contains(page.Body, "Anteprima") || strings.Count(page.Body, "<h1") != 1 || !strings.Contains(page.Body, "<h2") {
		t.Fatal("public page: preview banner, or not exactly one h1 with demoted headings")
	}
	anon.Lang = "en"
	expect(t, anon.Get(public), 200, "How to take part", "Welcome")
	// The URL must name the right process and a number.
	expect(t, anon.Get(fmt.Sprintf("/processes/altro/c/%d", cid)), 404)
	expect(t, anon.Get("/processes/quartieri/c/abc"), 404)
	expect(t, anon.Get("/processes/quartieri/c/999999"), 404)

	// Phase matrix.
	actions := fmt.Sprintf("%s/%d/actions", base, cid)
	expect(t, admin.Get(actions), 200, "Commentare", "Ascolto", "Restituzione")
	open := fmt.Sprintf("%d:comment", ph[0])
	r = admin.Post(actions, url.Values{"open": {open}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save matrix: %d %s", r.Status, apptest.Text(r.Body))
	}
	saved := admin.Follow(r)
	expect(t, saved, 200, "Azioni per fase salvate")
	if !strings.Contains(saved.Body, `value="`+open+`" checked`) {
		t.Fatal("saved box not ticked")
	}
	for _, bad := range []string{"nonsense", fmt.Sprintf("%d:vote", ph[0]), fmt.Sprintf("%d:comment", otherPh[0]), "-1:comment"} {
		expect(t, admin.Post(actions, url.Values{"open": {bad, fmt.Sprintf("%d:comment", ph[1])}}), 422)
	}
	if n := h.Count(`SELECT COUNT(*) FROM component_phase_actions WHERE component_id = $1`, cid); n != 1 {
		t.Fatalf("rejected matrices changed the stored one: %d rows", n)
	}
	d, err := h.App.Services.Authz.Authorize(t.Context(), authzRequest(citizenID(t, h, "giulia"), cid, "comment"))
	if err != nil || !d.Allowed {
		t.Fatalf("citizen may comment in the open phase: %+v %v", d, err)
	}

	// Rename, reorder, delete.
	edit := fmt.Sprintf("%s/%d/edit", base, cid)
	expect(t, admin.Get(edit), 200, `value="Come partecipare"`)
	expect(t, admin.Post(edit, url.Values{"name_it": {""}}), 422, "Indica il nome in italiano")
	if r := admin.Post(edit, url.Values{"name_it": {"Partecipare"}, "name_en": {""}}); r.Status != http.StatusSeeOther {
		t.Fatalf("rename: %d", r.Status)
	}
	if r := admin.Post(base, url.Values{"type": {"page"}, "name_it": {"Risultati"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("second page: %d", r.Status)
	}
	expect(t, admin.Post(fmt.Sprintf("%s/%d/move", base, cid), url.Values{"direction": {"sideways"}}), 422)
	if r := admin.Post(fmt.Sprintf("%s/%d/move", base, cid), url.Values{"direction": {"down"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("move: %d", r.Status)
	}
	list := apptest.Text(admin.Get(base).Body)
	if strings.Index(list, "Risultati") > strings.Index(list, "Partecipare Pagina") {
		t.Fatalf("order not changed: %s", list)
	}
	del := fmt.Sprintf("%s/%d/delete", base, cid)
	expect(t, admin.Get(del), 200, "Eliminare «Partecipare»?")
	if r := admin.Post(del, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.Status)
	}
	expect(t, anon.Get(public), 404)
	if n := h.Count(`SELECT COUNT(*) FROM pages WHERE component_id = $1`, cid); n != 0 {
		t.Fatal("page content survived its component")
	}
	for _, a := range []string{"component.create", "component.publish", "component.actions", "component.rename", "component.move", "component.delete", "page.update"} {
		if h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = $1 AND space_id = $2`, a, pid) == 0 {
			t.Errorf("no audit entry %s", a)
		}
	}
}

// TestComponentAdminAccess: only platform administrators and the process's
// own administrators reach its components' admin pages.
func TestComponentAdminAccess(t *testing.T) {
	h := apptest.New(t)
	pid, _ := authztest.CreateProcess(t, h.DB, "mine", true)
	other, _ := authztest.CreateProcess(t, h.DB, "theirs", true)
	base := fmt.Sprintf("/admin/processes/%d/components", pid)

	anon := h.Client()
	if r := anon.Get(base); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("anonymous: %d %q", r.Status, r.Location)
	}
	citizen := h.Participant("marco")
	expect(t, citizen.Get(base), 403)
	expect(t, citizen.Post(base, url.Values{"type": {"page"}, "name_it": {"X"}}), 403)
	if n := h.Count(`SELECT COUNT(*) FROM components`); n != 0 {
		t.Fatal("forbidden post stored a component")
	}

	authztest.Grant(t, h.DB, pid, citizenID(t, h, "marco"), "admin")
	expect(t, citizen.Get(base), 200)
	if r := citizen.Post(base, url.Values{"type": {"page"}, "name_it": {"Regole"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("space admin create: %d", r.Status)
	}
	expect(t, citizen.Get(fmt.Sprintf("/admin/processes/%d/components", other)), 403)
	expect(t, citizen.Get("/admin/processes/99999/components"), 404)
	var cid int64
	if err := h.DB.R().QueryRow(`SELECT id FROM components`).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	// A component is reachable only under its own process.
	expect(t, h.Admin().Get(fmt.Sprintf("/admin/processes/%d/components/%d/manage", other, cid)), 404)
}

func citizenID(t *testing.T, h *apptest.Harness, nick string) int64 {
	t.Helper()
	var id int64
	if err := h.DB.R().QueryRow(`SELECT id FROM users WHERE nickname_key = $1`, nick).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func authzRequest(userID, componentID int64, action string) authz.Request {
	return authz.Request{UserID: userID, ComponentID: componentID, Action: action}
}
