package process_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/space/process"
)

// spaceAdminSetup seeds a draft process A administered by "elena" (space
// role admin, not a platform administrator) and a published process B she
// has no role in.
func spaceAdminSetup(t *testing.T) (h *apptest.Harness, a, b process.Process, elena, marco *apptest.Client) {
	t.Helper()
	h = apptest.New(t)
	s := newSeed(t, h)
	a = s.process("quartiere", "Quartiere in bozza", day(2026, 10, 1), day(2027, 3, 31), false, 0)
	b = s.process("altro", "Altro processo", day(2026, 10, 1), day(2027, 3, 31), true, 0)
	elena = h.Participant("elena")
	if _, err := h.App.Services.Roles.Assign(s.ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: a.ID}, "elena", authz.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	// A moderator of A is not its administrator.
	marco = h.Participant("marco")
	if _, err := h.App.Services.Roles.Assign(s.ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: a.ID}, "marco", authz.RoleModerator); err != nil {
		t.Fatal(err)
	}
	return h, a, b, elena, marco
}

func TestSpaceAdminManagesOwnProcess(t *testing.T) {
	h, a, _, elena, _ := spaceAdminSetup(t)
	base := fmt.Sprintf("/admin/processes/%d", a.ID)

	// The breadcrumb of components and roles links here.
	if r := elena.Get(base); r.Status != 303 || r.Location != base+"/edit" {
		t.Fatalf("GET %s: %d %s", base, r.Status, r.Location)
	}

	// Her draft is visible to her, with the notice and the link to its admin pages.
	show := get(t, elena, "/processes/quartiere", 200)
	mustContain(t, show, "Quartiere in bozza", "bozza")
	if !strings.Contains(show.Body, `href="`+base+`/edit"`) {
		t.Error("the process page does not link its space administrator to the admin pages")
	}
	get(t, elena, "/processes/quartiere/pact", 200)

	// The edit form: no publication checkbox, no links to platform-only pages.
	edit := get(t, elena, base+"/edit", 200)
	mustContain(t, edit, "Solo gli amministratori della piattaforma possono pubblicarlo")
	if strings.Contains(edit.Body, `name="published"`) {
		t.Error("a space administrator is offered the publication checkbox")
	}
	if strings.Contains(edit.Body, `href="/admin/processes"`) || strings.Contains(edit.Body, `href="/admin"`) {
		t.Error("the page links a space administrator to platform-only pages")
	}

	// She edits the content; a forged "published" field is ignored.
	form := processForm("Quartiere rinnovato")
	form.Set("slug", "quartiere")
	form.Set("published", "on")
	post(t, elena, base, form, 303)
	got, err := h.App.Services.Processes.Get(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title["it"] != "Quartiere rinnovato" {
		t.Fatalf("title not saved: %+v", got.Title)
	}
	if got.Published() {
		t.Fatal("a space administrator published the process with a forged field")
	}
	if r := h.Client().Get("/processes/quartiere"); r.Status != 404 {
		t.Fatalf("the draft is public: %d", r.Status)
	}

	// A bad edit re-renders the form with the message and still no checkbox.
	bad := processForm("")
	bad.Set("slug", "quartiere")
	r := post(t, elena, base, bad, 422)
	mustContain(t, r, "Scrivi il titolo")
	if strings.Contains(r.Body, `name="published"`) {
		t.Error("the re-rendered form offers the publication checkbox")
	}

	// Phases.
	get(t, elena, base+"/phases", 200)
	post(t, elena, base+"/phases", url.Values{"title_it": {"Proposte"}, "starts_at": {"2026-10-01T00:00"}, "ends_at": {"2026-11-01T00:00"}}, 303)
	if n := h.Count(`SELECT COUNT(*) FROM phases WHERE process_id = $1`, a.ID); n != 1 {
		t.Fatalf("phases: %d", n)
	}

	// The Pact: she saves and publishes it.
	get(t, elena, base+"/pact", 200)
	pf := pactForm("")
	pf.Set("action", "publish")
	pf.Set("change_note_it", "Prima versione")
	post(t, elena, base+"/pact", pf, 303)
	if n := h.Count(`SELECT COUNT(*) FROM pact_versions WHERE process_id = $1`, a.ID); n != 1 {
		t.Fatalf("pact versions: %d", n)
	}

	// A platform administrator publishes it; she cannot hide it again.
	admin := h.Admin()
	form = processForm("Quartiere rinnovato")
	form.Set("slug", "quartiere")
	post(t, admin, base, form, 303)
	mustContain(t, get(t, elena, base+"/edit", 200), "Solo gli amministratori della piattaforma possono nasconderlo")
	form.Del("published")
	form.Set("subtitle_it", "Ancora pubblico")
	post(t, elena, base, form, 303)
	if got, _ = h.App.Services.Processes.Get(t.Context(), a.ID); !got.Published() || got.Subtitle["it"] != "Ancora pubblico" {
		t.Fatalf("after a space administrator's save: published %v, subtitle %q", got.Published(), got.Subtitle["it"])
	}
	get(t, h.Client(), "/processes/quartiere", 200)
}

func TestSpaceAdminLimits(t *testing.T) {
	h, a, b, elena, marco := spaceAdminSetup(t)
	other := fmt.Sprintf("/admin/processes/%d", b.ID)

	// Another process's admin pages.
	for _, path := range []string{other, other + "/edit", other + "/phases", other + "/pact"} {
		get(t, elena, path, 403)
	}
	form := processForm("Preso")
	form.Set("slug", "altro")
	post(t, elena, other, form, 403)
	post(t, elena, other+"/phases", url.Values{"title_it": {"Intrusa"}, "starts_at": {"2026-10-01T00:00"}, "ends_at": {"2026-11-01T00:00"}}, 403)
	pf := pactForm("")
	pf.Set("action", "publish")
	post(t, elena, other+"/pact", pf, 403)
	if n := h.Count(`SELECT COUNT(*) FROM phases`) + h.Count(`SELECT COUNT(*) FROM pact_versions`) + h.Count(`SELECT COUNT(*) FROM pact_drafts`); n != 0 {
		t.Fatalf("something was stored on process B: %d rows", n)
	}
	if got, _ := h.App.Services.Processes.Get(t.Context(), b.ID); got.Title["it"] != "Altro processo" {
		t.Fatalf("process B changed: %+v", got.Title)
	}

	// Platform-only pages.
	for _, path := range []string{"/admin", "/admin/processes", "/admin/processes/new", "/admin/territories", "/admin/territories/new"} {
		get(t, elena, path, 403)
	}
	post(t, elena, "/admin/processes", processForm("Nuovo"), 403)
	post(t, elena, "/admin/territories", url.Values{"name_it": {"Quartiere"}, "kind": {process.KindComune}}, 403)
	if n := h.Count(`SELECT COUNT(*) FROM processes`); n != 2 {
		t.Fatalf("processes: %d", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM territories`); n != 0 {
		t.Fatalf("territories: %d", n)
	}

	// A moderator of A is no administrator of it and does not see its draft.
	get(t, marco, fmt.Sprintf("/admin/processes/%d/edit", a.ID), 403)
	get(t, marco, "/processes/quartiere", 404)
	get(t, h.Participant("luca"), "/processes/quartiere", 404)

	// Anonymous visitors are sent to sign in.
	anon := h.Client()
	for _, path := range []string{fmt.Sprintf("/admin/processes/%d/edit", a.ID), fmt.Sprintf("/admin/processes/%d/pact", a.ID)} {
		if r := anon.Get(path); r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
			t.Fatalf("anonymous %s: %d %s", path, r.Status, r.Location)
		}
	}
	get(t, anon, "/processes/quartiere", 404)

	// Platform administrators are unchanged: every process, the checkbox.
	admin := h.Admin()
	edit := get(t, admin, other+"/edit", 200)
	if !strings.Contains(edit.Body, `name="published"`) || !strings.Contains(edit.Body, `href="/admin/processes"`) {
		t.Error("the platform administrator lost the publication checkbox or the breadcrumb")
	}
	get(t, admin, fmt.Sprintf("/admin/processes/%d/phases", a.ID), 200)
	get(t, admin, "/processes/quartiere", 200)
}
