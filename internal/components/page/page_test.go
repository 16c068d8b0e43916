package page_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/components/page"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
)

func TestPageStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := &kernel.FixedClock{T: t0}
		mod := page.New(d, clock)
		reg := component.NewRegistry()
		if err := reg.Register(mod.Manifest()); err != nil {
			t.Fatal(err)
		}
		svc := component.NewService(d, clock, reg)
		pid, _ := authztest.CreateProcess(t, d, "p", true)
		c, err := svc.Create(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: pid}, page.Type, kernel.Text{"it": "Regole"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := mod.Get(ctx, c.ID)
		if err != nil || !p.Body.IsZero() {
			t.Fatalf("new page: %+v %v", p, err)
		}

		for name, body := range map[string]kernel.Text{
			"empty":            {"it": "", "en": "x"},
			"blank":            {"it": " \n\t "},
			"too long":         {"it": strings.Repeat("é", page.MaxBodyLen+1)},
			"English too long": {"it": "ok", "en": strings.Repeat("e", page.MaxBodyLen+1)},
		} {
			if _, ok := kernel.AsInvalid(mod.Save(ctx, c, body)); !ok {
				t.Errorf("%s: accepted", name)
			}
		}
		if p, _ := mod.Get(ctx, c.ID); !p.Body.IsZero() {
			t.Fatalf("rejected body stored: %v", p.Body)
		}

		clock.Advance(3600e9)
		body := kernel.Text{"it": "  # Regole\n\n<script>x</script> 'quote' ", "en": ""}
		if err := mod.Save(ctx, c, body); err != nil {
			t.Fatal(err)
		}
		p, err = mod.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Stored as written (trimmed), sanitised only when rendered; no empty English.
		if p.Body["it"] != "# Regole\n\n<script>x</script> 'quote'" || p.Body["en"] != "" || !p.UpdatedAt.Equal(clock.T) {
			t.Fatalf("stored %+v", p)
		}
		var before, after string
		if err := d.R().QueryRow(`SELECT before_json, after_json FROM audit_log WHERE action = 'page.update'`).Scan(&before, &after); err != nil {
			t.Fatal(err)
		}
		if before != `{"body":{}}` || !strings.Contains(after, "# Regole") {
			t.Fatalf("audit %s → %s", before, after)
		}

		ex := mod.Manifest().Exporters
		if len(ex) != 1 || ex[0].Dataset() != "pages" {
			t.Fatalf("exporters %v", ex)
		}
		var buf bytes.Buffer
		if err := ex[0].Export(ctx, c, &buf); err != nil {
			t.Fatal(err)
		}
		var rec map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatalf("export is not JSON: %s", buf.String())
		}
		if rec["component_id"].(float64) != float64(c.ID) || !strings.Contains(buf.String(), "# Regole") {
			t.Fatalf("export %s", buf.String())
		}
	})
}
