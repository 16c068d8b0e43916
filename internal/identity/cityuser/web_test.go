package cityuser_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
)

func TestCityUserPages(t *testing.T) {
	h := apptest.New(t)
	// Anonymous visitors are sent to sign in; participants cannot see the queue.
	if r := h.Client().Get("/account/city-user"); r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("anonymous: %d %s", r.Status, r.Location)
	}
	if r := h.Client().Get("/admin/city-users"); r.Status != 303 {
		t.Fatalf("anonymous queue: %d", r.Status)
	}
	p := h.Participant("pendolare")
	if r := p.Get("/admin/city-users"); r.Status != 403 {
		t.Fatalf("participant queue: %d", r.Status)
	}

	r := p.Get("/account/city-user")
	if r.Status != 200 || !strings.Contains(r.Body, `name="details"`) || !strings.Contains(apptest.Text(r.Body), "Partecipa come city user") {
		t.Fatalf("form: %d %s", r.Status, apptest.Text(r.Body))
	}

	// Empty and hostile submissions: 422, every message, what was typed kept, nothing stored.
	r = p.Post("/account/city-user", url.Values{"reason": {""}, "details": {""}})
	if r.Status != 422 || !strings.Contains(r.Body, "Scegli il motivo per cui frequenti la città") || !strings.Contains(r.Body, "Descrivi dove lavori, studi o vivi in città") || !strings.Contains(r.Body, `aria-invalid="true"`) {
		t.Fatalf("empty: %d %s", r.Status, apptest.Text(r.Body))
	}
	long := strings.Repeat("a", 1001)
	r = p.Post("/account/city-user", url.Values{"reason": {"work"}, "details": {long}, "territory": {"abc"}})
	if r.Status != 422 || !strings.Contains(r.Body, "al massimo 1.000 caratteri") || !strings.Contains(r.Body, "Scegli un territorio dall&#39;elenco") || !strings.Contains(r.Body, long) {
		t.Fatalf("too long: %d %s", r.Status, apptest.Text(r.Body))
	}
	r = p.PostRaw("/account/city-user", "application/x-www-form-urlencoded", strings.NewReader("reason=work&details=%ff%fe"))
	if r.Status != 422 {
		t.Fatalf("non-UTF-8: %d", r.Status)
	}
	if n := h.Count(`SELECT COUNT(*) FROM city_user_requests`); n != 0 {
		t.Fatalf("stored %d", n)
	}

	hostile := `<script>alert(1)</script> Lavoro in via Padova`
	r = p.Post("/account/city-user", url.Values{"reason": {"work"}, "details": {hostile}, "territory": {""}})
	if r.Status != 303 || r.Location != "/account/city-user" {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	r = p.Follow(r)
	if !strings.Contains(r.Body, "Richiesta inviata") || !strings.Contains(r.Body, "in attesa di essere esaminata") || strings.Contains(r.Body, `name="details"`) {
		t.Fatalf("after submit: %s", apptest.Text(r.Body))
	}
	r = p.Post("/account/city-user", url.Values{"reason": {"study"}, "details": {"Studio"}})
	if r.Status != 422 || !strings.Contains(r.Body, "Hai già una richiesta in attesa") {
		t.Fatalf("second request: %d", r.Status)
	}

	admin := h.Admin()
	r = admin.Get("/admin/city-users")
	if r.Status != 200 || !strings.Contains(r.Body, "pendolare") || !strings.Contains(r.Body, "1 richiesta in attesa") {
		t.Fatalf("queue: %d %s", r.Status, apptest.Text(r.Body))
	}
	var id string
	if i := strings.Index(r.Body, `/admin/city-users/`); i >= 0 {
		id = strings.SplitN(r.Body[i+len("/admin/city-users/"):], `"`, 2)[0]
	}
	r = admin.Get("/admin/city-users/" + id)
	if r.Status != 200 || strings.Contains(r.Body, "<script>alert(1)") || !strings.Contains(r.Body, "&lt;script&gt;") {
		t.Fatalf("review: %d, hostile text not escaped", r.Status)
	}
	r = admin.Post("/admin/city-users/"+id, url.Values{"decision": {"reject"}, "decision_reason": {""}})
	if r.Status != 422 || !strings.Contains(r.Body, "Scrivi il motivo del rifiuto") {
		t.Fatalf("reject without reason: %d", r.Status)
	}
	r = admin.Post("/admin/city-users/"+id, url.Values{"decision": {"maybe"}})
	if r.Status != 422 {
		t.Fatalf("bad decision: %d", r.Status)
	}
	if n := h.Count(`SELECT COUNT(*) FROM city_user_requests WHERE status = 'pending'`); n != 1 {
		t.Fatalf("decided by bad input")
	}
	r = admin.Post("/admin/city-users/"+id, url.Values{"decision": {"approve"}})
	if r.Status != 303 || r.Location != "/admin/city-users" {
		t.Fatalf("approve: %d", r.Status)
	}
	if r = admin.Follow(r); !strings.Contains(r.Body, "Richiesta approvata") || !strings.Contains(r.Body, "Non ci sono richieste in attesa") {
		t.Fatalf("after approve: %s", apptest.Text(r.Body))
	}
	if subject, _ := h.LastMail("pendolare@prova.it"); !strings.Contains(subject, "approvata") {
		t.Fatalf("mail: %s", subject)
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'cityuser.approve'`); n != 1 {
		t.Fatalf("audit %d", n)
	}
	r = p.Get("/account/city-user")
	if !strings.Contains(apptest.Text(r.Body), "Sei un city user approvato per tutto il Comune fino al 23 novembre 2027") || !strings.Contains(r.Body, `name="details"`) {
		t.Fatalf("approved page: %s", apptest.Text(r.Body))
	}
	if r = admin.Get("/admin/city-users/99999"); r.Status != 404 {
		t.Fatalf("unknown request: %d", r.Status)
	}
}
