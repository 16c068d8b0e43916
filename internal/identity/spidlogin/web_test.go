package spidlogin_test

import (
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
	"github.com/arengo/arengo/internal/identity/spidlogin"
)

// harness runs the platform in demo mode with the built-in test IdP, using
// the spid package's fixed test keys (generating RSA keys per test is slow).
func harness(t *testing.T) *apptest.Harness {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"sp.key", "sp.crt", "idp.key", "idp.crt"} {
		b, err := os.ReadFile(filepath.Join("..", "spid", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return apptest.New(t, apptest.Demo, func(c *config.Config) { c.SPIDDemoDir = dir })
}

var (
	formActionRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenRE     = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	idpButtonRE  = regexp.MustCompile(`name="idp" value="([^"]+)"`)
)

// postForm reads the first form of an HTML page: its action (made
// relative to the harness) and hidden fields.
func postForm(t *testing.T, h *apptest.Harness, body string) (string, url.Values) {
	t.Helper()
	m := formActionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form in page:\n%s", body)
	}
	action := strings.TrimPrefix(html.UnescapeString(m[1]), h.Srv.URL)
	vals := url.Values{}
	for _, f := range hiddenRE.FindAllStringSubmatch(body, -1) {
		vals.Set(f[1], html.UnescapeString(f[2]))
	}
	return action, vals
}

func testIdPEntity(t *testing.T, h *apptest.Harness, c *apptest.Client) string {
	t.Helper()
	page := c.Get("/login/spid")
	if page.Status != http.StatusOK {
		t.Fatalf("GET /login/spid: %d", page.Status)
	}
	m := idpButtonRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no IdP button:\n%s", page.Body)
	}
	return html.UnescapeString(m[1])
}

// toIdP starts a SPID login and walks to the test IdP's person chooser,
// returning the chooser's token.
func toIdP(t *testing.T, h *apptest.Harness, c *apptest.Client, next string) string {
	t.Helper()
	form := url.Values{"idp": {testIdPEntity(t, h, c)}, "level": {"2"}}
	if next != "" {
		form.Set("next", next)
	}
	r := c.Post("/login/spid", form)
	if r.Status != http.StatusOK {
		t.Fatalf("POST /login/spid: %d\n%s", r.Status, r.Body)
	}
	action, fields := postForm(t, h, r.Body)
	if action != spidlogin.TestIdPPath+"/sso" || fields.Get("SAMLRequest") == "" || fields.Get("RelayState") == "" {
		t.Fatalf("AuthnRequest form: action %q fields %v", action, fields)
	}
	chooser := c.Post(action, fields)
	if chooser.Status != http.StatusOK {
		t.Fatalf("test IdP refused the AuthnRequest: %d %s", chooser.Status, chooser.Body)
	}
	_, f := postForm(t, h, chooser.Body)
	return f.Get("token")
}

// samlResponse has the test IdP answer as person (or cancel when person is "")
// and returns the form fields it posts to the ACS.
func samlResponse(t *testing.T, h *apptest.Harness, c *apptest.Client, token, person string) url.Values {
	t.Helper()
	form := url.Values{"token": {token}, "person": {person}, "action": {"login"}}
	if person == "" {
		form.Set("action", "cancel")
	}
	r := c.Post(spidlogin.TestIdPPath+"/sso/choose", form)
	action, fields := postForm(t, h, r.Body)
	if action != "/spid/acs" || fields.Get("SAMLResponse") == "" {
		t.Fatalf("IdP response form: %q %v", action, fields)
	}
	return fields
}

// spidLogin runs the SAML round trip for person and returns the ACS answer.
func spidLogin(t *testing.T, h *apptest.Harness, c *apptest.Client, person, next string) *apptest.Response {
	t.Helper()
	return c.Post("/spid/acs", samlResponse(t, h, c, toIdP(t, h, c, next), person))
}

// firstLogin runs a whole first login and creates the account.
func firstLogin(t *testing.T, h *apptest.Harness, c *apptest.Client, person, nickname string) *apptest.Response {
	t.Helper()
	r := spidLogin(t, h, c, person, "")
	if r.Status != http.StatusSeeOther || r.Location != "/login/verified" {
		t.Fatalf("ACS: %d %q\n%s", r.Status, r.Location, apptest.Text(r.Body))
	}
	r = c.Follow(r)
	if r.Status != http.StatusSeeOther || r.Location != "/login/welcome" {
		t.Fatalf("verified: %d %q\n%s", r.Status, r.Location, apptest.Text(r.Body))
	}
	return c.Post("/login/welcome", url.Values{"nickname": {nickname}, "locale": {"it"}, "privacy": {"on"}})
}

func TestFirstLoginCreatesAccountWithNickname(t *testing.T) {
	h := harness(t)
	c := h.Client()
	r := spidLogin(t, h, c, "adult-resident", "/processes")
	if r.Status != http.StatusSeeOther || r.Location != "/login/verified" {
		t.Fatalf("ACS: %d %q", r.Status, r.Location)
	}
	r = c.Follow(r)
	if r.Location != "/login/welcome" {
		t.Fatalf("newcomer sent to %q", r.Location)
	}
	page := c.Get("/login/welcome")
	if page.Status != http.StatusOK || !strings.Contains(apptest.Text(page.Body), "Ciao Maria") {
		t.Fatalf("welcome page: %d %s", page.Status, apptest.Text(page.Body))
	}

	// Bad input: every problem shown, nothing stored, the login still waits.
	for _, tc := range []struct {
		form url.Values
		want []string
	}{
		{url.Values{"locale": {"it"}}, []string{"Scegli un nickname", "devi accettare l'informativa"}},
		{url.Values{"nickname": {"<script>x</script>"}, "locale": {"it"}, "privacy": {"on"}}, []string{"non può contenere"}},
		{url.Values{"nickname": {strings.Repeat("a", 31)}, "locale": {"it"}, "privacy": {"on"}}, []string{"al massimo"}},
		{url.Values{"nickname": {"maria_r"}, "locale": {"xx"}, "privacy": {"on"}}, nil},
	} {
		r := c.Post("/login/welcome", tc.form)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%v: status %d", tc.form, r.Status)
		}
		for _, w := range tc.want {
			if !strings.Contains(html.UnescapeString(r.Body), w) {
				t.Errorf("%v: no %q in %s", tc.form, w, apptest.Text(r.Body))
			}
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM users`); n != 0 {
		t.Fatalf("%d users after rejected forms", n)
	}

	r = c.Post("/login/welcome", url.Values{"nickname": {"maria_r"}, "locale": {"it"}, "privacy": {"on"}})
	if r.Status != http.StatusSeeOther || r.Location != "/processes" {
		t.Fatalf("welcome: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	home := c.Get("/")
	if !strings.Contains(home.Body, "maria_r") || !strings.Contains(apptest.Text(home.Body), "Il tuo account è stato creato") {
		t.Fatalf("not signed in after welcome: %s", apptest.Text(home.Body))
	}
	if n := h.Count(`SELECT COUNT(*) FROM users WHERE nickname = 'maria_r' AND password_hash IS NULL AND email = 'maria.rossini@example.invalid'`); n != 1 {
		t.Fatalf("account without password and with the IdP's email: %d", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM user_identities`); n != 1 {
		t.Fatalf("%d linked identities", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM verifications WHERE method = 'spid' AND level = 'SpidL2' AND expires_at IS NOT NULL`); n != 1 {
		t.Fatalf("%d SPID verifications", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM session_saml`); n != 1 {
		t.Fatalf("%d SAML sessions", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM strong_login_pending`); n != 0 {
		t.Fatalf("pending login left behind")
	}
	if n := h.Count(`SELECT COUNT(*) FROM spid_auth_log WHERE outcome = 'ok' AND length(request_xml) > 0 AND length(response_xml) > 0`); n != 1 {
		t.Fatalf("%d auth log records", n)
	}
	// The codice fiscale is stored encrypted only.
	fc := "RSSMRA"
	if n := h.Count(`SELECT COUNT(*) FROM user_identities WHERE fiscal_hash LIKE $1`, fc+"%"); n != 0 {
		t.Fatal("codice fiscale in clear")
	}

	// Logging in again: the same account, straight in, one more verification.
	c2 := h.Client()
	r = spidLogin(t, h, c2, "adult-resident", "")
	r = c2.Follow(r)
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("re-login: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	if !strings.Contains(c2.Get("/").Body, "maria_r") {
		t.Fatal("re-login did not sign in to the same account")
	}
	if n := h.Count(`SELECT COUNT(*) FROM users`); n != 1 {
		t.Fatalf("%d accounts after re-login", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM verifications`); n != 2 {
		t.Fatalf("%d verifications after re-login", n)
	}
	if err := h.App.Services.StrongLogin.AuthLog.Verify(context.Background()); err != nil {
		t.Fatalf("auth log chain: %v", err)
	}
}

// Every fictitious person can sign up: age and residence matter per action
// (eligibility), not for having an account.
func TestEveryTestPersonCanSignUp(t *testing.T) {
	h := harness(t)
	for i, p := range []string{"resident-16", "minor-15", "commuter", "resident-not-elector"} {
		c := h.Client()
		nick := strings.ReplaceAll(p, "-", "_")
		r := firstLogin(t, h, c, p, nick)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", p, r.Status, apptest.Text(r.Body))
		}
		if !strings.Contains(c.Get("/").Body, nick) {
			t.Fatalf("%s not signed in", p)
		}
		if n := h.Count(`SELECT COUNT(*) FROM user_identities`); n != i+1 {
			t.Fatalf("after %s: %d identities", p, n)
		}
	}
}

func TestReplayedResponseIsRefused(t *testing.T) {
	h := harness(t)
	c := h.Client()
	fields := samlResponse(t, h, c, toIdP(t, h, c, ""), "adult-resident")
	if r := c.Post("/spid/acs", fields); r.Status != http.StatusSeeOther {
		t.Fatalf("first use: %d", r.Status)
	}
	r := c.Post("/spid/acs", fields)
	if r.Status != http.StatusForbidden || !strings.Contains(apptest.Text(r.Body), "è già stata usata") {
		t.Fatalf("replay: %d %s", r.Status, apptest.Text(r.Body))
	}
	if !strings.Contains(r.Body, `href="/login/spid"`) {
		t.Fatal("no retry link")
	}
	if n := h.Count(`SELECT COUNT(*) FROM strong_login_pending`); n != 1 {
		t.Fatalf("%d pending logins after replay", n)
	}
	// Another browser presenting a stolen response fares no better.
	if r := h.Client().Post("/spid/acs", fields); r.Status != http.StatusForbidden {
		t.Fatalf("stolen response: %d", r.Status)
	}
}

func TestCancelledLoginExplainsInPlainWords(t *testing.T) {
	h := harness(t)
	for _, tc := range []struct{ lang, want string }{
		{"it", "Hai annullato l'accesso"},
		{"en", "You cancelled the sign-in"},
	} {
		c := h.Client()
		c.Lang = tc.lang
		r := c.Post("/spid/acs", samlResponse(t, h, c, toIdP(t, h, c, ""), ""))
		if r.Status != http.StatusForbidden || !strings.Contains(html.UnescapeString(apptest.Text(r.Body)), tc.want) {
			t.Fatalf("%s: %d %s", tc.lang, r.Status, apptest.Text(r.Body))
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM spid_auth_log WHERE outcome = 'spid_nr25_user_cancelled'`); n != 2 {
		t.Fatalf("cancellations logged: %d", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM users`); n != 0 {
		t.Fatal("account created from a cancelled login")
	}
}

func TestHostileACSInput(t *testing.T) {
	h := harness(t)
	c := h.Client()
	for name, body := range map[string]string{
		"empty":      "",
		"not base64": "SAMLResponse=%%%",
		"not XML":    "SAMLResponse=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("hello"))),
		"DTD":        "SAMLResponse=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`))),
		"huge":       "SAMLResponse=" + strings.Repeat("A", 300<<10),
	} {
		r := c.PostRaw("/spid/acs", "application/x-www-form-urlencoded", strings.NewReader(body))
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s: status %d", name, r.Status)
		}
	}
	if r := c.Get("/spid/acs"); r.Status < 400 || r.Status >= 500 {
		t.Errorf("GET /spid/acs: %d", r.Status)
	}
}

func TestButtonPageWorksWithoutJavaScript(t *testing.T) {
	h := harness(t)
	c := h.Client()
	r := c.Get("/login/spid?next=/processes&level=3")
	if r.Status != http.StatusOK {
		t.Fatal(r.Status)
	}
	text := apptest.Text(r.Body)
	for _, want := range []string{"Entra con SPID", spidlogin.TestIdPName, "Maggiori informazioni", "Non hai SPID?", "Serve aiuto?"} {
		if !strings.Contains(text, want) {
			t.Errorf("button page lacks %q", want)
		}
	}
	for _, link := range []string{"https://www.spid.gov.it", "https://www.spid.gov.it/cos-e-spid/come-attivare-spid/", "https://www.spid.gov.it/serve-aiuto"} {
		if !strings.Contains(r.Body, `href="`+link+`"`) {
			t.Errorf("no link to %s", link)
		}
	}
	// Without JavaScript: the list is a form of buttons; the toggle is hidden.
	if !strings.Contains(r.Body, `<form method="post" action="/login/spid"`) || !strings.Contains(r.Body, `data-spid-toggle`) ||
		!regexp.MustCompile(`<button type="button"[^>]* hidden`).MatchString(r.Body) {
		t.Error("no-JS list or hidden toggle missing")
	}
	if !strings.Contains(r.Body, `name="level" value="3"`) || !strings.Contains(r.Body, `name="next" value="/processes"`) {
		t.Error("level and next not carried")
	}
	if strings.Count(r.Body, "<h1") != 1 {
		t.Error("not exactly one h1")
	}
	if js := c.Get("/spid/button.js"); js.Status != http.StatusOK || !strings.Contains(js.Body, "aria-expanded") {
		t.Error("button script missing")
	}

	// An unknown or hostile IdP: 422 and the list again.
	for _, idp := range []string{"", "https://evil.example", `"><script>alert(1)</script>`} {
		r := c.Post("/login/spid", url.Values{"idp": {idp}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(apptest.Text(r.Body), "non è disponibile") || strings.Contains(r.Body, "<script>alert") {
			t.Errorf("idp %q: %d", idp, r.Status)
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM spid_requests`); n != 0 {
		t.Fatalf("%d requests stored for refused IdPs", n)
	}
	// A return path off-site is dropped.
	r = c.Post("/login/spid", url.Values{"idp": {testIdPEntity(t, h, c)}, "next": {"//evil.example/x"}})
	if r.Status != http.StatusOK || h.Count(`SELECT COUNT(*) FROM spid_requests WHERE return_to = ''`) != 1 {
		t.Fatalf("off-site next: %d", r.Status)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+h.Srv.URL) {
		t.Errorf("CSP of the AuthnRequest page does not allow the IdP: %s", csp)
	}
}

func TestMetadata(t *testing.T) {
	h := harness(t)
	r := h.Client().Get("/spid/metadata")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `entityID="`+h.Srv.URL+`/spid/metadata"`) ||
		!strings.Contains(r.Body, "AttributeConsumingService") || !strings.Contains(r.Body, "Signature") {
		t.Fatalf("metadata: %d %s", r.Status, r.Body)
	}
}

func TestLinkFromEmailAccountAndRefuseSecondAccount(t *testing.T) {
	h := harness(t)
	giulia := h.Participant("giulia")
	page := giulia.Get("/account/spid")
	if page.Status != http.StatusOK || !strings.Contains(apptest.Text(page.Body), "Collega SPID") {
		t.Fatalf("account SPID page: %d", page.Status)
	}
	if r := h.Client().Get("/account/spid"); r.Status != http.StatusSeeOther {
		t.Fatalf("anonymous /account/spid: %d", r.Status)
	}
	r := spidLogin(t, h, giulia, "adult-resident", "/account/spid")
	r = giulia.Follow(r)
	if r.Status != http.StatusSeeOther || r.Location != "/account/spid" {
		t.Fatalf("link: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	page = giulia.Follow(r)
	if !strings.Contains(apptest.Text(page.Body), "è stata collegata") || !strings.Contains(apptest.Text(page.Body), "è già collegata a questo account") {
		t.Fatalf("after link: %s", apptest.Text(page.Body))
	}
	if n := h.Count(`SELECT COUNT(*) FROM user_identities i JOIN users u ON u.id = i.user_id WHERE u.nickname = 'giulia'`); n != 1 {
		t.Fatal("identity not linked to giulia")
	}
	if n := h.Count(`SELECT COUNT(*) FROM session_saml`); n != 1 {
		t.Fatal("linked session has no SAML session for logout")
	}

	// Another account for the same person: refused, plainly.
	marco := h.Participant("marco")
	r = marco.Follow(spidLogin(t, h, marco, "adult-resident", ""))
	if r.Status != http.StatusConflict || !strings.Contains(apptest.Text(r.Body), "Questa identità SPID è già collegata a un altro account") {
		t.Fatalf("second account: %d %s", r.Status, apptest.Text(r.Body))
	}
	if n := h.Count(`SELECT COUNT(*) FROM user_identities i JOIN users u ON u.id = i.user_id WHERE u.nickname = 'marco'`); n != 0 {
		t.Fatal("identity linked to a second account")
	}
	if n := h.Count(`SELECT COUNT(*) FROM verifications v JOIN users u ON u.id = v.user_id WHERE u.nickname = 'marco'`); n != 0 {
		t.Fatal("verification recorded for the refused account")
	}
	// Anonymous SPID login now lands on giulia's account.
	c := h.Client()
	r = c.Follow(spidLogin(t, h, c, "adult-resident", ""))
	if r.Location != "/" || !strings.Contains(c.Get("/").Body, "giulia") {
		t.Fatalf("anonymous login after link: %q", r.Location)
	}
}

// Two browsers finish the first login of the same person at once: exactly
// one account exists afterwards, and both browsers are signed in to it.
func TestConcurrentFirstLoginsMakeOneAccount(t *testing.T) {
	h := harness(t)
	const n = 3
	clients := make([]*apptest.Client, n)
	for i := range clients {
		clients[i] = h.Client()
		r := clients[i].Follow(spidLogin(t, h, clients[i], "resident-16", ""))
		if r.Location != "/login/welcome" {
			t.Fatalf("client %d: %q", i, r.Location)
		}
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"nickname": {"luca" + string(rune('a'+i))}, "locale": {"it"}, "privacy": {"on"}}
			resp, err := c.HTTP.PostForm(h.URL("/login/welcome"), form)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	if got := h.Count(`SELECT COUNT(*) FROM users`); got != 1 {
		t.Fatalf("%d accounts for one person", got)
	}
	if got := h.Count(`SELECT COUNT(*) FROM user_identities`); got != 1 {
		t.Fatalf("%d identities", got)
	}
	for i, c := range clients {
		if statuses[i] != http.StatusSeeOther || !strings.Contains(c.Get("/").Body, "luca") {
			t.Errorf("client %d: status %d, not signed in", i, statuses[i])
		}
	}
}

func TestSingleLogoutStartedHere(t *testing.T) {
	h := harness(t)
	c := h.Client()
	if r := firstLogin(t, h, c, "adult-resident", "maria_r"); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	r := c.Post("/logout", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("logout: %d", r.Status)
	}
	action, fields := postForm(t, h, r.Body)
	if action != spidlogin.TestIdPPath+"/slo" || fields.Get("SAMLRequest") == "" {
		t.Fatalf("LogoutRequest form: %q %v", action, fields)
	}
	if n := h.Count(`SELECT COUNT(*) FROM sessions`); n != 0 {
		t.Fatal("local session survived logout")
	}
	r = c.Post(action, fields)
	action, fields = postForm(t, h, r.Body)
	if action != "/spid/slo" || fields.Get("SAMLResponse") == "" {
		t.Fatalf("LogoutResponse form: %q %v", action, fields)
	}
	r = c.Post(action, fields)
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("LogoutResponse: %d %q %s", r.Status, r.Location, apptest.Text(r.Body))
	}
	home := c.Follow(r)
	if strings.Contains(home.Body, "maria_r") || !strings.Contains(apptest.Text(home.Body), "uscit") {
		t.Fatalf("after logout: %s", apptest.Text(home.Body))
	}
	// The same LogoutResponse again is refused.
	if r := c.Post(action, fields); r.Status != http.StatusForbidden {
		t.Fatalf("replayed LogoutResponse: %d", r.Status)
	}

	// A password session still logs out the ordinary way.
	p := h.Participant("giulia")
	if r := p.Post("/logout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("password logout: %d", r.Status)
	}
}

func TestSingleLogoutStartedByIdP(t *testing.T) {
	h := harness(t)
	c := h.Client()
	if r := firstLogin(t, h, c, "commuter", "paolo"); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	other := h.Participant("giulia")
	var nameID, sessionIndex string
	if err := h.DB.R().QueryRow(`SELECT name_id, session_index FROM session_saml`).Scan(&nameID, &sessionIndex); err != nil {
		t.Fatal(err)
	}
	m := h.App.Services.StrongLogin
	req, err := m.TestIdP.LogoutRequest(m.SP.EntityID(), nameID, sessionIndex)
	if err != nil {
		t.Fatal(err)
	}
	r := h.Client().Post("/spid/slo", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(req)}})
	if r.Status != http.StatusOK {
		t.Fatalf("IdP-initiated logout: %d %s", r.Status, apptest.Text(r.Body))
	}
	action, fields := postForm(t, h, r.Body)
	if action != spidlogin.TestIdPPath+"/slo" || fields.Get("SAMLResponse") == "" {
		t.Fatalf("LogoutResponse to IdP: %q", action)
	}
	if strings.Contains(c.Get("/").Body, "paolo") {
		t.Fatal("SPID session survived the IdP's logout")
	}
	if !strings.Contains(other.Get("/").Body, "giulia") {
		t.Fatal("an unrelated session was ended")
	}
	// A forged LogoutRequest (not signed by the IdP) ends nothing.
	c2 := h.Client()
	firstLogin(t, h, c2, "adult-resident", "maria_r")
	forged := strings.Replace(string(req), "LogoutRequest", "LogoutRequest", 1)
	forged = strings.Replace(forged, nameID, "someone-else", 1)
	if r := h.Client().Post("/spid/slo", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(forged))}}); r.Status < 400 || r.Status >= 500 {
		t.Fatalf("forged LogoutRequest: %d", r.Status)
	}
	if !strings.Contains(c2.Get("/").Body, "maria_r") {
		t.Fatal("forged logout ended a session")
	}
}

// Each SPID anomaly code gets its own plain-language page, in the person's
// language, with a way to try again.
func TestAnomalyPages(t *testing.T) {
	h := harness(t)
	idp := h.App.Services.StrongLogin.TestIdP
	for _, tc := range []struct{ nr, it, en string }{
		{"19", "numero di tentativi", "number of sign-in attempts"},
		{"20", "livello di sicurezza richiesto", "required security level"},
		{"21", "tempo per completare", "time to complete"},
		{"22", "Hai negato il consenso", "refused consent"},
		{"23", "sospesa o revocata", "suspended or revoked"},
		{"25", "Hai annullato l'accesso", "You cancelled"},
		{"30", "persone fisiche", "for individuals"},
	} {
		for _, lang := range []string{"it", "en"} {
			c := h.Client()
			c.Lang = lang
			r := c.Post("/login/spid", url.Values{"idp": {testIdPEntity(t, h, c)}})
			_, fields := postForm(t, h, r.Body)
			req, _ := http.NewRequest(http.MethodPost, idp.SSOURL(), strings.NewReader(fields.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			ar, err := idp.ParseAuthnRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := idp.BuildResponse(ar, testidp.Person{}, testidp.ResponseOptions{
				Status: "urn:oasis:names:tc:SAML:2.0:status:Responder", SubStatus: "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
				StatusMessage: "ErrorCode nr" + tc.nr,
			})
			if err != nil {
				t.Fatal(err)
			}
			page := c.Post("/spid/acs", url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(resp)}, "RelayState": {ar.RelayState}})
			want := tc.it
			if lang == "en" {
				want = tc.en
			}
			if page.Status != http.StatusForbidden || !strings.Contains(html.UnescapeString(apptest.Text(page.Body)), want) || !strings.Contains(page.Body, `href="/login/spid"`) {
				t.Errorf("nr%s %s: %d %s", tc.nr, lang, page.Status, apptest.Text(page.Body))
			}
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM users`); n != 0 {
		t.Fatal("account created from an anomaly")
	}
}

// Every start stores a signed request and an authentication-log entry: one
// address may start only so many, then gets a 429 page and nothing stored.
func TestLoginStartsAreRateLimitedPerAddress(t *testing.T) {
	h := harness(t)
	c := h.Client()
	idp := testIdPEntity(t, h, c)
	limit := spidlogin.DefaultStartLimit().Max
	for i := 0; i < limit; i++ {
		if r := c.Post("/login/spid", url.Values{"idp": {idp}}); r.Status != http.StatusOK {
			t.Fatalf("start %d: %d", i+1, r.Status)
		}
	}
	before := h.Count(`SELECT COUNT(*) FROM spid_requests`)
	r := c.Post("/login/spid", url.Values{"idp": {idp}})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" ||
		!strings.Contains(apptest.Text(r.Body), "troppi accessi") {
		t.Fatalf("start over the limit: %d %s", r.Status, apptest.Text(r.Body))
	}
	if after := h.Count(`SELECT COUNT(*) FROM spid_requests`); after != before {
		t.Fatalf("a refused start stored a request: %d → %d", before, after)
	}
	// The window passes: the address may start again.
	h.Clock.Advance(spidlogin.DefaultStartLimit().Window + time.Second)
	if r := c.Post("/login/spid", url.Values{"idp": {idp}}); r.Status != http.StatusOK {
		t.Fatalf("after the window: %d", r.Status)
	}
}
