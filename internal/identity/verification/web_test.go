package verification_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/identity/verification"
)

// The account page leads to the participant's identification page, which
// says in plain words how they were verified and where they count as
// resident.
func TestMyVerificationsPage(t *testing.T) {
	h := apptest.New(t)
	ctx := context.Background()
	now := h.Clock.Now()
	if r := h.Client().Get("/account/verifications"); r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("anonymous: %d", r.Status)
	}
	u := h.CreateUser("marta@prova.it", "marta", false)
	c := h.Client().LoginAs(u)

	acc := c.Get("/account")
	for _, link := range []string{`href="/account/verifications"`, `href="/account/city-user"`, `href="/account/data"`} {
		if !strings.Contains(acc.Body, link) {
			t.Errorf("/account lacks %s", link)
		}
	}

	text := apptest.Text(c.Get("/account/verifications").Body)
	if !strings.Contains(text, "Non conosciamo ancora la tua residenza") || !strings.Contains(text, "Finora hai solo confermato il tuo indirizzo email") ||
		!strings.Contains(text, "Chiedi di partecipare come utente della città") {
		t.Fatalf("email only: %s", text)
	}

	birth := time.Date(1975, 1, 2, 0, 0, 0, 0, time.UTC)
	code, _ := codicefiscale.Generate(codicefiscale.Person{FamilyName: "Neri", GivenName: "Marta", BirthDate: birth, Sex: codicefiscale.Female, Birthplace: "F205"})
	verif := h.App.Services.IdentityX.Verification
	if _, _, err := verif.VerifyWithLogin(ctx, u.ID, verification.PersonalData{FiscalCode: code, GivenName: "Marta", FamilyName: "Neri", BirthDate: birth},
		verification.NewVerification{Method: verification.MethodSPID, Level: verification.LevelSpidL2, ExpiresAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	text = apptest.Text(c.Get("/account/verifications").Body)
	if !strings.Contains(text, "Secondo l'anagrafe non risulti residente") || !strings.Contains(text, "SPID livello 2") || !strings.Contains(text, "Scaduta il") {
		t.Fatalf("non-resident: %s", text)
	}
	if strings.Contains(text, code) || strings.Contains(text, "Neri") {
		t.Fatal("the page shows the legal identity")
	}

	if _, err := h.DB.W().Exec(`INSERT INTO territories (slug, name, kind, census_code) VALUES ('municipio-5', '{"it":"Municipio 5","en":"Municipio 5"}', 'municipio', '5')`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.DB.W().Exec(`UPDATE user_identities SET resident = $1, municipio = '5', elector = $1, checked_at = $2 WHERE user_id = $3`, true, now, u.ID); err != nil {
		t.Fatal(err)
	}
	text = apptest.Text(c.Get("/account/verifications").Body)
	if !strings.Contains(text, "Risulti residente nel Comune, nel Municipio 5.") || !strings.Contains(text, "Sei nelle liste elettorali") ||
		strings.Contains(text, "utente della città") {
		t.Fatalf("resident: %s", text)
	}

	// A non-resident approved as city user.
	p := h.CreateUser("luca@prova.it", "luca", false)
	if _, err := h.DB.W().Exec(`INSERT INTO city_user_requests (user_id, reason, details, status, created_at, decided_at, expires_at) VALUES ($1, 'work', 'Lavoro qui', 'approved', $2, $2, $3)`,
		p.ID, now, now.Add(100*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	text = apptest.Text(h.Client().LoginAs(p).Get("/account/verifications").Body)
	if !strings.Contains(text, "Sei un utente della città approvato per tutto il Comune fino al 3 marzo 2027") {
		t.Fatalf("city user: %s", text)
	}
}
