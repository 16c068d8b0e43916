package identity_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/identity"
)

const goodPassword = "una frase lunga e sicura"

func registration(email, nick string) url.Values {
	return url.Values{
		"email": {email}, "nickname": {nick}, "password": {goodPassword}, "password_confirm": {goodPassword},
		"locale": {"it"}, "privacy": {"on"},
	}
}

var linkRe = regexp.MustCompile(`https?://\S+`)

// mailLink returns the path and query of the first link in the newest mail
// to address, checking that it points at the platform's base URL.
func mailLink(t *testing.T, h *apptest.Harness, to, path string) string {
	t.Helper()
	_, body := h.LastMail(to)
	for _, link := range linkRe.FindAllString(body, -1) {
		if strings.HasPrefix(link, h.App.Cfg.BaseURL+path+"?token=") {
			return strings.TrimPrefix(link, h.App.Cfg.BaseURL)
		}
	}
	t.Fatalf("mail to %s has no %s link: %q", to, path, body)
	return ""
}

func mustContain(t *testing.T, r *apptest.Response, status int, texts ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, apptest.Text(r.Body))
	}
	for _, s := range texts {
		if !strings.Contains(html.UnescapeString(apptest.Text(r.Body)), s) && !strings.Contains(r.Body, s) {
			t.Fatalf("page lacks %q: %s", s, apptest.Text(r.Body))
		}
	}
}

func sessionCookie(r *apptest.Response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "arengo_session" {
			return c
		}
	}
	return nil
}

func TestRegisterConfirmLoginLogout(t *testing.T) {
	h := apptest.New(t)
	c := h.Client()

	page := c.Get("/register")
	mustContain(t, page, 200, "Registrati", `autocomplete="email"`, `autocomplete="nickname"`, `autocomplete="new-password"`,
		`href="/privacy"`, `href="/login"`, "informativa sulla privacy")

	r := c.Post("/register", registration("Anna.Rossi@Example.it", "anna_r"))
	if r.Status != http.StatusSeeOther || r.Location != "/register/sent" {
		t.Fatalf("register: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	mustContain(t, c.Follow(r), 200, "Controlla la tua email")
	if n := h.Count(`SELECT COUNT(*) FROM users WHERE email = 'Anna.Rossi@Example.it' AND email_confirmed_at IS NULL AND nickname = 'anna_r'`); n != 1 {
		t.Fatalf("unconfirmed users: %d", n)
	}

	subject, body := h.LastMail("Anna.Rossi@Example.it")
	if subject != "[Comune di Prova] Conferma il tuo indirizzo email" || !strings.Contains(body, "Ciao anna_r") || !strings.Contains(body, "Comune di Prova") {
		t.Fatalf("confirmation mail: %q\n%s", subject, body)
	}
	link := mailLink(t, h, "Anna.Rossi@Example.it", "/confirm")
	token, _ := url.ParseQuery(strings.SplitN(link, "?", 2)[1])
	if h.Count(`SELECT COUNT(*) FROM user_tokens WHERE token_hash = $1 AND purpose = 'confirm'`, identity.HashToken(token.Get("token"))) != 1 ||
		h.Count(`SELECT COUNT(*) FROM user_tokens WHERE token_hash = $1`, token.Get("token")) != 0 {
		t.Fatal("the token must be stored hashed, never raw")
	}

	// Before confirming: the right password gets an explanation and a way
	// to have the link sent again, not a session.
	r = c.Post("/login", url.Values{"email": {"anna.rossi@example.it"}, "password": {goodPassword}})
	mustContain(t, r, 422, "Non hai ancora confermato", `action="/confirm/resend"`)
	if sessionCookie(r) != nil {
		t.Fatal("unconfirmed account got a session")
	}

	mustContain(t, c.Get(link), 200, "Email confermata", "anna_r")
	// Opening the link again (or a mail scanner having opened it first) is fine.
	mustContain(t, c.Get(link), 200, "Email confermata")
	if h.Count(`SELECT COUNT(*) FROM users WHERE email_confirmed_at IS NOT NULL`) != 1 {
		t.Fatal("not confirmed")
	}

	// Unknown email and wrong password: the same answer.
	wrong := c.Post("/login", url.Values{"email": {"anna.rossi@example.it"}, "password": {"sbagliata-davvero"}})
	unknown := c.Post("/login", url.Values{"email": {"nessuno@example.it"}, "password": {goodPassword}})
	mustContain(t, wrong, 422, "Email o password non corretti")
	mustContain(t, unknown, 422, "Email o password non corretti")
	if strings.Contains(wrong.Body, goodPassword) || strings.Contains(wrong.Body, "sbagliata-davvero") {
		t.Fatal("password echoed back")
	}
	// Empty fields: a message on each.
	mustContain(t, c.Post("/login", url.Values{}), 422, "Inserisci il tuo indirizzo email", "Inserisci la password")

	// A session planted before sign-in does not survive it.
	planted := h.Client().LoginAs(h.CreateUser("altro@example.it", "altro", false))
	base, _ := url.Parse(h.Srv.URL)
	c.HTTP.Jar.SetCookies(base, planted.HTTP.Jar.Cookies(base))

	r = c.Post("/login", url.Values{"email": {"ANNA.ROSSI@example.it"}, "password": {goodPassword}, "next": {"/account"}})
	if r.Status != http.StatusSeeOther || r.Location != "/account" {
		t.Fatalf("login: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	sc := sessionCookie(r)
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.MaxAge <= 0 {
		t.Fatalf("session cookie: %+v", sc)
	}
	if h.Count(`SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.nickname = 'altro'`) != 0 {
		t.Fatal("the previous session token was not rotated away")
	}
	mustContain(t, c.Follow(r), 200, "Il mio profilo", "anna_r", "Hai effettuato l'accesso")

	// next never leaves the site.
	c2 := h.Client()
	if r := c2.Post("/login", url.Values{"email": {"anna.rossi@example.it"}, "password": {goodPassword}, "next": {"//evil.example/"}}); r.Location != "/" {
		t.Fatalf("open redirect through next: %q", r.Location)
	}

	r = c.Post("/logout", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("logout: %d %q", r.Status, r.Location)
	}
	if h.Count(`SELECT COUNT(*) FROM sessions WHERE token_hash = $1`, identity.HashToken(sc.Value)) != 0 {
		t.Fatal("logout left the session")
	}
	r = c.Get("/account")
	if r.Status != http.StatusSeeOther || r.Location != "/login?next=/account" {
		t.Fatalf("after logout /account: %d %q", r.Status, r.Location)
	}
	mustContain(t, c.Get("/login?next=/account"), 200, `name="next" value="/account"`, `href="/password/forgot"`, `href="/register"`, `autocomplete="username"`, `autocomplete="current-password"`)
}

func TestRegisterInEnglishSendsEnglishMail(t *testing.T) {
	h := apptest.New(t)
	c := h.Client()
	c.Lang = "en"
	mustContain(t, c.Get("/register"), 200, "Register", "privacy notice")
	f := registration("john@example.org", "john_s")
	f.Set("locale", "en")
	if r := c.Post("/register", f); r.Status != http.StatusSeeOther {
		t.Fatalf("register: %d %s", r.Status, apptest.Text(r.Body))
	}
	subject, body := h.LastMail("john@example.org")
	if subject != "[Comune di Prova] Confirm your email address" || !strings.Contains(body, "Hello john_s") {
		t.Fatalf("mail not in English: %q %s", subject, body)
	}
	// Italian browser, English participant: the mail follows the participant.
	c2 := h.Client()
	f = registration("maria@example.org", "maria_en")
	f.Set("locale", "en")
	c2.Post("/register", f)
	if s, _ := h.LastMail("maria@example.org"); !strings.Contains(s, "Confirm your email") {
		t.Fatalf("mail language: %q", s)
	}
}

func TestRegisterRejectsBadInput(t *testing.T) {
	h := apptest.New(t)
	h.CreateUser("preso@example.it", "nick_preso", false)
	users := h.Count(`SELECT COUNT(*) FROM users`)
	c := h.Client()

	tenKB := strings.Repeat("a", 10<<10)
	cases := []struct {
		name   string
		edit   func(url.Values)
		want   []string
		absent []string
	}{
		{"empty", func(v url.Values) {
			for k := range v {
				v.Del(k)
			}
		}, []string{"Inserisci il tuo indirizzo email", "Scegli un nickname", "Scegli una password", "dichiarare di aver letto"}, nil},
		{"malformed email", func(v url.Values) { v.Set("email", "non-una-email") }, []string{"Inserisci un indirizzo email valido", `value="non-una-email"`}, nil},
		{"SQL in email", func(v url.Values) { v.Set("email", "' OR 1=1 --") }, []string{"Inserisci un indirizzo email valido"}, nil},
		{"duplicate email, other case", func(v url.Values) { v.Set("email", "PRESO@example.it") }, []string{"Esiste già un account con questo indirizzo email"}, nil},
		{"duplicate nickname, other case", func(v url.Values) { v.Set("nickname", "Nick_Preso") }, []string{"Questo nickname è già usato"}, nil},
		{"both taken", func(v url.Values) { v.Set("email", "preso@example.it"); v.Set("nickname", "nick_preso") },
			[]string{"Esiste già un account", "Questo nickname è già usato", "Ci sono 2 errori"}, nil},
		{"short password", func(v url.Values) { v.Set("password", "corta"); v.Set("password_confirm", "corta") }, []string{"almeno 10 caratteri"}, nil},
		{"common password", func(v url.Values) { v.Set("password", "password123"); v.Set("password_confirm", "password123") }, []string{"troppo comune"}, nil},
		{"password with nickname", func(v url.Values) {
			v.Set("password", "nuovo_utente2026")
			v.Set("password_confirm", "nuovo_utente2026")
		}, []string{"non deve contenere il tuo nickname"}, nil},
		{"mismatch", func(v url.Values) { v.Set("password_confirm", goodPassword+"!") }, []string{"Le due password non coincidono"}, nil},
		{"no privacy", func(v url.Values) { v.Del("privacy") }, []string{"dichiarare di aver letto l'informativa"}, nil},
		{"markup nickname", func(v url.Values) { v.Set("nickname", "<script>alert(1)</script>") },
			[]string{"Il nickname non può contenere i caratteri", "&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>alert(1)"}},
		{"10 KB nickname", func(v url.Values) { v.Set("nickname", tenKB) }, []string{"al massimo 30 caratteri"}, nil},
		{"reserved nickname", func(v url.Values) { v.Set("nickname", "Amministratore") }, []string{"Questo nickname è riservato"}, nil},
		{"spaces in nickname", func(v url.Values) { v.Set("nickname", "anna rossi") }, []string{"solo lettere, numeri"}, nil},
		{"unknown language", func(v url.Values) { v.Set("locale", "xx") }, []string{"Lingua non supportata"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := registration("nuovo@example.it", "nuovo_utente")
			tc.edit(f)
			r := c.Post("/register", f)
			mustContain(t, r, http.StatusUnprocessableEntity, tc.want...)
			mustContain(t, r, http.StatusUnprocessableEntity, `id="error-summary"`)
			for _, s := range tc.absent {
				if strings.Contains(r.Body, s) {
					t.Fatalf("page contains %q", s)
				}
			}
			if p := f.Get("password"); p != "" && strings.Contains(r.Body, `value="`+p+`"`) {
				t.Fatal("password echoed back")
			}
			if n := h.Count(`SELECT COUNT(*) FROM users`); n != users {
				t.Fatalf("users: %d, want %d", n, users)
			}
			if n := h.Count(`SELECT COUNT(*) FROM outbox`) + h.Count(`SELECT COUNT(*) FROM user_tokens`); n != 0 {
				t.Fatalf("mails/tokens stored: %d", n)
			}
		})
	}

	// What was typed is kept (except passwords).
	f := registration("tenuto@example.it", "tenuto_qui")
	f.Set("password_confirm", "diversa-da-prima")
	r := c.Post("/register", f)
	mustContain(t, r, 422, `value="tenuto@example.it"`, `value="tenuto_qui"`)

	t.Run("non-UTF-8 body", func(t *testing.T) {
		r := c.PostRaw("/register", "application/x-www-form-urlencoded",
			strings.NewReader("email=a%40example.it&nickname=ab%FFcd&password=una+frase+lunga+e+sicura&password_confirm=una+frase+lunga+e+sicura&locale=it&privacy=on"))
		if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
			t.Fatalf("status %d", r.Status)
		}
		if n := h.Count(`SELECT COUNT(*) FROM users`); n != users {
			t.Fatalf("users: %d", n)
		}
	})

	// Quotes are data, not SQL: a valid address with an apostrophe is stored as typed.
	h.Clock.Advance(time.Hour) // a new rate-limit window
	if r := c.Post("/register", registration("o'brien@example.ie", "obrien")); r.Status != http.StatusSeeOther {
		t.Fatalf("o'brien: %d %s", r.Status, apptest.Text(r.Body))
	}
	if h.Count(`SELECT COUNT(*) FROM users WHERE email = $1`, "o'brien@example.ie") != 1 {
		t.Fatal("apostrophe address not stored as typed")
	}
}

func TestRegisterRateLimitPerIP(t *testing.T) {
	h := apptest.New(t)
	c := h.Client()
	for i := range 20 {
		if r := c.Post("/register", url.Values{}); r.Status != 422 {
			t.Fatalf("attempt %d: %d", i+1, r.Status)
		}
	}
	r := c.Post("/register", registration("tardi@example.it", "tardi"))
	mustContain(t, r, http.StatusTooManyRequests, "troppe registrazioni", "60 minuti")
	if h.Count(`SELECT COUNT(*) FROM users`) != 0 {
		t.Fatal("registered over the limit")
	}
	h.Clock.Advance(time.Hour)
	if r := c.Post("/register", registration("tardi@example.it", "tardi")); r.Status != http.StatusSeeOther {
		t.Fatalf("after an hour: %d", r.Status)
	}
}

func TestConcurrentRegistrationCreatesOneAccount(t *testing.T) {
	h := apptest.New(t)
	run := func(forms []url.Values) []int {
		statuses := make([]int, len(forms))
		var wg sync.WaitGroup
		for i, f := range forms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = h.Client().Post("/register", f).Status
			}()
		}
		wg.Wait()
		return statuses
	}
	count := func(statuses []int, s int) (n int) {
		for _, x := range statuses {
			if x == s {
				n++
			}
		}
		return n
	}

	var sameEmail, sameNick []url.Values
	for i := range 4 {
		sameEmail = append(sameEmail, registration("gara@example.it", "gara_"+string(rune('a'+i))))
		sameNick = append(sameNick, registration("corsa"+string(rune('a'+i))+"@example.it", "corsa"))
	}
	st := run(sameEmail)
	if count(st, 303) != 1 || count(st, 422) != 3 {
		t.Fatalf("same email: %v", st)
	}
	if n := h.Count(`SELECT COUNT(*) FROM users WHERE email_key = 'gara@example.it'`); n != 1 {
		t.Fatalf("same email: %d accounts", n)
	}
	st = run(sameNick)
	if count(st, 303) != 1 || count(st, 422) != 3 {
		t.Fatalf("same nickname: %v", st)
	}
	if n := h.Count(`SELECT COUNT(*) FROM users WHERE nickname_key = 'corsa'`); n != 1 {
		t.Fatalf("same nickname: %d accounts", n)
	}
	// One confirmation mail per account, none for the losers.
	if n := h.Count(`SELECT COUNT(*) FROM outbox`); n != 2 {
		t.Fatalf("mails: %d", n)
	}
}

func TestConfirmationLinkProblemsAndResend(t *testing.T) {
	h := apptest.New(t)
	c := h.Client()
	c.Post("/register", registration("lenta@example.it", "lenta"))
	link := mailLink(t, h, "lenta@example.it", "/confirm")

	mustContain(t, c.Get("/confirm?token=inventato"), 404, "Il link di conferma non funziona", "non è valido", `action="/confirm/resend"`)
	mustContain(t, c.Get("/confirm"), 404, "non è valido")

	h.Clock.Advance(49 * time.Hour)
	mustContain(t, c.Get(link), 410, "è scaduto", `action="/confirm/resend"`)
	if h.Count(`SELECT COUNT(*) FROM users WHERE email_confirmed_at IS NOT NULL`) != 0 {
		t.Fatal("confirmed through an expired link")
	}

	// The answer never tells whether an address is registered.
	unknown := c.Post("/confirm/resend", url.Values{"email": {"mai-vista@example.it"}})
	known := c.Post("/confirm/resend", url.Values{"email": {"lenta@example.it"}})
	if unknown.Status != 303 || known.Status != 303 || unknown.Location != known.Location {
		t.Fatalf("resend answers differ: %d %q / %d %q", unknown.Status, unknown.Location, known.Status, known.Location)
	}
	mustContain(t, c.Follow(known), 200, "Se esiste un account non ancora confermato")
	if h.Count(`SELECT COUNT(*) FROM outbox WHERE to_address = 'mai-vista@example.it'`) != 0 {
		t.Fatal("mail to an unknown address")
	}
	fresh := mailLink(t, h, "lenta@example.it", "/confirm")
	if fresh == link {
		t.Fatal("no new link")
	}
	mustContain(t, c.Get(link), 404, "non è valido") // the old link was replaced
	mustContain(t, c.Get(fresh), 200, "Email confermata")

	// A confirmed account gets no more confirmation mails.
	before := h.Count(`SELECT COUNT(*) FROM outbox`)
	c.Post("/confirm/resend", url.Values{"email": {"lenta@example.it"}})
	if h.Count(`SELECT COUNT(*) FROM outbox`) != before {
		t.Fatal("confirmation mail to a confirmed account")
	}
	mustContain(t, c.Post("/confirm/resend", url.Values{"email": {"<b>x</b>"}}), 422, "Inserisci un indirizzo email valido")

	// Per address, at most 3 links an hour; beyond, the page says the same
	// thing and nothing is sent.
	c.Post("/register", registration("bombardata@example.it", "bombardata"))
	for range 5 {
		if r := c.Post("/confirm/resend", url.Values{"email": {"bombardata@example.it"}}); r.Status != 303 {
			t.Fatalf("resend: %d", r.Status)
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM outbox WHERE to_address = 'bombardata@example.it'`); n != 1+3 {
		t.Fatalf("mails to one address: %d", n)
	}
}

func TestPasswordReset(t *testing.T) {
	h := apptest.New(t)
	u := h.CreateUser("smemorata@example.it", "smemorata", false)
	elsewhere := h.Client().LoginAs(u)
	c := h.Client()

	mustContain(t, c.Get("/password/forgot"), 200, "Password dimenticata", `autocomplete="email"`, `href="/login"`)
	unknown := c.Post("/password/forgot", url.Values{"email": {"nessuno@example.it"}})
	known := c.Post("/password/forgot", url.Values{"email": {"Smemorata@example.it"}})
	if unknown.Status != 303 || unknown.Location != known.Location {
		t.Fatalf("forgot answers differ: %q / %q", unknown.Location, known.Location)
	}
	mustContain(t, c.Follow(known), 200, "Se esiste un account con questo indirizzo")
	if h.Count(`SELECT COUNT(*) FROM outbox`) != 1 {
		t.Fatal("expected exactly one mail")
	}
	mustContain(t, c.Post("/password/forgot", url.Values{"email": {"x"}}), 422, "Inserisci un indirizzo email valido")

	subject, _ := h.LastMail("smemorata@example.it")
	if subject != "[Comune di Prova] Scegli una nuova password" {
		t.Fatalf("subject %q", subject)
	}
	link := mailLink(t, h, "smemorata@example.it", "/password/reset")
	token, _ := url.ParseQuery(strings.SplitN(link, "?", 2)[1])
	mustContain(t, c.Get(link), 200, "Scegli una nuova password", `autocomplete="new-password"`)

	post := func(pw, confirm string) *apptest.Response {
		return c.Post("/password/reset", url.Values{"token": {token.Get("token")}, "password": {pw}, "password_confirm": {confirm}})
	}
	mustContain(t, post("nuova password lunga", "altra password lunga"), 422, "Le due password non coincidono")
	mustContain(t, post("corta", "corta"), 422, "almeno 10 caratteri")
	mustContain(t, post("", ""), 422, "Scegli una password")
	if h.Count(`SELECT COUNT(*) FROM user_tokens WHERE used_at IS NOT NULL`) != 0 {
		t.Fatal("a rejected form used the link")
	}
	r := post("nuova password lunga", "nuova password lunga")
	if r.Status != 303 || r.Location != "/login" {
		t.Fatalf("reset: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	mustContain(t, c.Follow(r), 200, "Password aggiornata")
	if h.Count(`SELECT COUNT(*) FROM sessions WHERE user_id = $1`, u.ID) != 0 {
		t.Fatal("sessions survived the reset")
	}
	if r := elsewhere.Get("/account"); r.Status != 303 {
		t.Fatalf("old session still works: %d", r.Status)
	}
	mustContain(t, c.Post("/login", url.Values{"email": {"smemorata@example.it"}, "password": {"correct-horse-battery"}}), 422, "Email o password non corretti")
	if r := c.Post("/login", url.Values{"email": {"smemorata@example.it"}, "password": {"nuova password lunga"}}); r.Status != 303 {
		t.Fatalf("login with the new password: %d", r.Status)
	}

	// Single use, and one hour only.
	mustContain(t, c.Get(link), 410, "è già stato usato", `href="/password/forgot"`)
	mustContain(t, post("ancora un'altra password", "ancora un'altra password"), 410, "è già stato usato")
	c.Post("/password/forgot", url.Values{"email": {"smemorata@example.it"}})
	late := mailLink(t, h, "smemorata@example.it", "/password/reset")
	h.Clock.Advance(61 * time.Minute)
	mustContain(t, c.Get(late), 410, "è scaduto")
	mustContain(t, c.Get("/password/reset?token=nulla"), 404, "non è valido")
}

func TestProfileEdit(t *testing.T) {
	h := apptest.New(t)
	h.CreateUser("occupato@example.it", "occupato", false)
	c := h.Participant("paola")
	other := h.Client().LoginAs(mustUser(t, h, "paola"))

	mustContain(t, c.Get("/account"), 200, "Il mio profilo", `value="paola"`, "paola@prova.it", `autocomplete="current-password"`, `href="/account/delete"`)

	mustContain(t, c.Post("/account/profile", url.Values{"nickname": {"Occupato"}, "locale": {"it"}}), 422, "Questo nickname è già usato", `value="Occupato"`)
	mustContain(t, c.Post("/account/profile", url.Values{"nickname": {"<i>x</i>"}, "locale": {"it"}}), 422, "Il nickname non può contenere")
	mustContain(t, c.Post("/account/profile", url.Values{"nickname": {""}, "locale": {"zz"}}), 422, "Scegli un nickname", "Lingua non supportata")
	if h.Count(`SELECT COUNT(*) FROM users WHERE nickname = 'paola' AND locale = 'it'`) != 1 {
		t.Fatal("a rejected edit changed the profile")
	}

	r := c.Post("/account/profile", url.Values{"nickname": {"Paola.B"}, "locale": {"en"}})
	if r.Status != 303 || r.Location != "/account" {
		t.Fatalf("profile: %d %s", r.Status, apptest.Text(r.Body))
	}
	mustContain(t, c.Follow(r), 200, "My profile", "Profile updated", `value="Paola.B"`)

	// Change password: the current one is required.
	mustContain(t, c.Post("/account/password", url.Values{"current_password": {"sbagliata!!"}, "new_password": {"una nuova frase segreta"}, "new_password_confirm": {"una nuova frase segreta"}}),
		422, "The password is not correct", `value="Paola.B"`)
	mustContain(t, c.Post("/account/password", url.Values{"current_password": {"correct-horse-battery"}, "new_password": {"corta"}, "new_password_confirm": {"corta"}}),
		422, "at least 10 characters")
	r = c.Post("/account/password", url.Values{"current_password": {"correct-horse-battery"}, "new_password": {"una nuova frase segreta"}, "new_password_confirm": {"una nuova frase segreta"}})
	if r.Status != 303 {
		t.Fatalf("change password: %d %s", r.Status, apptest.Text(r.Body))
	}
	mustContain(t, c.Follow(r), 200, "Password changed")
	if r := other.Get("/account"); r.Status != 303 {
		t.Fatalf("the other browser is still signed in: %d", r.Status)
	}
	if r := h.Client().Post("/login", url.Values{"email": {"paola@prova.it"}, "password": {"una nuova frase segreta"}}); r.Status != 303 {
		t.Fatalf("login with the changed password: %d", r.Status)
	}

	// Anonymous visitors are sent to sign in; posts get 401.
	anon := h.Client()
	if r := anon.Get("/account/delete"); r.Status != 303 || r.Location != "/login?next=/account/delete" {
		t.Fatalf("anonymous: %d %q", r.Status, r.Location)
	}
	if r := anon.Post("/account/profile", url.Values{"nickname": {"x"}}); r.Status != 401 {
		t.Fatalf("anonymous post: %d", r.Status)
	}
}

func mustUser(t *testing.T, h *apptest.Harness, nick string) identity.User {
	t.Helper()
	u, err := h.App.Services.Identity.UserByNickname(context.Background(), nick)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestDeleteAccount(t *testing.T) {
	h := apptest.New(t)
	c := h.Participant("lascia")
	u := mustUser(t, h, "lascia")
	other := h.Client().LoginAs(u)
	c.Post("/password/forgot", url.Values{"email": {"lascia@prova.it"}}) // a pending link must die too

	mustContain(t, c.Get("/account/delete"), 200, "Elimina il tuo account", "partecipante eliminato", `autocomplete="current-password"`)
	mustContain(t, c.Post("/account/delete", url.Values{"password": {"non-la-mia"}}), 422, "La password non è corretta")
	mustContain(t, c.Post("/account/delete", url.Values{}), 422, "Inserisci la password")
	if h.Count(`SELECT COUNT(*) FROM users WHERE deleted_at IS NULL AND nickname = 'lascia'`) != 1 {
		t.Fatal("deleted without the password")
	}

	r := c.Post("/account/delete", url.Values{"password": {"correct-horse-battery"}})
	if r.Status != 303 || r.Location != "/" {
		t.Fatalf("delete: %d %s", r.Status, apptest.Text(r.Body))
	}
	mustContain(t, c.Follow(r), 200, "Il tuo account è stato eliminato")
	if n := h.Count(`SELECT COUNT(*) FROM users WHERE id = $1 AND deleted_at IS NOT NULL AND email IS NULL AND email_key IS NULL
		AND password_hash IS NULL AND nickname IS NULL AND nickname_key IS NULL AND email_confirmed_at IS NULL`, u.ID); n != 1 {
		t.Fatal("personal data not erased")
	}
	if h.Count(`SELECT COUNT(*) FROM sessions WHERE user_id = $1`, u.ID)+h.Count(`SELECT COUNT(*) FROM user_tokens WHERE user_id = $1`, u.ID) != 0 {
		t.Fatal("sessions or links survived")
	}
	if r := other.Get("/account"); r.Status != 303 {
		t.Fatalf("another browser is still signed in: %d", r.Status)
	}
	mustContain(t, h.Client().Post("/login", url.Values{"email": {"lascia@prova.it"}, "password": {"correct-horse-battery"}}), 422, "Email o password non corretti")

	// Contributions keep pointing at the row, shown without the nickname.
	gone, err := h.App.Services.Identity.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := gone.DisplayName(translator{h, "it"}); got != "partecipante eliminato" {
		t.Fatalf("display name: %q", got)
	}
	if got := gone.DisplayName(translator{h, "en"}); got != "deleted participant" {
		t.Fatalf("display name: %q", got)
	}
	if got := identity.PublicName("").For(translator{h, "it"}); got != "partecipante eliminato" {
		t.Fatalf("public name: %q", got)
	}

	// The address and the nickname are free again.
	if r := h.Client().Post("/register", registration("lascia@prova.it", "lascia")); r.Status != 303 {
		t.Fatalf("register again: %d %s", r.Status, apptest.Text(r.Body))
	}
	if h.Count(`SELECT COUNT(*) FROM users`) != 2 {
		t.Fatal("expected the erased row and the new account")
	}
}

type translator struct {
	h      *apptest.Harness
	locale string
}

func (t translator) T(key string, args ...any) string {
	return t.h.App.Catalog.T(t.locale, key, args...)
}

func TestLoginRateLimit(t *testing.T) {
	h := apptest.New(t)
	h.CreateUser("bersaglio@example.it", "bersaglio", false)
	c := h.Client()
	for i := range 10 {
		mustContain(t, c.Post("/login", url.Values{"email": {"bersaglio@example.it"}, "password": {"tentativo-" + string(rune('a'+i))}}), 422, "Email o password non corretti")
	}
	// Even the right password waits: the attacker must not learn it worked.
	r := c.Post("/login", url.Values{"email": {"Bersaglio@example.it"}, "password": {"correct-horse-battery"}})
	mustContain(t, r, http.StatusTooManyRequests, "Troppi tentativi", "aspetta 15 minuti", `href="/password/forgot"`)
	if r.Header.Get("Retry-After") == "" || sessionCookie(r) != nil {
		t.Fatal("429 without Retry-After, or with a session")
	}
	h.Clock.Advance(15 * time.Minute)
	if r := c.Post("/login", url.Values{"email": {"bersaglio@example.it"}, "password": {"correct-horse-battery"}}); r.Status != 303 {
		t.Fatalf("after the window: %d", r.Status)
	}

	// Per client address: many accounts from one address.
	h.Clock.Advance(15 * time.Minute)
	for i := range 30 {
		// No password: turned away before the (deliberately slow) hash check, still counted.
		mustContain(t, c.Post("/login", url.Values{"email": {"utente" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.it"}}), 422, "Inserisci la password")
	}
	mustContain(t, c.Post("/login", url.Values{"email": {"bersaglio@example.it"}, "password": {"correct-horse-battery"}}), 429, "Troppi tentativi")
}

func TestBlockedAccountCannotLogIn(t *testing.T) {
	h := apptest.New(t)
	u := h.CreateUser("bloccato@example.it", "bloccato", false)
	c := h.Client().LoginAs(u)
	if _, err := h.DB.W().Exec(`UPDATE users SET blocked_at = $1, blocked_reason = $2 WHERE id = $3`, h.Clock.Now(), "messaggi offensivi ripetuti", u.ID); err != nil {
		t.Fatal(err)
	}
	if r := c.Get("/account"); r.Status != 303 {
		t.Fatalf("blocked session still works: %d", r.Status)
	}
	r := h.Client().Post("/login", url.Values{"email": {"bloccato@example.it"}, "password": {"correct-horse-battery"}})
	mustContain(t, r, 422, "bloccato dai moderatori", "messaggi offensivi ripetuti")
	// The reason is told only to whoever knows the password.
	r = h.Client().Post("/login", url.Values{"email": {"bloccato@example.it"}, "password": {"non-la-password"}})
	if strings.Contains(r.Body, "offensivi") {
		t.Fatal("block reason shown without the password")
	}
	h.DB.W().Exec(`UPDATE users SET blocked_reason = NULL WHERE id = $1`, u.ID)
	mustContain(t, h.Client().Post("/login", url.Values{"email": {"bloccato@example.it"}, "password": {"correct-horse-battery"}}), 422, "bloccato dai moderatori.")
}

func TestPrivacyAndAccessibilityPages(t *testing.T) {
	h := apptest.New(t)
	c := h.Client()
	mustContain(t, c.Get("/privacy"), 200, "Informativa sulla privacy", "Titolare del trattamento", "Comune di Prova",
		"Per quanto tempo li conserviamo", "I tuoi diritti", "Garante per la protezione dei dati personali", "cookie tecnici")
	mustContain(t, c.Get("/accessibility"), 200, "Dichiarazione di accessibilità", "WCAG) 2.1, livello AA", "Segnala un problema", "Difensore civico per il digitale")
	c.Lang = "en"
	mustContain(t, c.Get("/privacy"), 200, "Privacy notice", "Data controller", "Your rights")
	mustContain(t, c.Get("/accessibility"), 200, "Accessibility statement", "level AA", "Report an accessibility problem")
	for _, p := range []string{"/privacy", "/accessibility", "/login", "/register", "/password/forgot", "/confirm/resend"} {
		if n := strings.Count(c.Get(p).Body, "<h1"); n != 1 {
			t.Errorf("%s has %d h1", p, n)
		}
	}
}

// A "next" with a tab after the first slash reads as "//evil.example" to a
// browser: signing in must not send the participant there.
func TestLoginNextWithControlCharacterStaysOnSite(t *testing.T) {
	h := apptest.New(t)
	h.CreateUser("tab@example.it", "tabulata", false)
	c := h.Client()
	r := c.Get("/login?next=%2F%09%2Fevil.example")
	if r.Status != 200 || strings.Contains(r.Body, `name="next" value="/&#9;`) {
		t.Fatalf("login page kept the hostile next: %d", r.Status)
	}
	for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "/\t\\evil.example"} {
		r := h.Client().Post("/login", url.Values{"email": {"tab@example.it"}, "password": {"correct-horse-battery"}, "next": {next}})
		if r.Status != http.StatusSeeOther || r.Location != "/" {
			t.Fatalf("next %q: %d %q", next, r.Status, r.Location)
		}
	}
}
