package process_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/space/process"
)

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func newService(t *testing.T, d *db.DB) (*process.Service, *kernel.FixedClock) {
	t.Helper()
	clock := &kernel.FixedClock{T: now}
	return process.NewService(d, clock, nil), clock
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("count %q: %v", query, err)
	}
	return n
}

// fieldKeys returns field → message key of an invalid-input error.
func fieldKeys(t *testing.T, err error) map[string]string {
	t.Helper()
	ie, ok := kernel.AsInvalid(err)
	if !ok {
		t.Fatalf("want invalid-input error, got %v", err)
	}
	out := map[string]string{}
	for _, f := range ie.Fields {
		out[f.Field] = f.Key
	}
	return out
}

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, process.Rome())
}

func validProcess(title string) process.ProcessInput {
	return process.ProcessInput{
		Title:    kernel.Text{"it": title, "en": title + " (en)"},
		StartsOn: day(2026, 11, 1),
		EndsOn:   day(2026, 12, 31),
	}
}

func TestTerritories(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d)
		milano, err := s.CreateTerritory(ctx, process.TerritoryInput{Name: kernel.Text{"it": "Comune di Milano"}, Slug: "milano", Kind: process.KindComune})
		if err != nil {
			t.Fatal(err)
		}
		m1, err := s.CreateTerritory(ctx, process.TerritoryInput{Name: kernel.Text{"it": "Municipio 1"}, Slug: "municipio-1", Kind: process.KindMunicipio, ParentID: milano.ID})
		if err != nil {
			t.Fatal(err)
		}
		if m1.Position <= milano.Position {
			t.Fatalf("positions: %d then %d", milano.Position, m1.Position)
		}
		// Bad input: duplicate slug, municipio without a parent, a municipio as parent, empty name.
		_, err = s.CreateTerritory(ctx, process.TerritoryInput{Name: kernel.Text{"it": "Altro"}, Slug: "milano", Kind: process.KindComune})
		if fieldKeys(t, err)["slug"] != "process.error.slug_taken" {
			t.Fatalf("duplicate slug: %v", err)
		}
		_, err = s.CreateTerritory(ctx, process.TerritoryInput{Name: kernel.Text{"it": "M2"}, Slug: "m2", Kind: process.KindMunicipio})
		if fieldKeys(t, err)["parent_id"] != "process.territory.error.parent_required" {
			t.Fatalf("no parent: %v", err)
		}
		_, err = s.CreateTerritory(ctx, process.TerritoryInput{Name: kernel.Text{"it": "M2"}, Slug: "m2", Kind: process.KindMunicipio, ParentID: m1.ID})
		if fieldKeys(t, err)["parent_id"] != "process.territory.error.parent_kind" {
			t.Fatalf("municipio as parent: %v", err)
		}
		_, err = s.CreateTerritory(ctx, process.TerritoryInput{Name: kernel.Text{"it": " "}, Slug: "Bad Slug!", Kind: "regione"})
		keys := fieldKeys(t, err)
		if keys["name_it"] == "" || keys["slug"] != "process.error.slug_invalid" || keys["kind"] == "" {
			t.Fatalf("bad input: %v", keys)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM territories`); n != 2 {
			t.Fatalf("territories stored: %d", n)
		}
		// A comune with districts cannot become a municipio.
		_, err = s.UpdateTerritory(ctx, milano.ID, process.TerritoryInput{Name: milano.Name, Slug: "milano", Kind: process.KindMunicipio, ParentID: m1.ID})
		if err == nil {
			t.Fatal("comune with districts became a municipio")
		}
		up, err := s.UpdateTerritory(ctx, m1.ID, process.TerritoryInput{Name: kernel.Text{"it": "Municipio 1 – Centro storico", "en": "District 1"}, Slug: "municipio-1", Kind: process.KindMunicipio, ParentID: milano.ID})
		if err != nil || up.Name.In("en") != "District 1" {
			t.Fatalf("update: %v %v", up, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'territory.%'`); n != 3 {
			t.Fatalf("audit entries: %d", n)
		}
	})
}

func TestCreateAndUpdateProcess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := kernel.WithActor(context.Background(), kernel.Actor{RequestID: "req-1"})
		s, _ := newService(t, d)
		in := validProcess("Bilancio partecipativo: è l'ora!")
		in.Description = kernel.Text{"it": `<script>alert("x")</script> **Descrizione**`}
		p, err := s.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if p.Slug != "bilancio-partecipativo-e-l-ora" {
			t.Fatalf("slug: %q", p.Slug)
		}
		got, err := s.GetBySlug(ctx, p.Slug)
		if err != nil {
			t.Fatal(err)
		}
		// Stored as typed: escaping and sanitising happen on output.
		if got.Description["it"] != in.Description["it"] || got.Published() {
			t.Fatalf("stored: %+v", got)
		}
		// Whole days in Rome: the process starts at local midnight and
		// includes the whole last day.
		if want := time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC); !got.StartsOn.Equal(want) {
			t.Fatalf("starts %v want %v", got.StartsOn, want)
		}
		if want := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC); !got.EndsOn.Equal(want) {
			t.Fatalf("ends %v want %v", got.EndsOn, want)
		}
		if got.Status(now) != process.StatusOpen {
			t.Fatalf("status %s", got.Status(now))
		}

		bad := []struct {
			name  string
			edit  func(*process.ProcessInput)
			field string
			key   string
		}{
			{"empty italian title", func(in *process.ProcessInput) { in.Title = kernel.Text{"en": "Only English"} }, "title_it", "process.error.title_required"},
			{"title too long", func(in *process.ProcessInput) { in.Title["it"] = strings.Repeat("a", 201) }, "title_it", "process.error.too_long"},
			{"subtitle too long", func(in *process.ProcessInput) { in.Subtitle = kernel.Text{"en": strings.Repeat("é", 301)} }, "subtitle_en", "process.error.too_long"},
			{"description too long", func(in *process.ProcessInput) { in.Description = kernel.Text{"it": strings.Repeat("x", 20001)} }, "description_it", "process.error.too_long"},
			{"reversed dates", func(in *process.ProcessInput) { in.StartsOn, in.EndsOn = in.EndsOn, in.StartsOn }, "ends_on", "process.error.end_before_start"},
			{"missing date", func(in *process.ProcessInput) { in.StartsOn = time.Time{} }, "starts_on", "process.error.date_required"},
			{"absurd year", func(in *process.ProcessInput) { in.EndsOn = day(2999, 1, 1) }, "ends_on", "process.error.date_bounds"},
			{"duplicate slug", func(in *process.ProcessInput) { in.Slug = p.Slug }, "slug", "process.error.slug_taken"},
			{"duplicate derived slug", func(in *process.ProcessInput) { in.Title["it"] = "Bilancio partecipativo: È l'ora" }, "slug", "process.error.slug_taken"},
			{"hostile slug", func(in *process.ProcessInput) { in.Slug = "../<b>x</b>" }, "slug", "process.error.slug_invalid"},
			{"unknown territory", func(in *process.ProcessInput) { in.TerritoryID = 999 }, "territory_id", "process.error.territory_unknown"},
		}
		for _, c := range bad {
			in := validProcess("Altro processo")
			c.edit(&in)
			_, err := s.Create(ctx, in)
			if k := fieldKeys(t, err)[c.field]; k != c.key {
				t.Errorf("%s: field %s has %q, want %q (%v)", c.name, c.field, k, c.key, err)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM processes`); n != 1 {
			t.Fatalf("processes stored: %d", n)
		}

		// Publishing sets the date once; unpublishing clears it.
		in.Published = true
		in.Slug = "bilancio-2026"
		up, err := s.Update(ctx, p.ID, in)
		if err != nil || !up.Published() || up.Slug != "bilancio-2026" {
			t.Fatalf("publish: %+v %v", up, err)
		}
		in.Published = false
		if up, err = s.Update(ctx, p.ID, in); err != nil || up.Published() {
			t.Fatalf("unpublish: %+v %v", up, err)
		}
		if _, err := s.Update(ctx, 12345, in); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("update unknown: %v", err)
		}
		if _, err := s.GetBySlug(ctx, "no-such"); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("unknown slug: %v", err)
		}
		var reqID string
		if err := d.R().QueryRow(`SELECT request_id FROM audit_log WHERE action = 'process.update' ORDER BY id DESC LIMIT 1`).Scan(&reqID); err != nil || reqID != "req-1" {
			t.Fatalf("audit: %q %v", reqID, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE space_type = 'process'`); n != 3 {
			t.Fatalf("audit entries: %d", n)
		}
	})
}

func TestListFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d)
		comune, err := s.CreateTerritory(ctx, process.TerritoryInput{Name: kernel.Text{"it": "Milano"}, Slug: "milano", Kind: process.KindComune})
		if err != nil {
			t.Fatal(err)
		}
		mk := func(title string, from, to time.Time, published bool, territory int64) {
			in := validProcess(title)
			in.StartsOn, in.EndsOn, in.Published, in.TerritoryID = from, to, published, territory
			if _, err := s.Create(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		mk("Aperto presto finisce", day(2026, 1, 1), day(2026, 12, 1), true, comune.ID)
		mk("Aperto finisce dopo", day(2026, 6, 1), day(2027, 6, 1), true, 0)
		mk("Futuro lontano", day(2027, 3, 1), day(2027, 6, 1), true, comune.ID)
		mk("Futuro vicino", day(2026, 12, 1), day(2027, 6, 1), true, 0)
		mk("Chiuso vecchio", day(2024, 1, 1), day(2024, 6, 1), true, 0)
		mk("Chiuso recente", day(2025, 1, 1), day(2025, 6, 1), true, 0)
		mk("Bozza aperta", day(2026, 1, 1), day(2026, 12, 1), false, 0)
		// Ends today: still open until midnight in Rome.
		mk("Finisce oggi", day(2026, 1, 1), day(2026, 11, 23), true, 0)

		titles := func(ps []process.Process) string {
			var out []string
			for _, p := range ps {
				out = append(out, p.Title["it"])
			}
			return strings.Join(out, ", ")
		}
		all, total, err := s.List(ctx, process.Filter{PublishedOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		want := "Finisce oggi, Aperto presto finisce, Aperto finisce dopo, Futuro vicino, Futuro lontano, Chiuso recente, Chiuso vecchio"
		if total != 7 || titles(all) != want {
			t.Fatalf("all (%d): %s\nwant: %s", total, titles(all), want)
		}
		for status, want := range map[process.Status]string{
			process.StatusOpen:     "Finisce oggi, Aperto presto finisce, Aperto finisce dopo",
			process.StatusUpcoming: "Futuro vicino, Futuro lontano",
			process.StatusClosed:   "Chiuso recente, Chiuso vecchio",
		} {
			got, n, err := s.List(ctx, process.Filter{PublishedOnly: true, Status: status})
			if err != nil || titles(got) != want || n != len(got) {
				t.Errorf("%s: %s (%d, %v)", status, titles(got), n, err)
			}
		}
		got, n, _ := s.List(ctx, process.Filter{PublishedOnly: true, TerritoryID: comune.ID, Status: process.StatusUpcoming})
		if titles(got) != "Futuro lontano" || n != 1 {
			t.Fatalf("territory+status: %s", titles(got))
		}
		page2, n, _ := s.List(ctx, process.Filter{PublishedOnly: true, Limit: 3, Offset: 3})
		if n != 7 || titles(page2) != "Futuro vicino, Futuro lontano, Chiuso recente" {
			t.Fatalf("page 2: %s (%d)", titles(page2), n)
		}
		if _, n, _ := s.List(ctx, process.Filter{}); n != 8 {
			t.Fatalf("admin list counts drafts: %d", n)
		}
	})
}

func TestPhases(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d)
		p, err := s.Create(ctx, validProcess("Bilancio"))
		if err != nil {
			t.Fatal(err)
		}
		at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 9, 0, 0, 0, time.UTC) }
		add := func(title string, from, to time.Time) (process.Phase, error) {
			return s.AddPhase(ctx, p.ID, process.PhaseInput{Title: kernel.Text{"it": title}, StartsAt: from, EndsAt: to})
		}
		proposte, err := add("Proposte", at(10, 1), at(11, 1))
		if err != nil {
			t.Fatal(err)
		}
		voto, err := add("Voto", at(11, 1), at(12, 1))
		if err != nil {
			t.Fatal(err)
		}
		// Overlap, reversed, zero-length, missing title: rejected, nothing stored.
		_, err = add("Sovrapposta", at(10, 15), at(11, 15))
		if k := fieldKeys(t, err); k["starts_at"] != "process.phase.error.overlap" {
			t.Fatalf("overlap: %v", err)
		}
		ie, _ := kernel.AsInvalid(err)
		if ie.Fields[0].Args[1] != 1 {
			t.Fatalf("overlap names phase 1: %v", ie.Fields[0].Args)
		}
		_, err = add("Rovesciata", at(12, 20), at(12, 10))
		if k := fieldKeys(t, err); k["ends_at"] != "process.error.end_before_start_time" {
			t.Fatalf("reversed: %v", err)
		}
		_, err = add("Vuota", at(12, 20), at(12, 20))
		if k := fieldKeys(t, err); k["ends_at"] != "process.error.end_before_start_time" {
			t.Fatalf("zero length: %v", err)
		}
		_, err = add("", at(12, 20), at(12, 25))
		if k := fieldKeys(t, err); k["title_it"] != "process.phase.error.title_required" {
			t.Fatalf("no title: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM phases`); n != 2 {
			t.Fatalf("phases stored: %d", n)
		}
		// Editing a phase may keep its own dates (no overlap with itself).
		if _, err := s.UpdatePhase(ctx, p.ID, voto.ID, process.PhaseInput{Title: kernel.Text{"it": "Voto finale"}, StartsAt: at(11, 1), EndsAt: at(12, 1)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdatePhase(ctx, p.ID, voto.ID, process.PhaseInput{Title: kernel.Text{"it": "Voto"}, StartsAt: at(10, 20), EndsAt: at(12, 1)}); err == nil {
			t.Fatal("update into overlap accepted")
		}

		phases, _ := s.Phases(ctx, p.ID)
		cur, ok := process.CurrentPhase(p, phases, now)
		if !ok || cur.ID != voto.ID {
			t.Fatalf("current phase by dates: %+v %v", cur, ok)
		}
		if _, ok := process.CurrentPhase(p, phases, at(12, 5)); ok {
			t.Fatal("a current phase after every phase ended")
		}
		// Pinning overrides the dates; deleting the pinned phase unpins.
		if err := s.PinPhase(ctx, p.ID, proposte.ID); err != nil {
			t.Fatal(err)
		}
		p, _ = s.Get(ctx, p.ID)
		if cur, _ := process.CurrentPhase(p, phases, now); cur.ID != proposte.ID {
			t.Fatalf("pinned: %+v", cur)
		}
		other, _ := s.Create(ctx, validProcess("Altro"))
		if err := s.PinPhase(ctx, other.ID, proposte.ID); fieldKeys(t, err)["pinned_phase_id"] == "" {
			t.Fatalf("pinned a phase of another process: %v", err)
		}

		if err := s.MovePhase(ctx, p.ID, voto.ID, true); err != nil {
			t.Fatal(err)
		}
		phases, _ = s.Phases(ctx, p.ID)
		if phases[0].ID != voto.ID || phases[1].ID != proposte.ID {
			t.Fatalf("after move up: %v, %v", phases[0].Title, phases[1].Title)
		}
		if err := s.MovePhase(ctx, p.ID, voto.ID, true); err != nil {
			t.Fatal("moving the first phase up should do nothing:", err)
		}
		if err := s.DeletePhase(ctx, p.ID, proposte.ID); err != nil {
			t.Fatal(err)
		}
		p, _ = s.Get(ctx, p.ID)
		if p.PinnedPhaseID != 0 {
			t.Fatalf("pin survives deletion: %d", p.PinnedPhaseID)
		}
		if err := s.DeletePhase(ctx, other.ID, voto.ID); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("delete through another process: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'phase.%' OR action = 'process.pin_phase'`); n != 6 {
			t.Fatalf("audit entries: %d", n)
		}
	})
}

func fullSections(suffix string) process.Sections {
	s := process.Sections{}
	for _, k := range process.PactSectionKeys() {
		s[k] = kernel.Text{"it": "Testo della sezione " + k + suffix, "en": "Section " + k + suffix}
	}
	return s
}

func TestPact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clock := newService(t, d)
		p, err := s.Create(ctx, validProcess("Piano Aria e Clima"))
		if err != nil {
			t.Fatal(err)
		}
		draft, err := s.PactDraft(ctx, p.ID)
		if err != nil || len(draft.Sections) != 0 {
			t.Fatalf("empty draft: %+v %v", draft, err)
		}
		// Publishing needs every section in Italian; nothing is saved otherwise.
		incomplete := fullSections("")
		incomplete["rights"] = kernel.Text{"en": "Only English"}
		delete(incomplete, "results")
		_, err = s.PublishPact(ctx, p.ID, incomplete, nil)
		keys := fieldKeys(t, err)
		if keys["section_rights_it"] != "process.pact.error.required.rights" || keys["section_results_it"] != "process.pact.error.required.results" || len(keys) != 2 {
			t.Fatalf("required sections: %v", keys)
		}
		tooLong := fullSections("")
		tooLong["object"] = kernel.Text{"it": strings.Repeat("x", process.MaxSectionLen+1)}
		if _, err := s.PublishPact(ctx, p.ID, tooLong, nil); fieldKeys(t, err)["section_object_it"] != "process.error.too_long" {
			t.Fatalf("too long: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM pact_versions`) + count(t, d, `SELECT COUNT(*) FROM pact_drafts`); n != 0 {
			t.Fatalf("half-saved pact: %d rows", n)
		}
		// A draft may be incomplete.
		if err := s.SavePactDraft(ctx, p.ID, incomplete); err != nil {
			t.Fatal(err)
		}
		if draft, _ := s.PactDraft(ctx, p.ID); draft.Sections["rights"]["en"] != "Only English" {
			t.Fatalf("draft: %+v", draft.Sections)
		}

		v1, err := s.PublishPact(ctx, p.ID, fullSections(""), kernel.Text{"it": "Prima versione"})
		if err != nil || v1.Version != 1 {
			t.Fatalf("v1: %+v %v", v1, err)
		}
		clock.Advance(24 * time.Hour)
		v2, err := s.PublishPact(ctx, p.ID, fullSections(" rivista"), kernel.Text{"it": "Date aggiornate"})
		if err != nil || v2.Version != 2 {
			t.Fatalf("v2: %+v %v", v2, err)
		}
		got, err := s.PactVersion(ctx, p.ID, 1)
		if err != nil || got.Sections["object"]["it"] != "Testo della sezione object" || got.ChangeNote["it"] != "Prima versione" || !got.PublishedAt.Equal(now) {
			t.Fatalf("version 1 changed: %+v %v", got, err)
		}
		if _, err := s.PactVersion(ctx, p.ID, 3); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("version 3: %v", err)
		}

		// Concurrent publishes: each gets its own number, none is lost.
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for i := range 4 {
			wg.Go(func() {
				_, err := s.PublishPact(ctx, p.ID, fullSections(strings.Repeat("!", i)), nil)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal("concurrent publish:", err)
			}
		}
		versions, _ := s.PactVersions(ctx, p.ID)
		if len(versions) != 6 || versions[0].Version != 6 || versions[5].Version != 1 {
			t.Fatalf("versions: %d", len(versions))
		}
		if n := count(t, d, `SELECT COUNT(DISTINCT version) FROM pact_versions WHERE process_id = $1`, p.ID); n != 6 {
			t.Fatalf("distinct versions: %d", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'pact.publish'`); n != 6 {
			t.Fatalf("audit entries: %d", n)
		}
	})
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Piazze aperte nel Municipio 8":      "piazze-aperte-nel-municipio-8",
		"Piano Aria e Clima – consultazione": "piano-aria-e-clima-consultazione",
		"  Città più verde!  ":               "citta-piu-verde",
		"<script>":                           "script",
		"€€€":                                "",
	} {
		if got := process.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
	if got := process.Slugify(strings.Repeat("parola ", 40)); len(got) > process.MaxSlugLen || strings.HasSuffix(got, "-") {
		t.Errorf("long slug: %q", got)
	}
}
