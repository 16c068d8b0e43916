package component_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func fieldKeys(err error) map[string]string {
	out := map[string]string{}
	if ie, ok := kernel.AsInvalid(err); ok {
		for _, f := range ie.Fields {
			out[f.Field] = f.Key
		}
	}
	return out
}

func newRegistry(t *testing.T, created func(context.Context, *sql.Tx, component.Component) error) *component.Registry {
	t.Helper()
	reg := component.NewRegistry()
	err := reg.Register(component.Manifest{
		Type: "survey", NameKey: "n", Actions: []string{component.ActionAnswer, component.ActionComment},
		Settings: []component.Setting{{Key: "anonymous", Default: "true"}},
		Created:  created,
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestRegistry(t *testing.T) {
	reg := component.NewRegistry()
	ok := component.Manifest{Type: "page", NameKey: "k", Actions: []string{"comment"}}
	if err := reg.Register(ok); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]component.Manifest{
		"duplicate type":   ok,
		"empty type":       {NameKey: "k"},
		"type with markup": {Type: "<b>", NameKey: "k"},
		"no name key":      {Type: "other"},
		"staff action":     {Type: "other", NameKey: "k", Actions: []string{"moderate"}},
		"duplicate action": {Type: "other", NameKey: "k", Actions: []string{"vote", "vote"}},
		"malformed action": {Type: "other", NameKey: "k", Actions: []string{"Vote!"}},
	} {
		if err := reg.Register(m); err == nil {
			t.Errorf("%s: registered", name)
		}
	}
	if !reg.Declares("page", "comment") || reg.Declares("page", "vote") || reg.Declares("nope", "comment") {
		t.Error("Declares")
	}
}

func TestCreateAndValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := &kernel.FixedClock{T: t0}
		svc := component.NewService(d, clock, newRegistry(t, nil))
		pid, _ := authztest.CreateProcess(t, d, "p", true)
		space := authz.SpaceRef{Type: authz.SpaceProcess, ID: pid}

		bad := []struct {
			name  string
			typ   string
			text  kernel.Text
			field string
			key   string
		}{
			{"empty Italian name", "survey", kernel.Text{"it": "  ", "en": "Survey"}, "name_it", "component.error.name_required"},
			{"too long", "survey", kernel.Text{"it": strings.Repeat("à", component.MaxNameLen+1)}, "name_it", "component.error.name_too_long"},
			{"too long English", "survey", kernel.Text{"it": "Ok", "en": strings.Repeat("x", component.MaxNameLen+1)}, "name_en", "component.error.name_too_long"},
			{"control characters", "survey", kernel.Text{"it": "a\x00b"}, "name_it", "component.error.name_control"},
			{"unknown type", "ballot", kernel.Text{"it": "Voto"}, "type", "component.error.type_unknown"},
			{"empty type", "", kernel.Text{"it": "Voto"}, "type", "component.error.type_unknown"},
		}
		for _, b := range bad {
			_, err := svc.Create(ctx, space, b.typ, b.text)
			if got := fieldKeys(err)[b.field]; got != b.key {
				t.Errorf("%s: %v, want %s on %s", b.name, err, b.key, b.field)
			}
		}
		if _, err := svc.Create(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: 424242}, "survey", kernel.Text{"it": "X"}); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("missing process: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM components`); n != 0 {
			t.Fatalf("%d components stored by bad input", n)
		}

		hostile := `<script>alert('x')</script> "Bobby'); DROP TABLE components;--`
		c, err := svc.Create(ctx, space, "survey", kernel.Text{"it": hostile, "en": " Survey "})
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name["it"] != hostile || got.Name["en"] != "Survey" || got.Published() || got.Position != 1 || got.Type != "survey" {
			t.Fatalf("stored %+v", got)
		}
		if got.Settings.Get("anonymous", 0) != "true" {
			t.Fatalf("default settings: %+v", got.Settings)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = $1 AND target_id = $2 AND space_id = $3`, "component.create", c.ID, pid); n != 1 {
			t.Fatalf("audit rows: %d", n)
		}
		// A component of another space is not reachable through this one.
		other, _ := authztest.CreateProcess(t, d, "q", true)
		if _, err := svc.GetIn(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: other}, c.ID); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("GetIn other space: %v", err)
		}
	})
}

func TestCreatedHookIsAtomic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		boom := errors.New("boom")
		svc := component.NewService(d, &kernel.FixedClock{T: t0}, newRegistry(t, func(context.Context, *sql.Tx, component.Component) error { return boom }))
		pid, _ := authztest.CreateProcess(t, d, "p", true)
		_, err := svc.Create(context.Background(), authz.SpaceRef{Type: authz.SpaceProcess, ID: pid}, "survey", kernel.Text{"it": "Q"})
		if !errors.Is(err, boom) {
			t.Fatalf("err %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM components`) + count(t, d, `SELECT COUNT(*) FROM audit_log`); n != 0 {
			t.Fatalf("half-saved: %d rows", n)
		}
	})
}

func TestOrderPublishDelete(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc := component.NewService(d, &kernel.FixedClock{T: t0}, newRegistry(t, nil))
		pid, _ := authztest.CreateProcess(t, d, "p", true)
		space := authz.SpaceRef{Type: authz.SpaceProcess, ID: pid}
		var ids []int64
		for _, n := range []string{"A", "B", "C"} {
			c, err := svc.Create(ctx, space, "survey", kernel.Text{"it": n})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		names := func() string {
			cs, err := svc.List(ctx, space)
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, c := range cs {
				s = append(s, c.Name["it"])
			}
			return strings.Join(s, "")
		}
		if err := svc.Move(ctx, ids[2], -1); err != nil {
			t.Fatal(err)
		}
		if got := names(); got != "ACB" {
			t.Fatalf("after moving C up: %s", got)
		}
		if err := svc.Move(ctx, ids[0], -1); err != nil { // already first
			t.Fatal(err)
		}
		if err := svc.Move(ctx, ids[1], 1); err != nil { // already last
			t.Fatal(err)
		}
		if got := names(); got != "ACB" {
			t.Fatalf("moves past the ends changed the order: %s", got)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'component.move'`); n != 1 {
			t.Fatalf("move audit rows: %d", n)
		}

		if err := svc.SetPublished(ctx, ids[1], true); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPublished(ctx, ids[1], true); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPublished(ctx, ids[2], true); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'component.publish'`); n != 2 {
			t.Fatalf("publishing twice recorded twice: %d", n)
		}
		links, err := svc.Links(ctx, authz.SpaceProcess, pid)
		if err != nil {
			t.Fatal(err)
		}
		if len(links) != 2 || links[0].Name["it"] != "C" || links[1].Name["it"] != "B" || links[0].URL != component.PublicURL("p", ids[2]) || links[0].Type != "survey" {
			t.Fatalf("links %+v", links)
		}
		if l, err := svc.Links(ctx, authz.SpaceProcess, 987654); err != nil || len(l) != 0 {
			t.Fatalf("links of a missing process: %v %v", l, err)
		}
		if err := svc.SetPublished(ctx, ids[1], false); err != nil {
			t.Fatal(err)
		}
		if links, _ := svc.Links(ctx, authz.SpaceProcess, pid); len(links) != 1 {
			t.Fatalf("unpublished still linked: %+v", links)
		}

		if err := svc.Rename(ctx, ids[0], kernel.Text{"it": ""}); fieldKeys(err)["name_it"] != "component.error.name_required" {
			t.Fatalf("rename empty: %v", err)
		}
		if err := svc.Rename(ctx, ids[0], kernel.Text{"it": "Alfa", "en": "Alpha"}); err != nil {
			t.Fatal(err)
		}
		var before, after string
		if err := d.R().QueryRow(`SELECT before_json, after_json FROM audit_log WHERE action = 'component.rename'`).Scan(&before, &after); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(before, `"it":"A"`) || !strings.Contains(after, `"en":"Alpha"`) {
			t.Fatalf("rename audit %s → %s", before, after)
		}

		if err := svc.Delete(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Get(ctx, ids[0]); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("deleted component: %v", err)
		}
		if err := svc.Delete(ctx, ids[0]); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'component.delete' AND before_json <> ''`); n != 1 {
			t.Fatalf("delete audit rows: %d", n)
		}
	})
}

func TestPhaseActions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc := component.NewService(d, &kernel.FixedClock{T: t0}, newRegistry(t, nil))
		pid, ph := authztest.CreateProcess(t, d, "p", true,
			authztest.Phase{Title: "Uno", Start: t0, End: t0.Add(time.Hour)},
			authztest.Phase{Title: "Due", Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)})
		_, otherPh := authztest.CreateProcess(t, d, "q", true, authztest.Phase{Title: "Altro", Start: t0, End: t0.Add(time.Hour)})
		c, err := svc.Create(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: pid}, "survey", kernel.Text{"it": "Q"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPhaseActions(ctx, c.ID, component.PhaseActions{ph[0]: {"answer", "comment"}, ph[1]: {"comment"}}); err != nil {
			t.Fatal(err)
		}
		got, err := svc.PhaseActions(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Open(ph[0], "answer") || !got.Open(ph[1], "comment") || got.Open(ph[1], "answer") {
			t.Fatalf("matrix %v", got)
		}
		for name, bad := range map[string]component.PhaseActions{
			"phase of another process": {otherPh[0]: {"answer"}},
			"undeclared action":        {ph[0]: {"vote"}},
			"staff action":             {ph[0]: {"moderate"}},
		} {
			if _, ok := kernel.AsInvalid(svc.SetPhaseActions(ctx, c.ID, bad)); !ok {
				t.Errorf("%s accepted", name)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM component_phase_actions WHERE component_id = $1`, c.ID); n != 3 {
			t.Fatalf("rejected matrices changed the stored one: %d rows", n)
		}
		if err := svc.SetPhaseActions(ctx, c.ID, component.PhaseActions{}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM component_phase_actions`); n != 0 {
			t.Fatalf("clearing left %d rows", n)
		}
		var before string
		if err := d.R().QueryRow(`SELECT before_json FROM audit_log WHERE action = 'component.actions' ORDER BY id DESC LIMIT 1`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(before, `"answer","comment"`) {
			t.Fatalf("audit before: %s", before)
		}
		// Deleting the component removes its matrix (foreign keys cascade).
		if err := svc.SetPhaseActions(ctx, c.ID, component.PhaseActions{ph[0]: {"answer"}}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Delete(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM component_phase_actions`); n != 0 {
			t.Fatalf("orphan phase actions: %d", n)
		}
	})
}
