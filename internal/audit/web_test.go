package audit_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/kernel"
)

func TestAuditPages(t *testing.T) {
	h := apptest.New(t)
	pid, _ := authztest.CreateProcess(t, h.DB, "rosso", true)
	other, _ := authztest.CreateProcess(t, h.DB, "giallo", true)
	staff := h.CreateUser("staff@prova.it", "ufficio", true)
	ctx := kernel.WithActor(context.Background(), kernel.Actor{UserID: staff.ID})
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	// 60 entries in the red process, then two in the yellow one.
	for i := 1; i <= 60; i++ {
		err := audit.Record(ctx, h.DB.W(), at.Add(time.Duration(i)*time.Minute), audit.Entry{
			Action: "component.rename", TargetType: "component", TargetID: int64(i), SpaceType: "process", SpaceID: pid,
			Before: map[string]any{"name": fmt.Sprintf("old-%d", i)}, After: map[string]any{"name": fmt.Sprintf("<b>new-%d</b>", i)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"role.assign", "mystery.thing"} {
		if err := audit.Record(ctx, h.DB.W(), at.Add(2*time.Hour), audit.Entry{Action: a, TargetType: "space_role", TargetID: 7, SpaceType: "process", SpaceID: other}); err != nil {
			t.Fatal(err)
		}
	}
	if err := audit.Record(context.Background(), h.DB.W(), at.Add(3*time.Hour), audit.Entry{Action: "session.sweep", TargetType: "system"}); err != nil {
		t.Fatal(err)
	}

	if r := h.Client().Get("/admin/audit"); r.Status != http.StatusSeeOther {
		t.Fatalf("anonymous: %d", r.Status)
	}
	citizen := h.Participant("curioso")
	if r := citizen.Get("/admin/audit"); r.Status != http.StatusForbidden {
		t.Fatalf("participant: %d", r.Status)
	}

	admin := h.Admin()
	r := admin.Get("/admin/audit")
	text := apptest.Text(r.Body)
	if r.Status != 200 {
		t.Fatalf("admin: %d", r.Status)
	}
	// Newest first: the system entry, the unknown action shown raw, the translated one.
	sys, mystery, assign, last := strings.Index(text, "Sistema"), strings.Index(text, "mystery.thing"), strings.Index(text, "Ruolo assegnato"), strings.Index(text, "new-60")
	if sys < 0 || mystery < sys || assign < mystery || last < assign {
		t.Fatalf("order or labels wrong: %s", text)
	}
	if !strings.Contains(text, "ufficio") || !strings.Contains(text, "Componente rinominato") || !strings.Contains(text, "nel processo «Processo rosso»") {
		t.Fatalf("who/what/space missing: %s", text)
	}
	if !strings.Contains(r.Body, `<pre class="json-cell">{`+"\n"+`  &#34;name&#34;: &#34;&lt;b&gt;new-60&lt;/b&gt;&#34;`) {
		t.Fatalf("after value not pretty-printed and escaped: %s", r.Body)
	}
	// One page holds 50 entries; the "older" link continues the keyset.
	if n := strings.Count(r.Body, `<time datetime=`); n != audit.PageSize {
		t.Fatalf("%d entries on the first page", n)
	}
	if !strings.Contains(r.Body, "new-14&lt;") || strings.Contains(r.Body, "new-13&lt;") {
		t.Fatalf("page 1 does not end at the 50th entry: %s", text)
	}
	older := extractHref(t, r.Body, "Operazioni meno recenti")
	r2 := admin.Get(older)
	text2 := apptest.Text(r2.Body)
	if !strings.Contains(r2.Body, "new-13&lt;") || !strings.Contains(r2.Body, "new-1&lt;") {
		t.Fatalf("second page lacks the oldest entry: %s", text2)
	}
	if strings.Contains(r2.Body, "new-14&lt;") || strings.Contains(r2.Body, "Operazioni meno recenti") {
		t.Fatalf("second page repeats entries or links further: %s", text2)
	}

	// Filters: by action prefix, by space, and both.
	f := apptest.Text(admin.Get("/admin/audit?action=role.").Body)
	if !strings.Contains(f, "Ruolo assegnato") || strings.Contains(f, "Componente rinominato") {
		t.Fatalf("action filter: %s", f)
	}
	f = admin.Get(fmt.Sprintf("/admin/audit?space=%d", other)).Body
	if !strings.Contains(f, "mystery.thing") || strings.Contains(f, "new-60") || !strings.Contains(f, fmt.Sprintf(`<option value="%d" selected>`, other)) {
		t.Fatalf("space filter: %s", apptest.Text(f))
	}
	f = apptest.Text(admin.Get(fmt.Sprintf("/admin/audit?space=%d&action=component.", other)).Body)
	if !strings.Contains(f, "Nessuna operazione registrata") {
		t.Fatalf("combined filter: %s", f)
	}
	// Hostile and overlong filter input is harmless.
	for _, q := range []string{"?action=%27%3B+DROP+TABLE+audit_log%3B--", "?action=" + strings.Repeat("x", 5000), "?space=abc&before=-1"} {
		if r := admin.Get("/admin/audit" + q); r.Status != 200 {
			t.Fatalf("filter %q: %d", q[:min(len(q), 40)], r.Status)
		}
	}

	// A process's own log: its administrators see it, and only its entries.
	spaceLog := fmt.Sprintf("/admin/processes/%d/audit", other)
	if r := citizen.Get(spaceLog); r.Status != http.StatusForbidden {
		t.Fatalf("participant on space log: %d", r.Status)
	}
	var cid int64
	h.DB.R().QueryRow(`SELECT id FROM users WHERE nickname = 'curioso'`).Scan(&cid)
	authztest.Grant(t, h.DB, other, cid, "admin")
	r = citizen.Get(spaceLog)
	if r.Status != 200 || !strings.Contains(r.Body, "mystery.thing") || strings.Contains(r.Body, "new-60") || strings.Contains(r.Body, `id="f-space"`) {
		t.Fatalf("space log: %d %s", r.Status, apptest.Text(r.Body))
	}
	if r := citizen.Get(fmt.Sprintf("/admin/processes/%d/audit", pid)); r.Status != http.StatusForbidden {
		t.Fatalf("space admin on another process's log: %d", r.Status)
	}
	if r := citizen.Get("/admin/audit"); r.Status != http.StatusForbidden {
		t.Fatalf("space admin on the platform log: %d", r.Status)
	}
	if r := admin.Get("/admin/processes/424242/audit"); r.Status != http.StatusNotFound {
		t.Fatalf("missing process: %d", r.Status)
	}
}

func extractHref(t *testing.T, body, linkText string) string {
	t.Helper()
	i := strings.Index(body, ">"+linkText+"</a>")
	if i < 0 {
		t.Fatalf("no link %q", linkText)
	}
	j := strings.LastIndex(body[:i], `href="`)
	href := body[j+6:]
	return html.UnescapeString(href[:strings.IndexByte(href, '"')])
}
