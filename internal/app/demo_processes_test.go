package app_test

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
)

func TestDemoProcesses(t *testing.T) {
	h := apptest.New(t, apptest.Demo)
	for range 2 { // the second run must add nothing
		if _, err := h.App.LoadDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for query, want := range map[string]int{
		`SELECT COUNT(*) FROM territories`:                              10,
		`SELECT COUNT(*) FROM territories WHERE kind = 'municipio'`:     9,
		`SELECT COUNT(*) FROM processes WHERE published_at IS NOT NULL`: 4,
		`SELECT COUNT(*) FROM pact_versions`:                            5,
		`SELECT COUNT(*) FROM phases`:                                   12,
	} {
		if n := h.Count(query); n != want {
			t.Errorf("%s = %d, want %d", query, n, want)
		}
	}

	c := h.Client()
	home := c.Get("/")
	text := html.UnescapeString(apptest.Text(home.Body))
	iOpen := strings.Index(text, "Processi aperti ora")
	iUpcoming := strings.Index(text, "Processi in arrivo")
	for _, title := range []string{"Bilancio partecipativo 2026", "Piano Aria e Clima – consultazione"} {
		if i := strings.Index(text, title); i < iOpen || i > iUpcoming {
			t.Errorf("%q is not among the open processes", title)
		}
	}
	if i := strings.Index(text, "Piazze aperte nel Municipio 8"); i < iUpcoming {
		t.Error("Piazze aperte is not among the upcoming processes")
	}
	if strings.Contains(text, "Verde di quartiere") {
		t.Error("the closed process is on the home page")
	}
	if r := c.Get("/processes?status=closed"); !strings.Contains(r.Body, "Verde di quartiere nel Municipio 4") {
		t.Error("the closed process is not listed as closed")
	}
	show := html.UnescapeString(apptest.Text(c.Get("/processes/bilancio-partecipativo-2026").Body))
	for _, s := range []string{"Fase 2: Co-progettazione Fase in corso", "Comune di Milano", "versione 2", "Processo dimostrativo"} {
		if !strings.Contains(show, s) {
			t.Errorf("process page lacks %q", s)
		}
	}
	diff := c.Get("/processes/bilancio-partecipativo-2026/pact/versions/2")
	if !strings.Contains(diff.Body, "<ins>") || !strings.Contains(apptest.Text(diff.Body), "city user") {
		t.Error("version 2 of the demo Pact shows no diff")
	}
	c.Lang = "en"
	if r := c.Get("/processes/piano-aria-clima-consultazione"); !strings.Contains(r.Body, "Air and Climate Plan") || !strings.Contains(r.Body, "Observations") {
		t.Error("demo process not translated")
	}

	// Every local link reachable from the public process pages works.
	c.Lang = ""
	linkRe := regexp.MustCompile(`href="(/[^"#]*)"`)
	seen := map[string]bool{}
	queue := []string{"/", "/processes"}
	for len(queue) > 0 && len(seen) < 200 {
		p := html.UnescapeString(queue[0])
		queue = queue[1:]
		if seen[p] || strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/dev/") {
			continue
		}
		seen[p] = true
		r := c.Get(p)
		if r.Status >= 400 && !(r.Status == 404 && !strings.HasPrefix(p, "/processes")) {
			t.Errorf("GET %s: %d", p, r.Status)
			continue
		}
		if strings.Contains(r.Body, "[process.") {
			t.Errorf("GET %s: missing message key", p)
		}
		if strings.HasPrefix(p, "/processes") || p == "/" {
			for _, m := range linkRe.FindAllStringSubmatch(r.Body, -1) {
				queue = append(queue, m[1])
			}
		}
	}
	if !seen["/processes/bilancio-partecipativo-2026/pact/versions/1"] {
		t.Error("crawl did not reach the Pact versions")
	}
}
