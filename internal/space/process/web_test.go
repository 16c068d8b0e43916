package process_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/space/process"
)

// get fetches path, checks the status and that every message key used on
// the page exists (a missing key renders as "[key]").
func get(t *testing.T, c *apptest.Client, path string, status int) *apptest.Response {
	t.Helper()
	r := c.Get(path)
	if r.Status != status {
		t.Fatalf("GET %s: status %d, want %d\n%s", path, r.Status, status, apptest.Text(r.Body))
	}
	if i := strings.Index(r.Body, "[process."); i >= 0 {
		t.Fatalf("GET %s: missing message key near %q", path, r.Body[i:min(len(r.Body), i+80)])
	}
	return r
}

func post(t *testing.T, c *apptest.Client, path string, form url.Values, status int) *apptest.Response {
	t.Helper()
	r := c.Post(path, form)
	if r.Status != status {
		t.Fatalf("POST %s: status %d, want %d\n%s", path, r.Status, status, apptest.Text(r.Body))
	}
	if strings.Contains(r.Body, "[process.") {
		t.Fatalf("POST %s: missing message key in %s", path, apptest.Text(r.Body))
	}
	return r
}

func mustContain(t *testing.T, r *apptest.Response, texts ...string) {
	t.Helper()
	body := html.UnescapeString(apptest.Text(r.Body))
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q:\n%s", s, body)
		}
	}
}

// seed creates processes straight through the service, as an administrator would.
type seed struct {
	t   *testing.T
	svc *process.Service
	ctx context.Context
}

func newSeed(t *testing.T, h *apptest.Harness) seed {
	return seed{t: t, svc: h.App.Services.Processes, ctx: context.Background()}
}

func (s seed) process(slug, title string, from, to time.Time, published bool, territory int64) process.Process {
	s.t.Helper()
	p, err := s.svc.Create(s.ctx, process.ProcessInput{Slug: slug, Title: kernel.Text{"it": title, "en": title + " EN"}, StartsOn: from, EndsOn: to, Published: published, TerritoryID: territory})
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

func (s seed) territory(slug, name, kind string, parent int64) process.Territory {
	s.t.Helper()
	tr, err := s.svc.CreateTerritory(s.ctx, process.TerritoryInput{Name: kernel.Text{"it": name, "en": name + " EN"}, Slug: slug, Kind: kind, ParentID: parent})
	if err != nil {
		s.t.Fatal(err)
	}
	return tr
}

func TestPublicPages(t *testing.T) {
	h := apptest.New(t) // clock: 2026-11-23 10:00 UTC
	s := newSeed(t, h)
	milano := s.territory("milano", "Comune di Milano", process.KindComune, 0)
	m8 := s.territory("municipio-8", "Municipio 8", process.KindMunicipio, milano.ID)
	open := s.process("bilancio", "Bilancio partecipativo", day(2026, 10, 1), day(2027, 3, 31), true, milano.ID)
	s.process("piazze", "Piazze aperte", day(2027, 1, 10), day(2027, 6, 30), true, m8.ID)
	s.process("verde", "Verde di quartiere", day(2025, 1, 10), day(2025, 6, 30), true, m8.ID)
	draft := s.process("bozza", "Processo in bozza", day(2026, 10, 1), day(2027, 3, 31), false, 0)

	in := process.ProcessInput{Slug: "bilancio", Title: kernel.Text{"it": "Bilancio partecipativo <b>2026</b>"}, StartsOn: day(2026, 10, 1), EndsOn: day(2027, 3, 31), Published: true, TerritoryID: milano.ID,
		Description: kernel.Text{"it": "## Come funziona\n\nPresenta una **proposta**.<script>alert('x')</script><img src=x onerror=alert(1)>"}}
	if _, err := s.svc.Update(s.ctx, open.ID, in); err != nil {
		t.Fatal(err)
	}
	for _, ph := range []struct {
		title    string
		from, to time.Time
	}{
		{"Proposte", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{"Co-progettazione", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"Voto", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := s.svc.AddPhase(s.ctx, open.ID, process.PhaseInput{Title: kernel.Text{"it": ph.title}, StartsAt: ph.from, EndsAt: ph.to}); err != nil {
			t.Fatal(err)
		}
	}

	c := h.Client()
	home := get(t, c, "/", 200)
	body := apptest.Text(home.Body)
	iOpen, iUpcoming := strings.Index(body, "Bilancio partecipativo"), strings.Index(body, "Piazze aperte")
	if iOpen < 0 || iUpcoming < 0 || iOpen > iUpcoming {
		t.Fatalf("home: open process must come before upcoming: %s", body)
	}
	if strings.Contains(body, "Verde di quartiere") || strings.Contains(body, "Processo in bozza") {
		t.Fatalf("home shows closed or draft processes: %s", body)
	}
	if strings.Count(home.Body, "<h1") != 1 {
		t.Fatal("home: not exactly one h1")
	}

	list := get(t, c, "/processes", 200)
	mustContain(t, list, "3 processi trovati", "Bilancio partecipativo", "Piazze aperte", "Verde di quartiere", "Aperto", "In arrivo", "Concluso")
	if strings.Contains(list.Body, "Processo in bozza") {
		t.Fatal("list shows a draft")
	}
	closed := get(t, c, "/processes?status=closed", 200)
	mustContain(t, closed, "1 processo trovato", "Verde di quartiere")
	if strings.Contains(closed.Body, "Piazze aperte") {
		t.Fatal("status filter ignored")
	}
	if !strings.Contains(closed.Body, `<option value="closed" selected>`) {
		t.Fatal("the chosen status is not kept in the form")
	}
	inM8 := get(t, c, fmt.Sprintf("/processes?territory=%d&status=upcoming", m8.ID), 200)
	mustContain(t, inM8, "1 processo trovato", "Piazze aperte")
	// Edited URLs with garbage filters: ignored, not an error.
	get(t, c, "/processes?status=%3Cscript%3E&territory=abc&page=-3", 200)

	show := get(t, c, "/processes/bilancio", 200)
	mustContain(t, show, "Comune di Milano", "Fase 2: Co-progettazione Fase in corso", "Fase conclusa", "Fase futura", "Come funziona")
	if !strings.Contains(show.Body, `class="current" aria-current="step"`) {
		t.Fatal("current phase not marked with aria-current")
	}
	if strings.Contains(show.Body, "<script>alert") || strings.Contains(show.Body, "onerror") || strings.Contains(show.Body, "<b>2026</b>") {
		t.Fatal("hostile markup reached the page")
	}
	if !strings.Contains(show.Body, "&lt;b&gt;2026&lt;/b&gt;") || !strings.Contains(show.Body, "<strong>proposta</strong>") {
		t.Fatal("title not escaped or Markdown not rendered")
	}
	if strings.Count(show.Body, "<h1") != 1 {
		t.Fatal("process page: not exactly one h1")
	}
	mustContain(t, show, "Il Patto di partecipazione di questo processo non è ancora stato pubblicato.")

	// Drafts: 404 for the public and participants, visible to admins with a notice.
	get(t, c, "/processes/bozza", 404)
	get(t, h.Participant("giulia"), "/processes/bozza", 404)
	get(t, c, "/processes/bozza/pact", 404)
	admin := h.Admin()
	mustContain(t, get(t, admin, "/processes/bozza", 200), "Bozza: questo processo non è pubblicato")
	_ = draft

	// Unknown slugs: a 404 page in the reader's language.
	c.Lang = "en"
	nf := get(t, c, "/processes/no-such-process", 404)
	mustContain(t, nf, "Page not found")
	get(t, c, "/processes/%3Cscript%3E", 404)
	en := get(t, c, "/processes/bilancio", 200)
	mustContain(t, en, "Current phase", "Phase 2")
}

func TestListPagination(t *testing.T) {
	h := apptest.New(t)
	s := newSeed(t, h)
	for i := range 25 {
		s.process(fmt.Sprintf("processo-%02d", i), fmt.Sprintf("Processo numero %02d", i), day(2026, 1, 1).AddDate(0, 0, i), day(2027, 1, 1), true, 0)
	}
	c := h.Client()
	p1 := get(t, c, "/processes", 200)
	mustContain(t, p1, "25 processi trovati", "Pagina 1 di 2", "Pagina successiva")
	if strings.Count(p1.Body, `href="/processes/processo-`) != process.PageSize {
		t.Fatalf("page 1 shows %d processes", strings.Count(p1.Body, `href="/processes/processo-`))
	}
	p2 := get(t, c, "/processes?page=2", 200)
	mustContain(t, p2, "Pagina 2 di 2", "Pagina precedente")
	if strings.Count(p2.Body, `href="/processes/processo-`) != 5 {
		t.Fatal("page 2 does not hold the last 5")
	}
	get(t, c, "/processes?page=99", 200)
}

func TestAdminAccess(t *testing.T) {
	h := apptest.New(t)
	anon := h.Client()
	if r := anon.Get("/admin/processes"); r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("anonymous: %d %s", r.Status, r.Location)
	}
	user := h.Participant("marco")
	for _, path := range []string{"/admin", "/admin/processes", "/admin/processes/new", "/admin/territories"} {
		get(t, user, path, 403)
	}
	post(t, user, "/admin/processes", url.Values{"title_it": {"X"}}, 403)
	if n := h.Count(`SELECT COUNT(*) FROM processes`); n != 0 {
		t.Fatal("a participant created a process")
	}
	admin := h.Admin()
	mustContain(t, get(t, admin, "/admin", 200), "Processi partecipativi", "Territori")
}

func processForm(title string) url.Values {
	return url.Values{
		"title_it": {title}, "title_en": {"Open squares"},
		"subtitle_it": {"Sottotitolo"}, "description_it": {"Descrizione **in Markdown**"},
		"starts_on": {"2026-12-01"}, "ends_on": {"2027-03-31"}, "published": {"on"},
	}
}

func TestAdminProcessForm(t *testing.T) {
	h := apptest.New(t)
	admin := h.Admin()
	get(t, admin, "/admin/processes/new", 200)

	r := post(t, admin, "/admin/processes", processForm("Piazze aperte nel Municipio 8"), 303)
	p, err := h.App.Services.Processes.GetBySlug(context.Background(), "piazze-aperte-nel-municipio-8")
	if err != nil {
		t.Fatal("slug not derived from the title:", err)
	}
	if r.Location != fmt.Sprintf("/admin/processes/%d/phases", p.ID) {
		t.Fatalf("redirect: %s", r.Location)
	}
	mustContain(t, admin.Follow(r), "Processo creato")
	if !p.Published() || p.Title["en"] != "Open squares" {
		t.Fatalf("stored: %+v", p)
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'process.create' AND actor_id IS NOT NULL`); n != 1 {
		t.Fatalf("audit: %d", n)
	}

	bad := []struct {
		name    string
		edit    func(url.Values)
		message string
	}{
		{"empty italian title", func(v url.Values) { v.Set("title_it", "  ") }, "Scrivi il titolo in italiano"},
		{"title too long", func(v url.Values) { v.Set("title_it", strings.Repeat("a", 201)) }, "al massimo 200 caratteri"},
		{"subtitle too long", func(v url.Values) { v.Set("subtitle_it", strings.Repeat("a", 301)) }, "al massimo 300 caratteri"},
		{"description too long", func(v url.Values) { v.Set("description_it", strings.Repeat("a", 20001)) }, "al massimo 20.000 caratteri"},
		{"reversed dates", func(v url.Values) { v.Set("starts_on", "2027-04-01") }, "L'ultimo giorno non può precedere il primo"},
		{"malformed date", func(v url.Values) { v.Set("ends_on", "31/03/2027") }, "La data non è valida"},
		{"missing date", func(v url.Values) { v.Del("starts_on") }, "Indica la data"},
		{"duplicate slug", func(v url.Values) { v.Set("slug", "piazze-aperte-nel-municipio-8") }, "Questo indirizzo breve è già usato"},
		{"hostile slug", func(v url.Values) { v.Set("slug", "<script>") }, "Usa solo lettere minuscole"},
		{"unknown territory", func(v url.Values) { v.Set("territory_id", "9999") }, "Scegli un territorio dall'elenco"},
		{"malformed territory", func(v url.Values) { v.Set("territory_id", "'; DROP TABLE processes; --") }, "Scegli un valore dall'elenco"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			form := processForm("Un altro processo <em>ostile</em>")
			c.edit(form)
			r := post(t, admin, "/admin/processes", form, 422)
			mustContain(t, r, c.message, "errore")
			if !strings.Contains(r.Body, `id="error-summary"`) || !strings.Contains(r.Body, `aria-invalid="true"`) {
				t.Fatal("no error summary or field marked invalid")
			}
			// What was typed is kept, escaped.
			if !strings.Contains(r.Body, "Un altro processo &lt;em&gt;ostile&lt;/em&gt;") && c.name != "empty italian title" && c.name != "title too long" {
				t.Fatal("typed title not kept")
			}
			if n := h.Count(`SELECT COUNT(*) FROM processes`); n != 1 {
				t.Fatalf("processes stored: %d", n)
			}
		})
	}
	// Several errors at once, each on its field.
	form := processForm("")
	form.Set("ends_on", "nope")
	form.Set("starts_on", "")
	r = post(t, admin, "/admin/processes", form, 422)
	mustContain(t, r, "Ci sono 3 errori", "Scrivi il titolo in italiano", "La data non è valida", "Indica la data")

	// In English, the messages are in English.
	admin.Lang = "en"
	post(t, admin, "/lang", url.Values{"lang": {"en"}, "next": {"/"}}, 303)
	r = post(t, admin, "/admin/processes", processForm(""), 422)
	mustContain(t, r, "Write the title in Italian")
	post(t, admin, "/lang", url.Values{"lang": {"it"}, "next": {"/"}}, 303)

	// Edit: unpublish, change the slug; the old one is gone.
	edit := get(t, admin, fmt.Sprintf("/admin/processes/%d/edit", p.ID), 200)
	if !strings.Contains(edit.Body, `value="2026-12-01"`) || !strings.Contains(edit.Body, `value="2027-03-31"`) {
		t.Fatal("edit form does not show the stored dates")
	}
	form = processForm("Piazze aperte nel Municipio 8")
	form.Del("published")
	form.Set("slug", "piazze-aperte")
	post(t, admin, fmt.Sprintf("/admin/processes/%d", p.ID), form, 303)
	get(t, h.Client(), "/processes/piazze-aperte", 404) // now a draft
	mustContain(t, get(t, admin, "/processes/piazze-aperte", 200), "Bozza")
	get(t, admin, "/admin/processes/9999/edit", 404)
	get(t, admin, "/admin/processes/abc/edit", 404)
	mustContain(t, get(t, admin, "/admin/processes", 200), "Piazze aperte nel Municipio 8", "Bozza")
}

func TestAdminTerritories(t *testing.T) {
	h := apptest.New(t)
	admin := h.Admin()
	get(t, admin, "/admin/territories/new", 200)
	post(t, admin, "/admin/territories", url.Values{"name_it": {"Comune di Milano"}, "name_en": {"City of Milan"}, "slug": {"milano"}, "kind": {"comune"}}, 303)
	var milanoID int64
	if err := h.DB.R().QueryRow(`SELECT id FROM territories WHERE slug = 'milano'`).Scan(&milanoID); err != nil {
		t.Fatal(err)
	}
	post(t, admin, "/admin/territories", url.Values{"name_it": {"Municipio 1"}, "slug": {"municipio-1"}, "kind": {"municipio"}, "parent_id": {fmt.Sprint(milanoID)}}, 303)
	r := post(t, admin, "/admin/territories", url.Values{"name_it": {"<script>x</script>"}, "slug": {"milano"}, "kind": {"municipio"}}, 422)
	mustContain(t, r, "Questo indirizzo breve è già usato", "Scegli il Comune di cui fa parte il Municipio")
	if strings.Contains(r.Body, "<script>x</script>") {
		t.Fatal("typed markup echoed unescaped")
	}
	post(t, admin, "/admin/territories", url.Values{"name_it": {strings.Repeat("n", 101)}, "slug": {"x"}, "kind": {"regione"}}, 422)
	if n := h.Count(`SELECT COUNT(*) FROM territories`); n != 2 {
		t.Fatalf("territories: %d", n)
	}
	list := get(t, admin, "/admin/territories", 200)
	mustContain(t, list, "Comune di Milano", "Municipio 1", "Municipio")
	get(t, admin, fmt.Sprintf("/admin/territories/%d/edit", milanoID), 200)
	post(t, admin, fmt.Sprintf("/admin/territories/%d", milanoID), url.Values{"name_it": {"Milano"}, "slug": {"milano"}, "kind": {"comune"}}, 303)
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'territory.%'`); n != 3 {
		t.Fatalf("audit: %d", n)
	}
}

func TestAdminPhases(t *testing.T) {
	h := apptest.New(t)
	s := newSeed(t, h)
	p := s.process("bilancio", "Bilancio", day(2026, 10, 1), day(2027, 3, 31), true, 0)
	admin := h.Admin()
	base := fmt.Sprintf("/admin/processes/%d", p.ID)
	get(t, admin, base+"/phases", 200)
	add := func(title, from, to string, status int) *apptest.Response {
		return post(t, admin, base+"/phases", url.Values{"title_it": {title}, "starts_at": {from}, "ends_at": {to}}, status)
	}
	add("Proposte", "2026-10-01T00:00", "2026-11-01T00:00", 303)
	add("Voto", "2026-11-01T00:00", "2026-12-01T00:00", 303)
	mustContain(t, add("Sovrapposta", "2026-10-20T09:00", "2026-11-10T18:00", 422), "Le date si sovrappongono a quelle della fase 1")
	mustContain(t, add("Rovesciata", "2026-12-20T09:00", "2026-12-10T09:00", 422), "La fine deve essere successiva all'inizio")
	mustContain(t, add("", "2026-12-20T09:00", "2026-12-30T09:00", 422), "Scrivi il titolo della fase in italiano")
	mustContain(t, add("Data strana", "2026-13-45T09:00", "", 422), "La data non è valida", "Indica la data")
	mustContain(t, add("Lontanissima", "3026-01-01T09:00", "3026-02-01T09:00", 422), "compresa tra il 2000 e il 2099")
	if n := h.Count(`SELECT COUNT(*) FROM phases`); n != 2 {
		t.Fatalf("phases: %d", n)
	}
	phases, _ := s.svc.Phases(s.ctx, p.ID)

	page := get(t, admin, base+"/phases", 200)
	mustContain(t, page, "Proposte", "Voto Fase in corso", "Sposta prima «Voto»", "Segui le date delle fasi")
	// The pin select is a second form on the page: it needs its own label and hint.
	if !strings.Contains(page.Body, `<label for="f-pinned_phase_id" class="form-label">Fase in corso</label>`) ||
		!strings.Contains(page.Body, "Di norma la fase in corso") {
		t.Errorf("the current-phase select has no label or hint:\n%s", page.Body)
	}

	// Pin the first phase, then follow the dates again.
	post(t, admin, base+"/pin", url.Values{"pinned_phase_id": {fmt.Sprint(phases[0].ID)}}, 303)
	mustContain(t, get(t, h.Client(), "/processes/bilancio", 200), "Fase 1: Proposte Fase in corso")
	post(t, admin, base+"/pin", url.Values{"pinned_phase_id": {"424242"}}, 422)
	post(t, admin, base+"/pin", url.Values{"pinned_phase_id": {""}}, 303)
	mustContain(t, get(t, h.Client(), "/processes/bilancio", 200), "Fase 2: Voto Fase in corso")

	// Edit, move, delete.
	edit := get(t, admin, fmt.Sprintf("%s/phases/%d/edit", base, phases[1].ID), 200)
	if !strings.Contains(edit.Body, `value="2026-11-01T00:00"`) || phases[1].StartsAt != time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC) {
		t.Fatalf("times are typed and shown in Rome time: stored %v", phases[1].StartsAt)
	}
	post(t, admin, fmt.Sprintf("%s/phases/%d", base, phases[1].ID), url.Values{"title_it": {"Voto finale"}, "starts_at": {"2026-10-15T00:00"}, "ends_at": {"2026-12-01T00:00"}}, 422)
	post(t, admin, fmt.Sprintf("%s/phases/%d", base, phases[1].ID), url.Values{"title_it": {"Voto finale"}, "starts_at": {"2026-11-01T00:00"}, "ends_at": {"2026-12-01T00:00"}}, 303)
	post(t, admin, fmt.Sprintf("%s/phases/%d/move", base, phases[1].ID), url.Values{"direction": {"up"}}, 303)
	got, _ := s.svc.Phases(s.ctx, p.ID)
	if got[0].ID != phases[1].ID || got[0].Title["it"] != "Voto finale" {
		t.Fatalf("after move: %+v", got[0])
	}
	post(t, admin, fmt.Sprintf("%s/phases/%d/move", base, phases[1].ID), url.Values{"direction": {"sideways"}}, 422)
	post(t, admin, fmt.Sprintf("%s/phases/%d/delete", base, phases[0].ID), nil, 303)
	if n := h.Count(`SELECT COUNT(*) FROM phases`); n != 1 {
		t.Fatalf("after delete: %d", n)
	}
	post(t, admin, fmt.Sprintf("%s/phases/%d/delete", base, phases[0].ID), nil, 404)
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE space_type = 'process' AND space_id = $1`, p.ID); n != 8 {
		t.Fatalf("audit entries: %d", n)
	}
}

func pactForm(suffix string) url.Values {
	v := url.Values{}
	for _, k := range process.PactSectionKeys() {
		v.Set("section_"+k+"_it", "Testo della sezione "+k+".\nSeconda riga"+suffix)
		v.Set("section_"+k+"_en", "Section "+k+".\nSecond line"+suffix)
	}
	return v
}

func TestPactEditorAndPublicPact(t *testing.T) {
	h := apptest.New(t)
	s := newSeed(t, h)
	p := s.process("aria", "Piano Aria e Clima", day(2026, 10, 1), day(2027, 3, 31), true, 0)
	adminUser := h.CreateUser("staff@prova.it", "staff_prova", true)
	admin := h.Client().LoginAs(adminUser)
	base := fmt.Sprintf("/admin/processes/%d/pact", p.ID)
	mustContain(t, get(t, admin, base, 200), "Il Patto non è ancora stato pubblicato", "Oggetto (italiano)", "Uso dei risultati (inglese)")

	// Publishing with missing sections: a message on each, nothing saved.
	form := pactForm("")
	form.Set("section_rights_it", " ")
	form.Del("section_results_it")
	form.Set("section_object_en", strings.Repeat("x", 20001))
	form.Set("action", "publish")
	r := post(t, admin, base, form, 422)
	mustContain(t, r, "Ci sono 3 errori", "Scrivi la sezione «Diritti e doveri» in italiano", "Scrivi la sezione «Uso dei risultati» in italiano", "al massimo 20.000 caratteri")
	if !strings.Contains(r.Body, "Testo della sezione object.") {
		t.Fatal("typed sections not kept")
	}
	if n := h.Count(`SELECT COUNT(*) FROM pact_versions`) + h.Count(`SELECT COUNT(*) FROM pact_drafts`); n != 0 {
		t.Fatalf("half-saved: %d", n)
	}
	post(t, admin, base, url.Values{"action": {"delete-everything"}}, 422)

	// A draft may be incomplete; it is kept for the next visit.
	form.Set("action", "save")
	form.Set("section_object_en", "Object")
	form.Set("section_methods_it", "<script>alert(1)</script> Bozza **grassetto**")
	post(t, admin, base, form, 303)
	editor := get(t, admin, base, 200)
	mustContain(t, editor, "Ultimo salvataggio della bozza")
	if !strings.Contains(editor.Body, "&lt;script&gt;alert(1)&lt;/script&gt; Bozza") {
		t.Fatal("draft not kept as typed, escaped")
	}
	if n := h.Count(`SELECT COUNT(*) FROM pact_versions`); n != 0 {
		t.Fatal("saving a draft published it")
	}

	form = pactForm("")
	form.Set("action", "publish")
	form.Set("change_note_it", "Prima versione")
	post(t, admin, base, form, 303)
	h.Clock.Advance(48 * time.Hour)
	admin = h.Client().LoginAs(adminUser) // the session expired meanwhile
	form = pactForm("")
	form.Set("section_participants_it", "Testo della sezione participants.\nPossono partecipare anche i city user.\nSeconda riga")
	form.Set("section_results_it", "Testo nuovo dei risultati.")
	form.Set("action", "publish")
	form.Set("change_note_it", "Ammessi i city user")
	post(t, admin, base, form, 303)

	c := h.Client()
	mustContain(t, get(t, c, "/processes/aria", 200), "versione 2, pubblicata: 25 novembre 2026", "Leggi il Patto di partecipazione")
	pact := get(t, c, "/processes/aria/pact", 200)
	mustContain(t, pact, "Versione 2 · data di pubblicazione: 25 novembre 2026", "Chi può partecipare", "city user", "Versione 1", "Prima versione", "Ammessi i city user")
	if strings.Count(pact.Body, "<h1") != 1 || !strings.Contains(pact.Body, "<caption>") {
		t.Fatal("pact page: h1 or table caption")
	}

	v2 := get(t, c, "/processes/aria/pact/versions/2", 200)
	mustContain(t, v2, "Confronto tra la versione 1 e la versione 2", "Sono cambiate 2 sezioni",
		"Sezione modificata: righe aggiunte 1, righe rimosse 0", "Sezione modificata: righe aggiunte 1, righe rimosse 2", "Sezione invariata",
		"Aggiunto: Possono partecipare anche i city user.", "Rimosso: Testo della sezione results.")
	if !strings.Contains(v2.Body, "<ins>") || !strings.Contains(v2.Body, "<del>") {
		t.Fatal("diff lacks ins/del")
	}
	v1 := get(t, c, "/processes/aria/pact/versions/1", 200)
	mustContain(t, v1, "È la prima versione del Patto", "Questa non è la versione in vigore")
	for _, bad := range []string{"3", "0", "-1", "abc", "99999999999999999999"} {
		get(t, c, "/processes/aria/pact/versions/"+bad, 404)
	}
	// In English the diff is of the English text.
	c.Lang = "en"
	mustContain(t, get(t, c, "/processes/aria/pact/versions/2", 200), "What changed", "Section unchanged.")

	// Versions are immutable: republishing adds a third, never rewrites.
	post(t, admin, base, url.Values{"action": {"publish"}}, 422)
	if n := h.Count(`SELECT COUNT(*) FROM pact_versions`); n != 2 {
		t.Fatalf("versions: %d", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('pact.publish', 'pact.save_draft')`); n != 3 {
		t.Fatalf("audit: %d", n)
	}
}

// A page number from an edited URL, however large, shows an empty page
// rather than overflowing into a negative OFFSET (which PostgreSQL refuses).
func TestListHugePageNumber(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := apptest.NewWithDB(t, d)
		s := newSeed(t, h)
		s.process("unico", "Processo unico", day(2026, 1, 1), day(2027, 1, 1), true, 0)
		c := h.Client()
		for _, p := range []string{"9223372036854775807", "461168601842738791", "99999999999999999999", "1000001"} {
			if r := get(t, c, "/processes?page="+p, 200); strings.Contains(r.Body, `href="/processes/unico"`) {
				t.Errorf("page %s shows the first page's process", p)
			}
		}
		// Unreadable numbers are the first page.
		for _, p := range []string{"-3", "0", "abc"} {
			if r := get(t, c, "/processes?page="+p, 200); !strings.Contains(r.Body, `href="/processes/unico"`) {
				t.Errorf("page %s is not the first page", p)
			}
		}
	})
}
