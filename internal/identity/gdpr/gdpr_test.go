package gdpr_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/identity/verification"
)

// verify links a fictitious legal identity to userID as a SPID login would.
func verify(t *testing.T, h *apptest.Harness, userID int64, given, family string, birth time.Time) string {
	t.Helper()
	code, err := codicefiscale.Generate(codicefiscale.Person{FamilyName: family, GivenName: given, BirthDate: birth, Sex: codicefiscale.Female, Birthplace: "F205"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = h.App.Services.IdentityX.Verification.VerifyWithLogin(context.Background(), userID,
		verification.PersonalData{FiscalCode: code, GivenName: given, FamilyName: family, BirthDate: birth},
		verification.NewVerification{Method: verification.MethodSPID, Level: verification.LevelSpidL2})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func exec(t *testing.T, h *apptest.Harness, q string, args ...any) {
	t.Helper()
	if _, err := h.DB.W().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func unzip(t *testing.T, body string) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(b)
	}
	return out
}

func TestDownloadMyData(t *testing.T) {
	h := apptest.New(t)
	now := h.Clock.Now()
	if r := h.Client().Get("/account/data"); r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("anonymous page: %d", r.Status)
	}
	if r := h.Client().Post("/account/data/export", url.Values{}); r.Status != 401 {
		t.Fatalf("anonymous export: %d", r.Status)
	}

	anna := h.CreateUser("anna@prova.it", "anna", false)
	bruno := h.CreateUser("bruno@prova.it", "bruno", false)
	annaCF := verify(t, h, anna.ID, "Anna", "Esposito", time.Date(1990, 3, 4, 0, 0, 0, 0, time.UTC))
	brunoCF := verify(t, h, bruno.ID, "Bruna", "Colombo", time.Date(1985, 7, 8, 0, 0, 0, 0, time.UTC))
	staff := h.CreateUser("sportello@prova.it", "sportello", true)
	if _, err := h.App.Services.IdentityX.Verification.RecordDesk(context.Background(), staff.ID, anna.ID, verification.DeskInput{
		FiscalCode: annaCF, GivenName: "Anna", FamilyName: "Esposito", BirthDate: time.Date(1990, 3, 4, 0, 0, 0, 0, time.UTC),
		DocumentType: "passport", DocumentNumber: "YA1234567", Office: "URP Municipio 5",
	}); err != nil {
		t.Fatal(err)
	}
	ca := h.Client().LoginAs(anna)
	cb := h.Client().LoginAs(bruno)
	if r := ca.Post("/account/city-user", url.Values{"reason": {"work"}, "details": {"Lavoro in una biblioteca di via Padova"}}); r.Status != 303 {
		t.Fatalf("anna's request: %d", r.Status)
	}
	if r := cb.Post("/account/city-user", url.Values{"reason": {"study"}, "details": {"Segreto di Bruno: studio al Politecnico"}}); r.Status != 303 {
		t.Fatalf("bruno's request: %d", r.Status)
	}
	exec(t, h, `INSERT INTO comments (id, ref_type, ref_id, depth, author_id, body, created_at) VALUES (1, 'page', 1, 0, $1, 'Commento di Anna sul verde', $2)`, anna.ID, now)
	exec(t, h, `INSERT INTO comment_versions (comment_id, version, body, created_at) VALUES (1, 1, 'Prima versione di Anna', $1)`, now)
	exec(t, h, `INSERT INTO comments (id, ref_type, ref_id, depth, author_id, body, created_at) VALUES (2, 'page', 1, 0, $1, 'Commento privato di Bruno', $2)`, bruno.ID, now)
	exec(t, h, `INSERT INTO comment_votes (comment_id, user_id, value, created_at) VALUES (2, $1, 1, $2)`, anna.ID, now)
	exec(t, h, `INSERT INTO comment_votes (comment_id, user_id, value, created_at) VALUES (1, $1, -1, $2)`, bruno.ID, now)
	exec(t, h, `INSERT INTO moderation_items (id, ref_type, ref_id, author_id, reports_count, created_at, updated_at) VALUES (1, 'comment', 2, $1, 1, $2, $2)`, bruno.ID, now)
	exec(t, h, `INSERT INTO moderation_reports (item_id, reporter_id, reason, details, created_at) VALUES (1, $1, 'spam', 'Segnalazione di Anna', $2)`, anna.ID, now)
	exec(t, h, `INSERT INTO notifications (user_id, kind, url, created_at) VALUES ($1, 'mention', '/notifica-anna', $2)`, anna.ID, now)
	exec(t, h, `INSERT INTO notifications (user_id, kind, url, created_at) VALUES ($1, 'mention', '/notifica-bruno', $2)`, bruno.ID, now)

	r := ca.Get("/account/data")
	if r.Status != 200 || !strings.Contains(r.Body, `action="/account/data/export"`) || !strings.Contains(apptest.Text(r.Body), "Scarica i tuoi dati") {
		t.Fatalf("page: %d %s", r.Status, apptest.Text(r.Body))
	}
	r = ca.Post("/account/data/export", url.Values{})
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/zip" || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %s", r.Status, r.Header)
	}
	files := unzip(t, r.Body)
	for _, name := range []string{"LEGGIMI.txt", "account.json", "account.csv", "legal_identity.json", "verifications.json", "verifications.csv",
		"desk_verifications.json", "city_user_requests.json", "city_user_requests.csv", "sessions.json", "sessions.csv", "comments.json",
		"comments.csv", "comment_versions.json", "comment_votes.json", "reports.json", "notifications.json", "audit_log.json", "space_roles.json"} {
		if _, ok := files[name]; !ok {
			t.Errorf("no %s in %v", name, keys(files))
		}
	}
	all := strings.Join(values(files), "\n")
	for _, want := range []string{"anna@prova.it", annaCF, "Esposito", "1990-03-04", "YA1234567", "URP Municipio 5", "Lavoro in una biblioteca",
		"Commento di Anna sul verde", "Prima versione di Anna", "Segnalazione di Anna", "/notifica-anna", "apptest", "SpidL2"} {
		if !strings.Contains(all, want) {
			t.Errorf("the export lacks %q", want)
		}
	}
	for _, not := range []string{"bruno@prova.it", brunoCF, "Colombo", "Segreto di Bruno", "Commento privato di Bruno", "/notifica-bruno", "sportello@prova.it", "token"} {
		if strings.Contains(all, not) {
			t.Errorf("the export shows %q, which is not about Anna", not)
		}
	}
	var acc []map[string]any
	if err := json.Unmarshal([]byte(files["account.json"]), &acc); err != nil || len(acc) != 1 || acc[0]["nickname"] != "anna" {
		t.Fatalf("account.json: %v %s", err, files["account.json"])
	}
	var votes []map[string]any
	if err := json.Unmarshal([]byte(files["comment_votes.json"]), &votes); err != nil || len(votes) != 1 {
		t.Fatalf("votes: %s", files["comment_votes.json"])
	}
	if !strings.HasPrefix(files["comments.csv"], "id,ref_type,ref_id,") {
		t.Fatalf("csv header: %q", files["comments.csv"][:40])
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'gdpr.export' AND actor_id = $1 AND target_id = $1`, anna.ID); n != 1 {
		t.Fatalf("audit: %d", n)
	}

	// In English the README is named for English readers.
	exec(t, h, `UPDATE users SET locale = 'en' WHERE id = $1`, anna.ID)
	if files := unzip(t, ca.Post("/account/data/export", url.Values{}).Body); files["README.txt"] == "" {
		t.Fatalf("english readme: %v", keys(files))
	}
	// Rate-limited: five an hour.
	for i := 0; i < 3; i++ {
		ca.Post("/account/data/export", url.Values{})
	}
	if r := ca.Post("/account/data/export", url.Values{}); r.Status != 429 {
		t.Fatalf("sixth export: %d", r.Status)
	}
	if r := cb.Post("/account/data/export", url.Values{}); r.Status != 200 {
		t.Fatalf("another person is not limited by Anna: %d", r.Status)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
