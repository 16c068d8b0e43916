package notify_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
)

func TestNotificationsPage(t *testing.T) {
	h := apptest.New(t)
	anna := h.CreateUser("anna@prova.it", "anna_r", false)
	bruno := h.CreateUser("bruno@prova.it", "bruno_r", false)
	c := h.Client().LoginAs(anna)

	if r := h.Client().Get("/account/notifications"); r.Status != 303 {
		t.Fatalf("anonymous: %d", r.Status)
	}
	if r := c.Get("/account/notifications"); r.Status != 200 || !strings.Contains(r.Body, "Non hai notifiche") {
		t.Fatalf("empty list: %d %s", r.Status, apptest.Text(r.Body))
	}
	for _, u := range []int64{anna.ID, anna.ID, bruno.ID} {
		if _, err := h.DB.W().Exec(`INSERT INTO notifications (user_id, kind, url, params, created_at) VALUES ($1, $2, $3, $4, $5)`,
			u, "consultation.reply", "/x#reply", `{"protocol":"PAC-2026-000007","outcome":"accepted","outcome_key":"consultation.outcome.accepted"}`, h.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	r := c.Get("/account/notifications")
	text := apptest.Text(r.Body)
	if !strings.Contains(text, "Notifiche (2 da leggere)") {
		t.Fatalf("header badge missing: %s", text)
	}
	if !strings.Contains(text, "L'amministrazione ha risposto alla tua osservazione PAC-2026-000007: Accolta") || strings.Count(r.Body, `href="/x#reply"`) != 2 {
		t.Fatalf("list: %s", text)
	}
	c.Lang = "en"
	if r := c.Post("/lang", url.Values{"lang": {"en"}, "next": {"/account/notifications"}}); r.Status != 303 {
		t.Fatalf("lang: %d", r.Status)
	}
	if r := c.Get("/account/notifications"); !strings.Contains(apptest.Text(r.Body), "replied to your observation PAC-2026-000007: Accepted") {
		t.Fatalf("english: %s", apptest.Text(r.Body))
	}
	if r := c.Post("/account/notifications/read", nil); r.Status != 303 {
		t.Fatalf("mark read: %d", r.Status)
	}
	if n := h.Count(`SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, anna.ID); n != 0 {
		t.Fatalf("%d still unread", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, bruno.ID); n != 1 {
		t.Fatalf("another person's notification touched: %d unread", n)
	}
}
