package consultation_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
)

func expect(t *testing.T, r *apptest.Response, status int, contains ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, apptest.Text(r.Body))
	}
	text := html.UnescapeString(apptest.Text(r.Body))
	for _, s := range contains {
		if !strings.Contains(text, s) && !strings.Contains(r.Body, s) {
			t.Fatalf("page lacks %q: %s", s, text)
		}
	}
}

func redirected(t *testing.T, r *apptest.Response) string {
	t.Helper()
	if r.Status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303: %s", r.Status, apptest.Text(r.Body))
	}
	return r.Location
}

const webDoc = `# Piano Aria e Clima

## Art. 1 – Mobilità sostenibile | Sustainable mobility

1. Il Comune estende l'area a basse emissioni a tutto il territorio comunale.

2. Il trasporto pubblico diventa interamente elettrico entro il 2030.

## Art. 2 – Riscaldamento | Heating

1. Dal 2027 non si installano nuove caldaie a gasolio.
`

type site struct {
	h      *apptest.Harness
	admin  *apptest.Client
	pid    int64
	phase  int64
	cid    int64
	base   string // public URL
	manage string // admin URL
	paras  []int64
}

// newSite has an administrator create, fill and publish a consultation
// through the admin pages, with observe/support/comment open now.
func newSite(t *testing.T) *site {
	t.Helper()
	return newSiteWith(t, apptest.New(t))
}

// newSiteWith is newSite on the platform h.
func newSiteWith(t *testing.T, h *apptest.Harness) *site {
	t.Helper()
	pid, ph := authztest.CreateProcess(t, h.DB, "aria", true,
		authztest.Phase{Title: "Osservazioni", Start: t0.Add(-time.Hour), End: t0.Add(48 * time.Hour)},
		authztest.Phase{Title: "Controdeduzioni", Start: t0.Add(48 * time.Hour), End: t0.Add(30 * 24 * time.Hour)})
	s := &site{h: h, admin: h.Admin(), pid: pid, phase: ph[0]}
	comps := fmt.Sprintf("/admin/processes/%d/components", pid)
	loc := redirected(t, s.admin.Post(comps, url.Values{"type": {"consultation"}, "name_it": {"Piano Aria e Clima"}, "name_en": {"Air and Climate Plan"}}))
	if err := h.DB.R().QueryRow(`SELECT id FROM components WHERE type = 'consultation'`).Scan(&s.cid); err != nil {
		t.Fatal(err)
	}
	s.manage = fmt.Sprintf("%s/%d/manage", comps, s.cid)
	if loc != s.manage {
		t.Fatalf("after create: %s, want the consultation's admin page", loc)
	}
	expect(t, s.admin.Get(s.manage), 200, "Gestione della consultazione", "Nessun documento importato")
	redirected(t, s.admin.Post(s.manage+"/document", url.Values{"document": {webDoc}, "note": {"Testo adottato dalla Giunta"}}))
	redirected(t, s.admin.Post(fmt.Sprintf("%s/%d/actions", comps, s.cid), url.Values{"open": {
		fmt.Sprintf("%d:observe", ph[0]), fmt.Sprintf("%d:support", ph[0]), fmt.Sprintf("%d:comment", ph[0])}}))
	redirected(t, s.admin.Post(fmt.Sprintf("%s/%d/publish", comps, s.cid), nil))
	s.base = fmt.Sprintf("/processes/aria/c/%d", s.cid)
	rows, err := h.DB.R().Query(`SELECT id FROM consultation_paragraphs WHERE component_id = $1 ORDER BY position`, s.cid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		s.paras = append(s.paras, id)
	}
	return s
}

func (s *site) observeURL(i int) string {
	return fmt.Sprintf("%s/paragraphs/%d/observe", s.base, s.paras[i])
}

func (s *site) userID(t *testing.T, nick string) int64 {
	t.Helper()
	var id int64
	if err := s.h.DB.R().QueryRow(`SELECT id FROM users WHERE nickname = $1`, nick).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

var protocolRe = regexp.MustCompile(`OSS-2026-\d{6}`)

// TestConsultationJourney: a resident files an observation with proposed
// wording, another supports and comments it, an evaluator drafts the reply,
// the administration publishes it, the author is told and the report lists it.
func TestConsultationJourney(t *testing.T) {
	s := newSite(t)
	h := s.h
	anon := h.Client()
	doc := anon.Get(s.base)
	expect(t, doc, 200, "Piano Aria e Clima", "Art. 1 – Mobilità sostenibile", "Art. 1, comma 2", "Nessuna osservazione",
		"Fai un'osservazione su questo comma", fmt.Sprintf(`id="p-%d"`, s.paras[1]), "Indice del documento")
	if strings.Count(doc.Body, "<h1") != 1 {
		t.Fatal("document page: not exactly one h1")
	}
	anon.Lang = "en"
	expect(t, anon.Get(s.base), 200, "Air and Climate Plan", "Art. 1 – Sustainable mobility", "Art. 1, paragraph 2", "Make an observation on this paragraph")
	// Anonymous visitors are sent to sign in.
	if r := anon.Get(s.observeURL(1)); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("anonymous observe form: %d %s", r.Status, r.Location)
	}

	giulia := h.Participant("giulia")
	form := giulia.Get(s.observeURL(1))
	expect(t, form, 200, "Osservazione su Art. 1, comma 2", "Tipo di osservazione", `maxlength="5000"`, "interamente elettrico entro il 2030")
	r := giulia.Post(s.observeURL(1), url.Values{"kind": {"modify"}, "body": {"Anticipare al 2028: l'aria di Milano non può aspettare."},
		"proposed": {"Il trasporto pubblico diventa interamente elettrico entro il 2028."}})
	obsURL := redirected(t, r)
	page := giulia.Follow(r)
	expect(t, page, 200, "Osservazione presentata", "OSS-2026-000001", "giulia", "Modifica", "<ins>", "<del>", "inizio testo aggiunto", "Puoi modificarla")
	subject, body := h.LastMail("giulia@prova.it")
	if !strings.Contains(subject, "OSS-2026-000001") || !strings.Contains(body, "Art. 1, comma 2") || !strings.Contains(body, obsURL) {
		t.Fatalf("receipt: %s\n%s", subject, body)
	}
	var oid int64
	fmt.Sscanf(obsURL[strings.LastIndex(obsURL, "/")+1:], "%d", &oid)

	// The author edits while nobody has supported it: versions are kept.
	redirected(t, giulia.Post(obsURL+"/edit", url.Values{"kind": {"modify"}, "body": {"Anticipare al 2028, come Parigi."},
		"proposed": {"Il trasporto pubblico diventa interamente elettrico entro il 2028."}}))
	expect(t, giulia.Get(obsURL), 200, "2 versioni", "come Parigi", "Anticipare al 2028: l&#39;aria")

	// The document shows the count beside the paragraph, linked to its list.
	expect(t, h.Client().Get(s.base), 200, "1 osservazione su questo comma", fmt.Sprintf("observations?paragraph=%d", s.paras[1]))
	expect(t, h.Client().Get(fmt.Sprintf("%s/observations?paragraph=%d", s.base, s.paras[1])), 200,
		"Osservazioni su Art. 1, comma 2", "OSS-2026-000001", "Torna al comma nel documento", fmt.Sprintf("#p-%d", s.paras[1]))

	// Another participant supports and comments; then the author may no longer edit.
	marco := h.Participant("marco")
	expect(t, marco.Get(obsURL), 200, "Sostieni questa osservazione", "Segnala ai moderatori")
	redirected(t, marco.Post(obsURL+"/support", nil))
	redirected(t, marco.Post(obsURL+"/support", nil))
	expect(t, marco.Get(obsURL), 200, "1 sostegno", "Ritira il tuo sostegno")
	redirected(t, marco.Post(obsURL+"/unsupport", nil))
	expect(t, marco.Get(obsURL), 200, "0 sostegni", "Sostieni questa osservazione")
	redirected(t, marco.Post(obsURL+"/support", nil))
	redirected(t, marco.Post("/comments", url.Values{"ref_type": {"observation"}, "ref_id": {fmt.Sprint(oid)}, "body": {"Sono d'accordo, @giulia."}}))
	expect(t, giulia.Get(obsURL), 200, "1 commento", "fa parte degli atti")
	expect(t, giulia.Post(obsURL+"/edit", url.Values{"kind": {"general"}, "body": {"cambio"}}), 422, "non si può più modificare")
	expect(t, giulia.Post(obsURL+"/withdraw", nil), 422, "non si può più modificare")
	expect(t, giulia.Post(obsURL+"/support", nil), 422, "Non puoi sostenere una tua osservazione")

	// The evaluator drafts; the draft stays private.
	paolo := h.Participant("paolo")
	authztest.Grant(t, h.DB, s.pid, s.userID(t, "paolo"), authz.RoleEvaluator)
	expect(t, marco.Get(s.base+"/evaluate"), 403)
	expect(t, paolo.Get(s.base+"/evaluate"), 200, "Da rispondere (1)", "OSS-2026-000001")
	replyURL := fmt.Sprintf("%s/evaluate/%d", s.base, oid)
	expect(t, paolo.Post(replyURL, url.Values{"outcome": {"bogus"}, "body": {" "}, "office": {""}}), 422,
		"Scegli l'esito", "Scrivi la motivazione", "Indica l'ufficio responsabile")
	redirected(t, paolo.Post(replyURL, url.Values{"outcome": {"partly_accepted"}, "body": {"Il 2028 non è sostenibile per il bilancio; si anticipa al 2029."},
		"office": {"Direzione Mobilità"}}))
	if strings.Contains(h.Client().Get(obsURL).Body, "anticipa al 2029") || strings.Contains(marco.Get(obsURL).Body, "anticipa al 2029") {
		t.Fatal("draft visible to the public")
	}
	expect(t, paolo.Get(obsURL), 200, "Bozza non pubblicata", "anticipa al 2029")
	expect(t, marco.Get(s.manage+"/publish"), 403)

	// The administration publishes all drafts together.
	expect(t, s.admin.Get(s.manage+"/publish"), 200, "1 risposta pronta")
	expect(t, s.admin.Post(s.manage+"/publish", url.Values{"decided_on": {"2026-13-40"}}), 422, "Indica una data valida")
	if n := h.Count(`SELECT COUNT(*) FROM consultation_replies WHERE published_at IS NOT NULL`); n != 0 {
		t.Fatal("refused publication published something")
	}
	redirected(t, s.admin.Post(s.manage+"/publish", url.Values{"decided_on": {"2026-11-22"}, "note": {"Delibera del Consiglio comunale n. 12"}}))
	subject, body = h.LastMail("giulia@prova.it")
	if !strings.Contains(subject, "Piano Aria e Clima") || !strings.Contains(body, "OSS-2026-000001 — Parzialmente accolta") {
		t.Fatalf("reply mail: %s\n%s", subject, body)
	}
	if n := h.Count(`SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = 'consultation.reply'`, s.userID(t, "giulia")); n != 1 {
		t.Fatalf("in-app notices: %d", n)
	}
	expect(t, h.Client().Get(obsURL), 200, "Risposta ufficiale", "Parzialmente accolta", "anticipa al 2029", "Direzione Mobilità")
	expect(t, h.Client().Get(s.base), 200, "Esito delle osservazioni", "Parzialmente accolta: 1", "Delibera del Consiglio comunale n. 12")
	expect(t, h.Client().Get(s.base+"/observations?outcome=partly_accepted"), 200, "1 osservazione", "OSS-2026-000001")
	expect(t, h.Client().Get(s.base+"/observations?status=filed"), 200, "Nessuna osservazione")

	// The report, printable and as CSV; open data without emails.
	rep := h.Client().Get(s.base + "/report")
	expect(t, rep, 200, "Relazione sulla consultazione", "OSS-2026-000001", "Art. 1, comma 2", "come Parigi", "Parzialmente accolta", "Direzione Mobilità", "report.css")
	if strings.Contains(rep.Body, "<script") {
		t.Fatal("report has scripts")
	}
	expect(t, h.Client().Get(s.base+"/report.css"), 200, "@media print")
	csvr := h.Client().Get(s.base + "/report.csv")
	expect(t, csvr, 200, "Protocollo", "OSS-2026-000001", "Parzialmente accolta")
	for _, f := range []string{"consultation_paragraphs", "consultation_observations", "consultation_comments", "consultation_replies"} {
		for _, ext := range []string{"csv", "json"} {
			r := h.Client().Get(s.base + "/opendata/" + f + "." + ext)
			expect(t, r, 200)
			if strings.Contains(r.Body, "@prova.it") {
				t.Fatalf("%s.%s leaks an email", f, ext)
			}
			if ext == "json" {
				var rows []map[string]any
				if err := json.Unmarshal([]byte(r.Body), &rows); err != nil || len(rows) == 0 {
					t.Fatalf("%s.json: %v %s", f, err, r.Body)
				}
			}
		}
	}
	if b := h.Client().Get(s.base + "/opendata/consultation_comments.json").Body; !strings.Contains(b, `"author":"marco"`) {
		t.Fatalf("comments export: %s", b)
	}
	expect(t, h.Client().Get(s.base+"/opendata/users.json"), 404)
	expect(t, h.Client().Get(s.base+"/opendata/consultation_observations.xml"), 404)
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'consultation.%'`); n < 5 {
		t.Fatalf("audit rows: %d", n)
	}
}

// Every refusal is shown with its reason, keeps what was typed, and stores nothing.
func TestObservationRefusals(t *testing.T) {
	s := newSite(t)
	h := s.h
	giulia := h.Participant("giulia")
	post := func(c *apptest.Client, v url.Values) *apptest.Response { return c.Post(s.observeURL(0), v) }
	stored := func() int { return h.Count(`SELECT COUNT(*) FROM consultation_observations`) }

	for _, c := range []struct {
		name string
		form url.Values
		msg  string
	}{
		{"empty", url.Values{"kind": {"general"}, "body": {""}}, "Scrivi la tua osservazione"},
		{"whitespace", url.Values{"kind": {"general"}, "body": {" \n\t "}}, "Scrivi la tua osservazione"},
		{"too long in runes", url.Values{"kind": {"general"}, "body": {strings.Repeat("è", 5001)}}, "al massimo 5.000 caratteri (ne hai scritti 5.001)"},
		{"100 KB", url.Values{"kind": {"general"}, "body": {strings.Repeat("a", 100<<10)}}, "al massimo 5.000 caratteri"},
		{"bad kind", url.Values{"kind": {"'; DROP TABLE users; --"}, "body": {"testo"}}, "Scegli il tipo di osservazione"},
		{"wording on a deletion", url.Values{"kind": {"delete"}, "body": {"Togliere."}, "proposed": {"Altro testo"}}, "solo con una modifica"},
	} {
		r := post(giulia, c.form)
		expect(t, r, 422, c.msg, "errore")
		if b := c.form.Get("body"); len(b) < 200 && strings.TrimSpace(b) != "" && !strings.Contains(r.Body, b) {
			t.Fatalf("%s: typed text lost", c.name)
		}
	}
	if n := stored(); n != 0 {
		t.Fatalf("refused input stored %d observations", n)
	}
	// Non-UTF-8 bytes are refused before anything is read.
	r := giulia.PostRaw(s.observeURL(0), "application/x-www-form-urlencoded", strings.NewReader("kind=general&body=%ff%fe"))
	expect(t, r, 422)
	if stored() != 0 {
		t.Fatal("non-UTF-8 stored")
	}

	// Markup and SQL are stored as typed and escaped on output.
	hostile := `<script>alert(1)</script><img src=x onerror=alert(2)> Robert'); DROP TABLE consultation_observations;--`
	loc := redirected(t, post(giulia, url.Values{"kind": {"general"}, "body": {hostile}}))
	page := h.Client().Get(loc)
	expect(t, page, 200, "&lt;script&gt;alert(1)&lt;/script&gt;")
	if strings.Contains(page.Body, "<script>alert") || strings.Contains(page.Body, "<img src=x") {
		t.Fatal("markup rendered")
	}
	var bodyStored string
	h.DB.R().QueryRow(`SELECT body FROM consultation_observations`).Scan(&bodyStored)
	if bodyStored != hostile {
		t.Fatalf("stored %q", bodyStored)
	}
	// The same text again within a minute.
	expect(t, post(giulia, url.Values{"kind": {"general"}, "body": {hostile}}), 422, "stesso testo")
	h.Clock.Advance(2 * time.Minute)
	// Rate limit: 5 per 10 minutes (one used above).
	for i := 0; i < 4; i++ {
		redirected(t, post(giulia, url.Values{"kind": {"general"}, "body": {fmt.Sprintf("Osservazione %d", i)}}))
	}
	expect(t, post(giulia, url.Values{"kind": {"general"}, "body": {"Una di troppo"}}), 422, "molte osservazioni in poco tempo", "Una di troppo")
	if n := stored(); n != 5 {
		t.Fatalf("stored %d, want 5", n)
	}

	// Outside the phase window, in both languages.
	h.Clock.Advance(72 * time.Hour)
	marco := h.Participant("marco")
	expect(t, marco.Get(s.observeURL(0)), 403, "non è aperta")
	expect(t, post(marco, url.Values{"kind": {"general"}, "body": {"Troppo tardi"}}), 422, "non è aperta", "Troppo tardi")
	redirected(t, marco.Post("/lang", url.Values{"lang": {"en"}, "next": {"/"}}))
	expect(t, post(marco, url.Values{"kind": {"general"}, "body": {"Too late"}}), 422, "not open")
	expect(t, h.Client().Get(s.base), 200, "In questa fase non si possono presentare osservazioni")
	if strings.Contains(h.Client().Get(s.base).Body, "Fai un&#39;osservazione su questo comma") {
		t.Fatal("observe links shown while closed")
	}
	if n := stored(); n != 5 {
		t.Fatalf("closed phase stored: %d", n)
	}
	// Unknown or foreign paragraphs.
	expect(t, marco.Get(fmt.Sprintf("%s/paragraphs/999999/observe", s.base)), 404)
	expect(t, marco.Get(fmt.Sprintf("%s/paragraphs/abc/observe", s.base)), 404)
	expect(t, marco.Get(s.base+"/observations/999999"), 404)
}

func TestIneligibleParticipant(t *testing.T) {
	s := newSite(t)
	h := s.h
	id := authztest.CreateUser(t, h.DB, authztest.User{Nickname: "ospite", Unconfirmed: true})
	u, err := h.App.Services.Identity.UserByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	c := h.Client().LoginAs(u)
	r := c.Post(s.observeURL(0), url.Values{"kind": {"general"}, "body": {"Vorrei dire la mia."}})
	if r.Status != 422 || strings.Contains(apptest.Text(r.Body), "[") {
		t.Fatalf("ineligible: %d %s", r.Status, apptest.Text(r.Body))
	}
	if h.Count(`SELECT COUNT(*) FROM consultation_observations`) != 0 {
		t.Fatal("ineligible filing stored")
	}
}

// Withdrawal keeps the protocol number; reports hide an observation behind
// a placeholder with the reason.
func TestWithdrawAndModeration(t *testing.T) {
	s := newSite(t)
	h := s.h
	giulia := h.Participant("giulia")
	first := redirected(t, giulia.Post(s.observeURL(0), url.Values{"kind": {"general"}, "body": {"Da ritirare."}}))
	redirected(t, giulia.Post(first+"/withdraw", nil))
	expect(t, h.Client().Get(first), 200, "Ritirata", "Il numero di protocollo resta registrato")
	if strings.Contains(h.Client().Get(first).Body, "Da ritirare.") {
		t.Fatal("withdrawn text still public")
	}
	expect(t, h.Client().Get(s.base+"/observations?status=withdrawn"), 200, "OSS-2026-000001")
	second := redirected(t, giulia.Post(s.observeURL(1), url.Values{"kind": {"general"}, "body": {"Compra i miei pannelli solari!!!"}}))
	expect(t, h.Client().Get(second), 200, "OSS-2026-000002")
	var oid int64
	fmt.Sscanf(second[strings.LastIndex(second, "/")+1:], "%d", &oid)
	for _, nick := range []string{"a_uno", "b_due", "c_tre"} {
		c := h.Participant(nick)
		expect(t, c.Get(fmt.Sprintf("/moderation/report?type=observation&id=%d", oid)), 200, "OSS-2026-000002")
		redirected(t, c.Post("/moderation/report", url.Values{"type": {"observation"}, "id": {fmt.Sprint(oid)}, "reason": {"spam"}}))
	}
	page := h.Client().Get(second)
	expect(t, page, 200, "spam")
	if strings.Contains(page.Body, "pannelli solari") {
		t.Fatal("hidden observation still shown")
	}
	if strings.Contains(h.Client().Get(s.base+"/observations").Body, "pannelli solari") {
		t.Fatal("hidden observation in the list")
	}
	expect(t, giulia.Get(second), 200, "nascosta dai moderatori")
}

// A second import replaces the document; observations stay on their paragraph.
func TestReimportFromAdmin(t *testing.T) {
	s := newSite(t)
	h := s.h
	giulia := h.Participant("giulia")
	loc := redirected(t, giulia.Post(s.observeURL(0), url.Values{"kind": {"general"}, "body": {"Serve più coraggio."}}))
	expect(t, s.admin.Get(s.manage+"/document"), 200, "sostituirà la versione 1")
	expect(t, s.admin.Post(s.manage+"/document", url.Values{"document": {"## Art. 1\n\n1. a\n\n1. b"}}), 422, "Riga 5: il comma 1 compare già")
	expect(t, s.admin.Post(s.manage+"/document", url.Values{"document": {"   "}}), 422, "Incolla il testo del documento")
	redirected(t, s.admin.Post(s.manage+"/document", url.Values{"document": {"## Art. 2 – Riscaldamento\n\n1. Dal 2026 non si installano nuove caldaie a gasolio."}}))
	expect(t, s.admin.Get(s.manage), 200, "Versione 2")
	doc := h.Client().Get(s.base)
	if strings.Contains(doc.Body, "Mobilità sostenibile") || !strings.Contains(doc.Body, "Dal 2026") {
		t.Fatal("document not replaced")
	}
	expect(t, h.Client().Get(loc), 200, "Serve più coraggio", "area a basse emissioni")
	expect(t, h.Client().Get(s.observeURL(0)), 303)
	expect(t, giulia.Get(s.observeURL(0)), 404)

	// Settings and attachments, with their refusals.
	expect(t, s.admin.Post(s.manage+"/settings", url.Values{"prefix": {"p!"}, "max_length": {"10"}}), 422, "Il prefisso deve", "Indica un numero tra 100 e 20.000")
	redirected(t, s.admin.Post(s.manage+"/settings", url.Values{"prefix": {"PAC"}, "max_length": {"300"}, "label_rejected_it": {"Non accolta"}}))
	expect(t, s.admin.Post(s.manage+"/attachments", url.Values{"att_title_it": {"Piano"}, "att_url": {"javascript:alert(1)"}}), 422, "Indica un indirizzo")
	redirected(t, s.admin.Post(s.manage+"/attachments", url.Values{"att_title_it": {"Piano completo (PDF)"}, "att_url": {"https://www.comune.milano.it/pac.pdf"}}))
	expect(t, h.Client().Get(s.base), 200, "Piano completo (PDF)", "https://www.comune.milano.it/pac.pdf")
	var attID int64
	h.DB.R().QueryRow(`SELECT id FROM consultation_attachments`).Scan(&attID)
	expect(t, giulia.Post(fmt.Sprintf("%s/attachments/%d/delete", s.manage, attID), nil), 403)
	redirected(t, s.admin.Post(fmt.Sprintf("%s/attachments/%d/delete", s.manage, attID), nil))
	if h.Count(`SELECT COUNT(*) FROM consultation_attachments`) != 0 {
		t.Fatal("attachment not deleted")
	}
	h.Clock.Advance(2 * time.Minute)
	r := giulia.Post(fmt.Sprintf("%s/paragraphs/%d/observe", s.base, s.paras[2]), url.Values{"kind": {"general"}, "body": {strings.Repeat("x", 301)}})
	expect(t, r, 422, "al massimo 300 caratteri")
	loc = redirected(t, giulia.Post(fmt.Sprintf("%s/paragraphs/%d/observe", s.base, s.paras[2]), url.Values{"kind": {"general"}, "body": {"Bene."}}))
	expect(t, h.Client().Get(loc), 200, "PAC-2026-000002")
	expect(t, h.Client().Get(s.base), 200)
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('consultation.import', 'consultation.settings', 'consultation.attachment.add', 'consultation.attachment.delete')`); n != 5 {
		t.Fatalf("audit rows: %d", n)
	}
}

// TestHostilePageNumbers: a page number too big for an offset, or below 1,
// shows a page (the last or the first) on both engines — on PostgreSQL an
// overflowing offset used to be a negative OFFSET and a 500.
func TestHostilePageNumbers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSiteWith(t, apptest.NewWithDB(t, d))
		giulia := s.h.Participant("giulia")
		redirected(t, giulia.Post(s.observeURL(0), url.Values{"kind": {"general"}, "body": {"Serve più verde."}}))
		// Each shows the one page there is.
		for _, page := range []string{"99999999999999999999", "9223372036854775807", "368934881474191035", "1000001", "2", "0", "-3", "abc"} {
			expect(t, s.admin.Get(s.base+"/evaluate?page="+page), 200, "Da rispondere (1)", "OSS-2026-000001")
			expect(t, giulia.Get(s.base+"/observations?page="+page), 200, "OSS-2026-000001")
		}
	})
}

// TestSupportRateLimit: supports given and withdrawn count against one
// limit per participant; beyond it the participant is told why, with a
// 429, and nothing changes until the window passes.
func TestSupportRateLimit(t *testing.T) {
	s := newSite(t)
	h := s.h
	giulia := h.Participant("giulia")
	obsURL := redirected(t, giulia.Post(s.observeURL(0), url.Values{"kind": {"general"}, "body": {"Serve più verde."}}))
	marco := h.Participant("marco")
	// The default limit: 30 per 10 minutes.
	for i := 0; i < 30; i++ {
		action := "/support"
		if i%2 == 1 {
			action = "/unsupport"
		}
		redirected(t, marco.Post(obsURL+action, nil))
	}
	supports := func() int {
		return h.Count(`SELECT COUNT(*) FROM consultation_supports`) + 10*h.Count(`SELECT COALESCE(SUM(supports_count), 0) FROM consultation_observations`)
	}
	if n := supports(); n != 0 {
		t.Fatalf("after 15 supports and 15 withdrawals: %d", n)
	}
	r := marco.Post(obsURL+"/support", nil)
	expect(t, r, http.StatusTooManyRequests, "Hai dato o ritirato molti sostegni in poco tempo")
	if n := supports(); n != 0 {
		t.Fatalf("a refused support was stored: %d", n)
	}
	// Others are not held back, and after the window marco may support again.
	redirected(t, h.Participant("luca").Post(obsURL+"/support", nil))
	h.Clock.Advance(10 * time.Minute)
	redirected(t, marco.Post(obsURL+"/support", nil))
	if n := h.Count(`SELECT supports_count FROM consultation_observations`); n != 2 {
		t.Fatalf("supports after the window: %d", n)
	}
}
