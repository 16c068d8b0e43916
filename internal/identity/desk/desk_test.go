package desk_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
)

func TestDeskVerification(t *testing.T) {
	h := apptest.New(t)
	giulia := h.CreateUser("giulia@prova.it", "giulia_m", false)
	h.CreateUser("giuliano@prova.it", "giuliano", false)
	staffUser := h.CreateUser("urp@prova.it", "urp_municipio5", true)
	staff := h.Client().LoginAs(staffUser)
	person := "/admin/desk/" + strconv.FormatInt(giulia.ID, 10)

	// Staff only.
	if r := h.Client().Get("/admin/desk"); r.Status != 303 {
		t.Fatalf("anonymous: %d", r.Status)
	}
	p := h.Participant("curioso")
	if r := p.Get("/admin/desk"); r.Status != 403 {
		t.Fatalf("participant: %d", r.Status)
	}
	if r := p.Post(person, url.Values{}); r.Status != 403 {
		t.Fatalf("participant records: %d", r.Status)
	}

	// Search by nickname prefix and by full email; LIKE wildcards are literal.
	r := staff.Get("/admin/desk?q=GIUL")
	text := apptest.Text(r.Body)
	if r.Status != 200 || !strings.Contains(text, "giulia_m") || !strings.Contains(text, "giuliano") || !strings.Contains(text, "Identità non ancora verificata") {
		t.Fatalf("search: %d %s", r.Status, text)
	}
	if r := staff.Get("/admin/desk?q=" + url.QueryEscape("giulia@prova.it")); !strings.Contains(r.Body, "giulia_m") || strings.Contains(r.Body, "giuliano") {
		t.Fatalf("email search: %s", apptest.Text(r.Body))
	}
	if r := staff.Get("/admin/desk?q=%25"); !strings.Contains(apptest.Text(r.Body), "Nessun account trovato") {
		t.Fatalf("wildcard search matched: %s", apptest.Text(r.Body))
	}
	if r := staff.Get("/admin/desk?q=+"); r.Status != 422 || !strings.Contains(r.Body, "Scrivi un soprannome o un indirizzo email") {
		t.Fatalf("empty search: %d", r.Status)
	}
	if r := staff.Get("/admin/desk?q=" + strings.Repeat("a", 300)); r.Status != 422 {
		t.Fatalf("long search: %d", r.Status)
	}
	if r := staff.Get("/admin/desk/999999"); r.Status != 404 {
		t.Fatalf("unknown person: %d", r.Status)
	}

	birth := time.Date(2009, 4, 12, 0, 0, 0, 0, time.UTC)
	code, err := codicefiscale.Generate(codicefiscale.Person{FamilyName: "Martini", GivenName: "Giulia", BirthDate: birth, Sex: codicefiscale.Female, Birthplace: "F205"})
	if err != nil {
		t.Fatal(err)
	}
	good := url.Values{"fiscal_code": {code}, "given_name": {"Giulia"}, "family_name": {"Martini"}, "birth_date": {"2009-04-12"},
		"document_type": {"identity_card"}, "document_number": {"CA00000AA"}, "office": {"URP Municipio 5"}}
	stored := func() int {
		return h.Count(`SELECT COUNT(*) FROM desk_verifications`) + h.Count(`SELECT COUNT(*) FROM user_identities`) + h.Count(`SELECT COUNT(*) FROM verifications WHERE method = 'desk'`)
	}

	// Bad input: each field explained, 422, nothing stored.
	bad := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"empty", map[string]string{"fiscal_code": "", "given_name": "", "family_name": "", "birth_date": "", "document_type": "", "document_number": "", "office": ""},
			[]string{"Inserisci il codice fiscale", "Inserisci il nome", "Inserisci il cognome", "Inserisci la data di nascita", "Scegli il tipo di documento mostrato", "Inserisci il numero del documento", "Indica l&#39;ufficio"}},
		{"bad check character", map[string]string{"fiscal_code": code[:15] + nextLetter(code[15])}, []string{"Il codice fiscale non è valido"}},
		{"hostile code", map[string]string{"fiscal_code": "<script>x</script>"}, []string{"Il codice fiscale non è valido"}},
		{"birth date does not match the code", map[string]string{"birth_date": "2009-04-13"}, []string{"non corrisponde a quella contenuta nel codice fiscale"}},
		{"malformed birth date", map[string]string{"birth_date": "12 aprile"}, []string{"Scrivi la data di nascita come 23/11/2008"}},
		{"unknown document", map[string]string{"document_type": "tessera_biblioteca"}, []string{"Scegli il tipo di documento mostrato"}},
		{"document number too long", map[string]string{"document_number": strings.Repeat("9", 41)}, []string{"al massimo 40 caratteri"}},
		{"notes too long", map[string]string{"notes": strings.Repeat("n", 2001)}, []string{"al massimo 2.000 caratteri"}},
	}
	for _, b := range bad {
		f := url.Values{}
		for k, v := range good {
			f[k] = v
		}
		for k, v := range b.set {
			f.Set(k, v)
		}
		r := staff.Post(person, f)
		if r.Status != 422 || strings.Contains(r.Body, "<script>x") {
			t.Fatalf("%s: %d %s", b.name, r.Status, apptest.Text(r.Body))
		}
		for _, w := range b.want {
			if !strings.Contains(r.Body, w) {
				t.Errorf("%s: no %q in %s", b.name, w, apptest.Text(r.Body))
			}
		}
		if n := stored(); n != 0 {
			t.Fatalf("%s: stored %d rows", b.name, n)
		}
	}
	// Staff cannot verify themselves.
	self := "/admin/desk/" + strconv.FormatInt(staffUser.ID, 10)
	if r := staff.Get(self); r.Status != 200 || !strings.Contains(apptest.Text(r.Body), "Non puoi verificare la tua stessa identità") || strings.Contains(r.Body, `name="fiscal_code"`) {
		t.Fatalf("self page: %d", r.Status)
	}
	if r := staff.Post(self, good); r.Status != 403 || stored() != 0 {
		t.Fatalf("self record: %d, %d rows", r.Status, stored())
	}

	// The real thing, with the Italian date format.
	f := url.Values{}
	for k, v := range good {
		f[k] = v
	}
	f.Set("birth_date", "12/04/2009")
	r = staff.Post(person, f)
	if r.Status != 303 || r.Location != person {
		t.Fatalf("record: %d %s", r.Status, apptest.Text(r.Body))
	}
	r = staff.Follow(r)
	if !strings.Contains(r.Body, "Verifica registrata") || !strings.Contains(apptest.Text(r.Body), "Verifica allo sportello") {
		t.Fatalf("after: %s", apptest.Text(r.Body))
	}
	if n := h.Count(`SELECT COUNT(*) FROM verifications WHERE user_id = $1 AND method = 'desk' AND verified_by = $2`, giulia.ID, staffUser.ID); n != 1 {
		t.Fatalf("verification: %d", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'verification.desk' AND target_id = $1 AND actor_id = $2`, giulia.ID, staffUser.ID); n != 1 {
		t.Fatalf("audit: %d", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE after_json LIKE $1 OR after_json LIKE $2`, "%"+code+"%", "%CA00000AA%"); n != 0 {
		t.Fatal("personal data in the audit log")
	}
	// The same person on a second account is refused.
	other := h.CreateUser("giulia2@prova.it", "giulia_bis", false)
	r = staff.Post("/admin/desk/"+strconv.FormatInt(other.ID, 10), good)
	if r.Status != 422 || !strings.Contains(r.Body, "Questa persona ha già un altro account") {
		t.Fatalf("second account: %d %s", r.Status, apptest.Text(r.Body))
	}
	if n := h.Count(`SELECT COUNT(*) FROM verifications WHERE user_id = $1`, other.ID); n != 0 {
		t.Fatalf("second account verified: %d", n)
	}
	// The person sees it on their page.
	r = h.Client().LoginAs(giulia).Get("/account/verifications")
	if text := apptest.Text(r.Body); r.Status != 200 || !strings.Contains(text, "Verifica allo sportello (URP Municipio 5)") || !strings.Contains(text, "Non scade") {
		t.Fatalf("person's page: %d %s", r.Status, text)
	}
}

func nextLetter(c byte) string {
	if c == 'Z' {
		return "A"
	}
	return string(c + 1)
}
