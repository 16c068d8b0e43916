package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/identity/eligibility"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
)

// Deleting the account erases the legal identity, verifications, desk
// checks and city-user requests in the same transaction — and nobody
// else's.
func TestAccountDeletionErasesIdentityData(t *testing.T) {
	h := apptest.New(t)
	ctx := context.Background()
	verif := h.App.Services.IdentityX.Verification
	staff := h.CreateUser("urp@prova.it", "urp", true)
	people := map[string]int64{}
	codes := map[string]string{}
	for i, nick := range []string{"lascia", "resta"} {
		u := h.CreateUser(nick+"@prova.it", nick, false)
		people[nick] = u.ID
		birth := time.Date(1980+i, 2, 3, 0, 0, 0, 0, time.UTC)
		code, err := codicefiscale.Generate(codicefiscale.Person{FamilyName: "Gallo", GivenName: "Pia", BirthDate: birth, Sex: codicefiscale.Female, Birthplace: "F205"})
		if err != nil {
			t.Fatal(err)
		}
		codes[nick] = code
		if _, err := verif.RecordDesk(ctx, staff.ID, u.ID, verification.DeskInput{FiscalCode: code, GivenName: "Pia", FamilyName: "Gallo", BirthDate: birth,
			DocumentType: "passport", DocumentNumber: "YA000" + nick, Office: "URP"}); err != nil {
			t.Fatal(err)
		}
		if r := h.Client().LoginAs(u).Post("/account/city-user", url.Values{"reason": {"work"}, "details": {"Lavoro in centro"}}); r.Status != 303 {
			t.Fatalf("request: %d", r.Status)
		}
	}
	count := func(uid int64) int {
		n := 0
		for _, table := range []string{"user_identities", "verifications", "desk_verifications", "city_user_requests"} {
			n += h.Count(`SELECT COUNT(*) FROM `+table+` WHERE user_id = $1`, uid)
		}
		return n
	}
	if count(people["lascia"]) != 4 || count(people["resta"]) != 4 {
		t.Fatalf("setup: %d %d", count(people["lascia"]), count(people["resta"]))
	}
	c := h.Client().LoginAs(mustUser(t, h, people["lascia"]))
	// A wrong password erases nothing.
	if r := c.Post("/account/delete", url.Values{"password": {"sbagliata-davvero"}}); r.Status != 422 || count(people["lascia"]) != 4 {
		t.Fatalf("wrong password: %d, %d rows", r.Status, count(people["lascia"]))
	}
	if r := c.Post("/account/delete", url.Values{"password": {"correct-horse-battery"}}); r.Status != 303 {
		t.Fatalf("delete: %d %s", r.Status, apptest.Text(r.Body))
	}
	if n := count(people["lascia"]); n != 0 {
		t.Fatalf("%d identity rows left after deletion", n)
	}
	if n := count(people["resta"]); n != 4 {
		t.Fatalf("another person's rows: %d", n)
	}
	// The person may register again and be verified again: the codice
	// fiscale is free.
	if _, err := verif.FindUserByFiscalCode(ctx, codes["lascia"]); err == nil {
		t.Fatal("the deleted person's identity is still found")
	}
	if id, err := verif.FindUserByFiscalCode(ctx, codes["resta"]); err != nil || id != people["resta"] {
		t.Fatalf("the other person's identity: %d %v", id, err)
	}
}

func mustUser(t *testing.T, h *apptest.Harness, id int64) identity.User {
	t.Helper()
	u, err := h.App.Services.Identity.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Authorization in the running platform asks the eligibility evaluator:
// a requirement chosen for a component action is enforced, and an action
// nobody configured keeps the default (a confirmed email).
func TestAuthorizeUsesEligibilityRequirements(t *testing.T) {
	h := apptest.New(t)
	ctx := context.Background()
	if err := h.App.Services.Registry.Register(component.Manifest{Type: "petitions", NameKey: "component.action.sign",
		Actions: []string{component.ActionSign, component.ActionComment}}); err != nil {
		t.Fatal(err)
	}
	now := h.Clock.Now()
	proc, ph := authztest.CreateProcess(t, h.DB, "firme", true, authztest.Phase{Title: "Firme", Start: now.Add(-time.Hour), End: now.Add(time.Hour)})
	comps := h.App.Services.Components
	c, err := comps.Create(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: proc}, "petitions", kernel.Text{"it": "Petizioni"})
	if err != nil {
		t.Fatal(err)
	}
	if err := comps.SetPhaseActions(ctx, c.ID, component.PhaseActions{ph[0]: {"sign", "comment"}}); err != nil {
		t.Fatal(err)
	}
	if err := comps.SetPublished(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := h.App.Services.IdentityX.Requirements.Set(ctx, c.ID, "sign", eligibility.Presets["resident_comune"], "process", proc); err != nil {
		t.Fatal(err)
	}
	u := h.CreateUser("elena@prova.it", "elena", false)
	az := h.App.Services.Authz
	d, err := az.Authorize(ctx, authz.Request{UserID: u.ID, ComponentID: c.ID, Action: "sign"})
	if err != nil || d.Allowed || d.MessageKey() != "eligibility.reason.level_spid_l2" || d.HelpURL != eligibility.HelpLogin {
		t.Fatalf("sign: %+v %v", d, err)
	}
	if d, err := az.Authorize(ctx, authz.Request{UserID: u.ID, ComponentID: c.ID, Action: "comment"}); err != nil || !d.Allowed {
		t.Fatalf("comment: %+v %v", d, err)
	}
	// The dashboard leads staff to the city-user queue and the desk.
	r := h.Admin().Get("/admin")
	for _, link := range []string{`href="/admin/city-users"`, `href="/admin/desk"`} {
		if !strings.Contains(r.Body, link) {
			t.Errorf("dashboard lacks %s", link)
		}
	}
}

// With ARENGO_CENSUS_URL set, residence comes from the registry service
// (with its token), not from the CSV imports; ARENGO_CITY_USER_APPROVAL
// sets how long an approval lasts.
func TestCensusServiceAndApprovalFromConfig(t *testing.T) {
	var gotAuth string
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"resident": true, "municipio": "7"}`)
	}))
	defer registry.Close()
	h := apptest.New(t, func(c *config.Config) {
		c.CensusURL, c.CensusToken = registry.URL, "segreto"
		c.CityUserApproval = 48 * time.Hour
	})
	ctx := context.Background()
	u := h.CreateUser("ivo@prova.it", "ivo", false)
	birth := time.Date(1970, 6, 1, 0, 0, 0, 0, time.UTC)
	code, _ := codicefiscale.Generate(codicefiscale.Person{FamilyName: "Russo", GivenName: "Ivo", BirthDate: birth, Sex: codicefiscale.Male, Birthplace: "F205"})
	id, rerr, err := h.App.Services.IdentityX.Verification.VerifyWithLogin(ctx, u.ID,
		verification.PersonalData{FiscalCode: code, GivenName: "Ivo", FamilyName: "Russo", BirthDate: birth},
		verification.NewVerification{Method: verification.MethodSPID, Level: verification.LevelSpidL2})
	if err != nil || rerr != nil || !id.Resident || id.Municipio != "7" || gotAuth != "Bearer segreto" {
		t.Fatalf("recheck through the service: %+v %v %v, auth %q", id, rerr, err, gotAuth)
	}
	if v := h.App.Services.IdentityX.CityUsers.Validity(); v != 48*time.Hour {
		t.Fatalf("approval length %v", v)
	}
}
