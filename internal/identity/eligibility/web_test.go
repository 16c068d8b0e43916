package eligibility_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/identity/eligibility"
	"github.com/arengo/arengo/internal/kernel"
)

// reqForm is the requirements form with every action on the platform default.
func reqForm(actions ...string) url.Values {
	v := url.Values{}
	for _, a := range actions {
		v.Set(a+"_preset", "default")
		v.Set(a+"_min_level", "email")
		v.Set(a+"_min_age", "16")
		v.Set(a+"_residence", "any")
	}
	return v
}

func TestRequirementsPage(t *testing.T) {
	h := apptest.New(t)
	ctx := context.Background()
	if err := h.App.Services.Registry.Register(component.Manifest{Type: "petitions", NameKey: "component.action.sign",
		Actions: []string{component.ActionSign, component.ActionComment}}); err != nil {
		t.Fatal(err)
	}
	proc, _ := authztest.CreateProcess(t, h.DB, "petizioni", true, authztest.Phase{Title: "Firme", Start: time.Now().Add(-time.Hour), End: time.Now().Add(time.Hour)})
	other, _ := authztest.CreateProcess(t, h.DB, "altro", true)
	c, err := h.App.Services.Components.Create(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: proc}, "petitions", kernel.Text{"it": "Petizioni", "en": "Petitions"})
	if err != nil {
		t.Fatal(err)
	}
	path := eligibility.RequirementsURL(proc, c.ID)

	// Who may open the page.
	if r := h.Client().Get(path); r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("anonymous: %d %s", r.Status, r.Location)
	}
	if r := h.Participant("curiosa").Get(path); r.Status != 403 {
		t.Fatalf("participant: %d", r.Status)
	}
	capo := h.CreateUser("capo@prova.it", "capoprogetto", false)
	authztest.Grant(t, h.DB, proc, capo.ID, authz.RoleAdmin)
	space := h.Client().LoginAs(capo)
	if r := space.Get(eligibility.RequirementsURL(other, c.ID)); r.Status != 403 {
		t.Fatalf("space admin of another process: %d", r.Status)
	}
	admin := h.Admin()
	if r := admin.Get(eligibility.RequirementsURL(other, c.ID)); r.Status != 404 {
		t.Fatalf("component of another process: %d", r.Status)
	}
	r := space.Get(path)
	text := apptest.Text(r.Body)
	if r.Status != 200 || !strings.Contains(text, "Chi può partecipare a «Petizioni»") || !strings.Contains(text, "Firmare") ||
		!strings.Contains(text, "Commentare") || !strings.Contains(r.Body, `<option value="default" selected>`) {
		t.Fatalf("page: %d %s", r.Status, text)
	}
	if !strings.Contains(text, "Regola predefinita della piattaforma: Account con email confermata · almeno 16 anni · Chiunque") {
		t.Fatalf("default rule not explained: %s", text)
	}

	audits := func() int { return h.Count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'eligibility.%'`) }
	rows := func() int {
		return h.Count(`SELECT COUNT(*) FROM eligibility_requirements WHERE component_id = $1`, c.ID)
	}

	// Bad input: every wrong field explained, 422, nothing stored.
	bad := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"age not a number", map[string]string{"sign_preset": "custom", "sign_min_age": "sedici"}, []string{"L&#39;età minima deve essere un numero da 0 a 120"}},
		{"age too high", map[string]string{"sign_preset": "custom", "sign_min_age": "500"}, []string{"L&#39;età minima deve essere un numero da 0 a 120"}},
		{"negative age", map[string]string{"sign_preset": "custom", "sign_min_age": "-1"}, []string{"L&#39;età minima deve essere un numero da 0 a 120"}},
		{"unknown level", map[string]string{"sign_preset": "custom", "sign_min_level": "spid_l9"}, []string{"Scegli il livello di identificazione richiesto"}},
		{"unknown residence", map[string]string{"sign_preset": "custom", "sign_residence": "marte"}, []string{"Scegli chi può partecipare in base alla residenza"}},
		{"residence with email only", map[string]string{"sign_preset": "custom", "sign_residence": "comune"}, []string{"Residenza e iscrizione alle liste elettorali si verificano solo"}},
		{"unknown preset, hostile", map[string]string{"sign_preset": "<script>alert(1)</script>", "comment_preset": ""}, []string{"Scegli una delle regole proposte"}},
		{"two actions wrong", map[string]string{"sign_preset": "custom", "sign_min_age": "x", "comment_preset": "bogus"},
			[]string{"L&#39;età minima deve essere", "Scegli una delle regole proposte"}},
	}
	for _, b := range bad {
		f := reqForm("sign", "comment")
		for k, v := range b.set {
			f.Set(k, v)
		}
		r := space.Post(path, f)
		if r.Status != 422 || !strings.Contains(r.Body, `aria-invalid="true"`) || strings.Contains(r.Body, "<script>alert(1)") {
			t.Fatalf("%s: %d %s", b.name, r.Status, apptest.Text(r.Body))
		}
		for _, w := range b.want {
			if !strings.Contains(r.Body, w) {
				t.Errorf("%s: no %q in %s", b.name, w, apptest.Text(r.Body))
			}
		}
		if rows() != 0 || audits() != 0 {
			t.Fatalf("%s: stored %d rows, %d audit entries", b.name, rows(), audits())
		}
	}
	// What was typed is kept.
	f := reqForm("sign", "comment")
	f.Set("sign_preset", "custom")
	f.Set("sign_min_age", "sedici")
	if r := space.Post(path, f); !strings.Contains(r.Body, `value="sedici"`) {
		t.Fatalf("typed value lost")
	}

	// The space administrator sets "SPID L2, 16+, residents of the process's
	// territory" on signing and a preset on commenting.
	f = reqForm("sign", "comment")
	f.Set("sign_preset", "custom")
	f.Set("sign_min_level", "spid_l2")
	f.Set("sign_residence", "municipio")
	f.Set("comment_preset", "registered")
	r = space.Post(path, f)
	if r.Status != 303 || r.Location != path {
		t.Fatalf("save: %d %s", r.Status, apptest.Text(r.Body))
	}
	if r = space.Follow(r); !strings.Contains(r.Body, "Requisiti salvati") {
		t.Fatalf("no flash: %s", apptest.Text(r.Body))
	}
	got, ok, err := h.App.Services.IdentityX.Requirements.Get(ctx, c.ID, "sign")
	want := eligibility.Requirement{MinLevel: eligibility.LevelSpidL2, MinAge: 16, Residence: eligibility.ResidenceMunicipio}
	if err != nil || !ok || got != want {
		t.Fatalf("stored %+v %v %v", got, ok, err)
	}
	if got, _, _ := h.App.Services.IdentityX.Requirements.Get(ctx, c.ID, "comment"); got != eligibility.Presets["registered"] {
		t.Fatalf("comment: %+v", got)
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'eligibility.set' AND space_type = 'process' AND space_id = $1 AND actor_id = $2`, proc, capo.ID); n != 2 {
		t.Fatalf("audit entries: %d", n)
	}
	// The page shows what is stored.
	r = space.Get(path)
	if !strings.Contains(r.Body, `<option value="custom" selected>`) || !strings.Contains(r.Body, `<option value="registered" selected>`) ||
		!strings.Contains(r.Body, `<option value="spid_l2" selected>`) {
		t.Fatalf("stored values not shown")
	}
	// Saving the same again writes no audit entry; going back to the default
	// removes the choice, audited.
	if r := space.Post(path, f); r.Status != 303 || audits() != 2 {
		t.Fatalf("resave: %d, %d audit entries", r.Status, audits())
	}
	f.Set("sign_preset", "default")
	if r := admin.Post(path, f); r.Status != 303 {
		t.Fatalf("reset: %d", r.Status)
	}
	if _, ok, _ := h.App.Services.IdentityX.Requirements.Get(ctx, c.ID, "sign"); ok {
		t.Fatal("sign requirement not removed")
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'eligibility.reset' AND target_id = $1`, c.ID); n != 1 {
		t.Fatalf("reset audit: %d", n)
	}
	// A preset by name.
	f.Set("sign_preset", "resident_municipio")
	if r := admin.Post(path, f); r.Status != 303 {
		t.Fatalf("preset: %d", r.Status)
	}
	if got, _, _ := h.App.Services.IdentityX.Requirements.Get(ctx, c.ID, "sign"); got != eligibility.Presets["resident_municipio"] {
		t.Fatalf("preset stored %+v", got)
	}
}
