package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/authz/authztest"
)

func TestDemoComponents(t *testing.T) {
	h := apptest.New(t, apptest.Demo)
	t0 := h.Clock.T
	mainP, ph := authztest.CreateProcess(t, h.DB, "demo-principale", true,
		authztest.Phase{Title: "Ascolto", Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)},
		authztest.Phase{Title: "Esiti", Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)})
	authztest.CreateProcess(t, h.DB, "demo-secondo", true)

	for range 2 { // loading twice adds nothing the second time
		if _, err := h.App.LoadDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM processes`); n != h.Count(`SELECT COUNT(*) FROM components WHERE type = 'page' AND published_at IS NOT NULL`) {
		t.Fatalf("not one published page per process")
	}
	var cid int64
	if err := h.DB.R().QueryRow(`SELECT id FROM components WHERE space_id = $1 AND type = 'page'`, mainP).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	if n := h.Count(`SELECT COUNT(*) FROM component_phase_actions WHERE component_id = $1 AND phase_id = $2 AND action = 'comment'`, cid, ph[0]); n != 1 {
		t.Fatal("comments not open in the first phase")
	}
	if n := h.Count(`SELECT COUNT(*) FROM component_phase_actions WHERE component_id = $1 AND phase_id = $2`, cid, ph[1]); n != 0 {
		t.Fatal("actions open in the last phase")
	}
	for _, c := range []struct{ nick, role string }{{"moderatrice.elena", "moderator"}, {"valutatore.paolo", "evaluator"}} {
		n := h.Count(`SELECT COUNT(*) FROM space_roles r JOIN users u ON u.id = r.user_id WHERE u.nickname = $1 AND r.role = $2 AND r.space_id = $3`, c.nick, c.role, mainP)
		if n != 1 {
			t.Fatalf("%s not %s in the main process (%d)", c.nick, c.role, n)
		}
	}
	page := h.Client().Get(fmt.Sprintf("/processes/demo-principale/c/%d", cid))
	if page.Status != 200 || !strings.Contains(apptest.Text(page.Body), "Chi può partecipare") {
		t.Fatalf("demo page: %d %s", page.Status, apptest.Text(page.Body))
	}
}

// With the real demo processes: every process gets its page, linked from the
// process page, and the demo staff get their roles in the participatory budget.
func TestDemoComponentsOnDemoProcesses(t *testing.T) {
	h := apptest.New(t, apptest.Demo)
	if _, err := h.App.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	procs := h.Count(`SELECT COUNT(*) FROM processes`)
	if procs == 0 {
		t.Skip("no demo processes loaded")
	}
	if n := h.Count(`SELECT COUNT(*) FROM components WHERE type = 'page' AND published_at IS NOT NULL`); n != procs {
		t.Fatalf("%d pages for %d processes", n, procs)
	}
	if n := h.Count(`SELECT COUNT(*) FROM space_roles r JOIN processes p ON p.id = r.space_id WHERE p.slug = 'bilancio-partecipativo-2026'`); n != 2 {
		t.Fatalf("%d roles in the main process", n)
	}
	show := h.Client().Get("/processes/bilancio-partecipativo-2026")
	if show.Status != 200 || !strings.Contains(show.Body, ">Come partecipare</a>") {
		t.Fatalf("process page does not link the page: %d %s", show.Status, apptest.Text(show.Body))
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE a.action = 'component.create' AND a.after_json LIKE '%"type":"page"%' AND u.nickname = 'Ufficio_Partecipazione'`); n != procs {
		t.Fatalf("demo changes not attributed to the office: %d", n)
	}
}
