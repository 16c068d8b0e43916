package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
)

// The demo consultation on the Air and Climate Plan: loaded once, with
// observations, supports, reports and a first set of published replies.
func TestDemoConsultation(t *testing.T) {
	h := apptest.New(t, apptest.Demo)
	for range 2 {
		if _, err := h.App.LoadDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var cid int64
	err := h.DB.R().QueryRow(`SELECT c.id FROM components c JOIN processes p ON p.id = c.space_id
		WHERE c.type = 'consultation' AND p.slug = 'piano-aria-clima-consultazione' AND c.published_at IS NOT NULL`).Scan(&cid)
	if err != nil {
		t.Fatalf("no published demo consultation: %v", err)
	}
	if n := h.Count(`SELECT COUNT(*) FROM components WHERE type = 'consultation'`); n != 1 {
		t.Fatalf("%d consultations after loading twice", n)
	}
	obs := h.Count(`SELECT COUNT(*) FROM consultation_observations WHERE component_id = $1`, cid)
	published := h.Count(`SELECT COUNT(*) FROM consultation_replies WHERE component_id = $1 AND published_at IS NOT NULL`, cid)
	drafts := h.Count(`SELECT COUNT(*) FROM consultation_replies WHERE component_id = $1 AND published_at IS NULL`, cid)
	outcomes := h.Count(`SELECT COUNT(DISTINCT outcome) FROM consultation_replies WHERE component_id = $1 AND published_at IS NOT NULL`, cid)
	if obs < 40 || published < 15 || published >= obs || drafts == 0 || outcomes != 4 {
		t.Fatalf("observations %d, published replies %d, drafts %d, outcomes %d", obs, published, drafts, outcomes)
	}
	if n := h.Count(`SELECT COUNT(*) FROM consultation_observations WHERE component_id = $1 AND proposed <> ''`, cid); n < 10 {
		t.Fatalf("only %d observations propose wording", n)
	}
	if n := h.Count(`SELECT COALESCE(SUM(supports_count), 0) FROM consultation_observations WHERE component_id = $1`, cid); n < 50 {
		t.Fatalf("supports: %d", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM moderation_items WHERE ref_type = 'observation' AND hidden_at IS NOT NULL`); n != 1 {
		t.Fatalf("hidden observations: %d", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM comments WHERE ref_type = 'observation'`); n < 10 {
		t.Fatalf("comments on observations: %d", n)
	}
	base := fmt.Sprintf("/processes/piano-aria-clima-consultazione/c/%d", cid)
	doc := h.Client().Get(base)
	text := apptest.Text(doc.Body)
	if doc.Status != 200 || !strings.Contains(text, "Art. 2 – Mobilità sostenibile") || !strings.Contains(text, "Accolta") {
		t.Fatalf("demo document: %d %s", doc.Status, text)
	}
	for _, path := range []string{"/observations", "/observations?sort=supported", "/observations?sort=commented", "/report", "/report.csv", "/opendata/consultation_observations.json"} {
		if r := h.Client().Get(base + path); r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
	}
}
