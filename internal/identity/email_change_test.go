package identity_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
)

func TestEmailChange(t *testing.T) {
	h := apptest.New(t)
	h.CreateUser("occupato@example.it", "occupato", false)
	c := h.Participant("paola")
	paola := mustUser(t, h, "paola")

	mustContain(t, c.Get("/account"), 200, "Cambia indirizzo email", `name="new_email"`, `name="email_password"`)

	nothingChanged := func(step string) {
		t.Helper()
		if h.Count(`SELECT COUNT(*) FROM users WHERE id = $1 AND email = 'paola@prova.it'`, paola.ID) != 1 {
			t.Fatalf("%s: the address changed", step)
		}
		if n := h.Count(`SELECT COUNT(*) FROM user_tokens WHERE purpose = 'email_change'`); n != 0 {
			t.Fatalf("%s: %d email change links stored", step, n)
		}
		if n := h.Count(`SELECT COUNT(*) FROM outbox`); n != 0 {
			t.Fatalf("%s: %d mails queued", step, n)
		}
	}
	for _, tc := range []struct {
		email, password string
		texts           []string
	}{
		{"", "", []string{"Inserisci il tuo indirizzo email", "Inserisci la password"}},
		{"non-un-indirizzo", "correct-horse-battery", []string{"Inserisci un indirizzo email valido", `value="non-un-indirizzo"`}},
		{"<script>alert(1)</script>@x.it", "correct-horse-battery", []string{"Inserisci un indirizzo email valido"}},
		{strings.Repeat("a", 250) + "@x.it", "correct-horse-battery", []string{"L'indirizzo email è troppo lungo"}},
		{" PAOLA@prova.it ", "correct-horse-battery", []string{"È già il tuo indirizzo"}},
		{"Occupato@example.it", "correct-horse-battery", []string{"Esiste già un account con questo indirizzo email"}},
		{"paola.nuova@example.it", "sbagliata!!", []string{"La password non è corretta", `value="paola.nuova@example.it"`}},
	} {
		r := c.Post("/account/email", url.Values{"new_email": {tc.email}, "email_password": {tc.password}})
		mustContain(t, r, 422, tc.texts...)
		if strings.Contains(r.Body, "<script>alert") {
			t.Fatal("markup echoed unescaped")
		}
		if strings.Contains(r.Body, "sbagliata!!") {
			t.Fatal("the typed password is echoed back")
		}
		nothingChanged(tc.email)
	}

	// A valid request: nothing changes yet; a link goes to the new address
	// and a notice to the current one.
	r := c.Post("/account/email", url.Values{"new_email": {"Paola.Nuova@example.it"}, "email_password": {"correct-horse-battery"}})
	if r.Status != 303 || r.Location != "/account" {
		t.Fatalf("request: %d %s", r.Status, apptest.Text(r.Body))
	}
	mustContain(t, c.Follow(r), 200, "Ti abbiamo mandato un link al nuovo indirizzo", "paola@prova.it")
	if h.Count(`SELECT COUNT(*) FROM users WHERE id = $1 AND email = 'paola@prova.it'`, paola.ID) != 1 {
		t.Fatal("the address changed before the link was followed")
	}
	subject, body := h.LastMail("paola@prova.it")
	if subject != "[Comune di Prova] Richiesta di cambio dell'indirizzo email" || !strings.Contains(body, "Paola.Nuova@example.it") || strings.Contains(body, "token=") {
		t.Fatalf("notice: %q %q", subject, body)
	}
	link := mailLink(t, h, "Paola.Nuova@example.it", "/account/email/confirm")

	// The link works once, from any browser.
	mustContain(t, h.Client().Get(link), 200, "Indirizzo email cambiato", "Paola.Nuova@example.it")
	if h.Count(`SELECT COUNT(*) FROM users WHERE id = $1 AND email = 'Paola.Nuova@example.it' AND email_key = 'paola.nuova@example.it' AND email_confirmed_at IS NOT NULL`, paola.ID) != 1 {
		t.Fatal("address not changed")
	}
	mustContain(t, h.Client().Get(link), 410, "già stato usato")
	mustContain(t, h.Client().Get("/account/email/confirm?token=inventato"), 404, "non è valido")
	if r := h.Client().Post("/login", url.Values{"email": {"paola.nuova@example.it"}, "password": {"correct-horse-battery"}}); r.Status != 303 {
		t.Fatalf("login with the new address: %d", r.Status)
	}
	if r := h.Client().Post("/login", url.Values{"email": {"paola@prova.it"}, "password": {"correct-horse-battery"}}); r.Status == 303 {
		t.Fatal("the old address still signs in")
	}

	// Another account takes the address before the link is followed: a
	// clear message, and the address stays as it was.
	h.Clock.Advance(16 * time.Minute) // past the password-check window
	if r := c.Post("/account/email", url.Values{"new_email": {"conteso@example.it"}, "email_password": {"correct-horse-battery"}}); r.Status != 303 {
		t.Fatalf("request: %d %s", r.Status, apptest.Text(r.Body))
	}
	link = mailLink(t, h, "conteso@example.it", "/account/email/confirm")
	h.CreateUser("conteso@example.it", "lesto", false)
	mustContain(t, h.Client().Get(link), 409, "Nel frattempo questo indirizzo è stato usato per un altro account", "Il tuo indirizzo non è cambiato")
	if h.Count(`SELECT COUNT(*) FROM users WHERE id = $1 AND email = 'Paola.Nuova@example.it'`, paola.ID) != 1 {
		t.Fatal("address changed to a taken one")
	}

	// The link lasts 24 hours; only the newest one works.
	if r := c.Post("/account/email", url.Values{"new_email": {"tardi@example.it"}, "email_password": {"correct-horse-battery"}}); r.Status != 303 {
		t.Fatalf("request: %d", r.Status)
	}
	late := mailLink(t, h, "tardi@example.it", "/account/email/confirm")
	if r := c.Post("/account/email", url.Values{"new_email": {"ultimo@example.it"}, "email_password": {"correct-horse-battery"}}); r.Status != 303 {
		t.Fatalf("request: %d", r.Status)
	}
	mustContain(t, h.Client().Get(late), 404, "non è valido")
	last := mailLink(t, h, "ultimo@example.it", "/account/email/confirm")
	h.Clock.Advance(24*time.Hour + time.Minute)
	mustContain(t, h.Client().Get(last), 410, "è scaduto")
	if h.Count(`SELECT COUNT(*) FROM users WHERE id = $1 AND email = 'Paola.Nuova@example.it'`, paola.ID) != 1 {
		t.Fatal("an unusable link changed the address")
	}

	// Anonymous visitors cannot ask.
	if r := h.Client().Post("/account/email", url.Values{"new_email": {"x@example.it"}}); r.Status != 401 {
		t.Fatalf("anonymous: %d", r.Status)
	}
}

func TestEmailChangePasswordRateLimit(t *testing.T) {
	h := apptest.New(t)
	c := h.Participant("marco")
	for i := 0; i < 10; i++ {
		mustContain(t, c.Post("/account/email", url.Values{"new_email": {"marco2@example.it"}, "email_password": {"tentativo-sbagliato"}}), 422, "La password non è corretta")
	}
	mustContain(t, c.Post("/account/email", url.Values{"new_email": {"marco2@example.it"}, "email_password": {"correct-horse-battery"}}), 429, "troppe volte")
	if n := h.Count(`SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("mails after rate limit: %d", n)
	}
}

// An account made through SPID has no password: it changes the address with
// the link alone.
func TestEmailChangeWithoutPassword(t *testing.T) {
	h := apptest.New(t)
	c := h.Participant("spiddina")
	u := mustUser(t, h, "spiddina")
	if _, err := h.DB.W().Exec(`UPDATE users SET password_hash = NULL WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	r := c.Get("/account")
	mustContain(t, r, 200, `name="new_email"`)
	if strings.Contains(r.Body, `name="email_password"`) {
		t.Fatal("password asked of an account without one")
	}
	if r := c.Post("/account/email", url.Values{"new_email": {"spid.nuovo@example.it"}}); r.Status != 303 {
		t.Fatalf("request: %d %s", r.Status, apptest.Text(r.Body))
	}
	if h.Count(`SELECT COUNT(*) FROM users WHERE id = $1 AND email = 'spiddina@prova.it'`, u.ID) != 1 {
		t.Fatal("changed without the link")
	}
	mustContain(t, h.Client().Get(mailLink(t, h, "spid.nuovo@example.it", "/account/email/confirm")), 200, "spid.nuovo@example.it")
	if h.Count(`SELECT COUNT(*) FROM users WHERE id = $1 AND email = 'spid.nuovo@example.it'`, u.ID) != 1 {
		t.Fatal("not changed")
	}
}
