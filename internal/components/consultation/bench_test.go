package consultation_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/components/consultation"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

// The performance target of issue 4: with 500 paragraphs, 5,000
// observations and 20,000 comments, the document page and an observation
// page render in under 50 ms of server time at p95, on SQLite and on
// PostgreSQL.
//
//	go test -run '^$' -bench ConsultationPages -benchtime 200x ./internal/components/consultation/
//	ARENGO_TEST_POSTGRES_URL=postgres://… go test -run '^$' -bench ConsultationPages -benchtime 200x ./internal/components/consultation/
//
// The seeded database is built once (a few seconds) and kept — a SQLite
// file in the temporary directory, a schema in the PostgreSQL test
// database — named after the migrations and the seeder version, so a
// change to either seeds again. Each request goes through the whole
// handler (middleware, session, routing, queries, templates) into a
// recorder; p50/p95/p99 are reported next to the mean.

// benchSeedVersion changes whenever SeedBulk generates different content.
const benchSeedVersion = "1"

// benchSlug is the seeded process.
const benchSlug = "bench-consultazione"

// benchSite is a seeded consultation behind the real application.
type benchSite struct {
	h        *apptest.Harness
	base     string // public URL of the consultation
	typical  int64  // an observation with the median number of comments
	busiest  int64  // the observation with the most comments
	comments int    // how many the busiest has
	session  string // a participant's session cookie
}

// seededDB opens (or seeds, the first time) the benchmark database.
func seededDB(tb testing.TB, engine db.Engine) *db.DB {
	tb.Helper()
	ctx := context.Background()
	migs, err := db.Migrations(engine)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.New()
	fmt.Fprint(sum, benchSeedVersion)
	for _, m := range migs {
		fmt.Fprint(sum, m.Version, m.SQL)
	}
	tag := hex.EncodeToString(sum.Sum(nil))[:12]
	var d *db.DB
	switch engine {
	case db.SQLite:
		path := filepath.Join(os.TempDir(), "arengo-bench-consultation-"+tag+".db")
		// Files seeded for older migrations are of no further use.
		old, _ := filepath.Glob(filepath.Join(os.TempDir(), "arengo-bench-consultation-*.db*"))
		for _, f := range old {
			if !strings.HasPrefix(filepath.Base(f), filepath.Base(path)) {
				os.Remove(f)
			}
		}
		if d, err = db.Open(ctx, path, db.Options{}); err != nil {
			tb.Fatal(err)
		}
	case db.Postgres:
		base := os.Getenv(dbtest.EnvPostgres)
		if base == "" {
			tb.Skip(dbtest.EnvPostgres + " not set")
		}
		schema := "bench_consultation_" + tag
		admin, err := sql.Open("pgx", base)
		if err != nil {
			tb.Fatal(err)
		}
		defer admin.Close()
		// Schemas seeded for older migrations are of no further use.
		rows, err := admin.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench_consultation_%' AND nspname <> $1`, schema)
		if err != nil {
			tb.Fatal(err)
		}
		var stale []string
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				stale = append(stale, n)
			}
		}
		rows.Close()
		for _, n := range stale {
			_, _ = admin.ExecContext(ctx, "DROP SCHEMA "+n+" CASCADE")
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			tb.Fatal(err)
		}
		u, _ := url.Parse(base)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		if d, err = db.Open(ctx, u.String(), db.Options{}); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	var n int
	if err := d.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM processes WHERE slug = $1`, benchSlug).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	if n == 0 {
		seedBench(tb, d)
	}
	return d
}

// seedBench seeds the benchmark's consultation at full size.
func seedBench(tb testing.TB, d *db.DB) {
	tb.Helper()
	start := time.Now()
	res := seedConsultation(tb, d, benchSlug, consultation.Bulk{Seed: 1})
	tb.Logf("seeded %s in %s: %d paragraphs, %d observations, %d comments, %d supports (bulk insert %s)", d.Engine,
		time.Since(start).Round(time.Millisecond), res.Paragraphs, res.Observations, res.Comments, res.Supports, res.BulkInsert.Round(time.Millisecond))
}

// seedConsultation creates a published process whose observation phase is
// open at apptest's clock, a published consultation in it, and fills it
// with spec.
func seedConsultation(tb testing.TB, d *db.DB, slug string, spec consultation.Bulk) consultation.BulkResult {
	tb.Helper()
	ctx := context.Background()
	h := apptest.NewWithDB(tb, d)
	now := h.Clock.Now()
	pid, phases := authztest.CreateProcess(tb, d, slug, true,
		authztest.Phase{Title: "Osservazioni", Start: now.AddDate(0, 0, -30), End: now.AddDate(0, 0, 30)})
	comps := h.App.Services.Components
	c, err := comps.Create(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: pid}, consultation.Type, kernel.Text{"it": "Piano di prova", "en": "Test plan"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := comps.SetPhaseActions(ctx, c.ID, component.PhaseActions{phases[0]: {component.ActionObserve, component.ActionSupport, component.ActionComment}}); err != nil {
		tb.Fatal(err)
	}
	if err := comps.SetPublished(ctx, c.ID, true); err != nil {
		tb.Fatal(err)
	}
	if c, err = comps.Get(ctx, c.ID); err != nil {
		tb.Fatal(err)
	}
	m, err := consultation.New(consultation.Deps{DB: d, Clock: h.Clock, Catalog: h.App.Catalog})
	if err != nil {
		tb.Fatal(err)
	}
	spec.Now = now
	res, err := m.SeedBulk(ctx, c, spec)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func newBenchSite(b *testing.B, engine db.Engine) *benchSite {
	b.Helper()
	d := seededDB(b, engine)
	h := apptest.NewWithDB(b, d)
	ctx := context.Background()
	s := &benchSite{h: h}
	var cid int64
	if err := d.R().QueryRowContext(ctx, `SELECT c.id FROM components c JOIN processes p ON p.id = c.space_id AND c.space_type = 'process'
		WHERE p.slug = $1`, benchSlug).Scan(&cid); err != nil {
		b.Fatal(err)
	}
	s.base = component.PublicURL(benchSlug, cid)
	// Threads by size among visible observations: the median one and the
	// biggest.
	rows, err := d.R().QueryContext(ctx, `SELECT o.id, (SELECT COUNT(*) FROM comments c WHERE c.ref_type = 'observation' AND c.ref_id = o.id)
		FROM consultation_observations o WHERE o.component_id = $1 AND o.status = 'filed'
		AND NOT EXISTS (SELECT 1 FROM moderation_items i WHERE i.ref_type = 'observation' AND i.ref_id = o.id AND i.hidden_at IS NOT NULL)`, cid)
	if err != nil {
		b.Fatal(err)
	}
	type thread struct {
		id int64
		n  int
	}
	var ts []thread
	for rows.Next() {
		var t thread
		if err := rows.Scan(&t.id, &t.n); err != nil {
			b.Fatal(err)
		}
		ts = append(ts, t)
	}
	rows.Close()
	slices.SortFunc(ts, func(a, b thread) int { return a.n - b.n })
	s.typical, s.busiest, s.comments = ts[len(ts)/2].id, ts[len(ts)-1].id, ts[len(ts)-1].n
	// A participant who has written nothing here: what most readers are.
	u := h.CreateUser(fmt.Sprintf("bench%d@prova.it", time.Now().UnixNano()), fmt.Sprintf("lettrice_%d", time.Now().UnixNano()%1e9), false)
	if s.session, err = h.App.Services.Identity.CreateSession(ctx, u.ID, "bench"); err != nil {
		b.Fatal(err)
	}
	return s
}

// measure requests path b.N times through the handler and reports the
// latency percentiles in milliseconds.
func (s *benchSite) measure(b *testing.B, path string, signedIn bool) {
	b.Helper()
	handler := s.h.Srv.Config.Handler // App.Handler builds a new mux on each call
	req := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, s.h.URL(path), nil)
		r.Header.Set("Accept-Language", "it")
		if signedIn {
			r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: s.session})
		}
		return r
	}
	// Warm caches (templates, the database's pages) as a running server has.
	for range 3 {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req())
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
	var size int
	durations := make([]time.Duration, 0, b.N)
	for b.Loop() {
		r := req()
		rec := httptest.NewRecorder()
		start := time.Now()
		handler.ServeHTTP(rec, r)
		durations = append(durations, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
		size = rec.Body.Len()
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		i := int(float64(len(durations))*p+0.5) - 1
		i = max(0, min(len(durations)-1, i))
		return float64(durations[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(size)/1024, "KiB/page")
}

// BenchmarkConsultationPages measures the pages of the performance target
// on each configured engine.
func BenchmarkConsultationPages(b *testing.B) {
	engines := []db.Engine{db.SQLite}
	if os.Getenv(dbtest.EnvPostgres) != "" {
		engines = append(engines, db.Postgres)
	}
	for _, engine := range engines {
		b.Run(string(engine), func(b *testing.B) {
			s := newBenchSite(b, engine)
			b.Run("document/anonymous", func(b *testing.B) { s.measure(b, s.base, false) })
			b.Run("document/participant", func(b *testing.B) { s.measure(b, s.base, true) })
			obs := func(id int64) string { return s.base + "/observations/" + fmt.Sprint(id) }
			b.Run("observation/median-thread/anonymous", func(b *testing.B) { s.measure(b, obs(s.typical), false) })
			b.Run("observation/median-thread/participant", func(b *testing.B) { s.measure(b, obs(s.typical), true) })
			b.Run(fmt.Sprintf("observation/busiest-thread-%d/participant", s.comments), func(b *testing.B) { s.measure(b, obs(s.busiest), true) })
			b.Run(fmt.Sprintf("observation/busiest-thread-%d/participant-comments-page-2", s.comments), func(b *testing.B) {
				s.measure(b, obs(s.busiest)+"?comments_page=2", true)
			})
			b.Run("observations-list/participant", func(b *testing.B) { s.measure(b, s.base+"/observations", true) })
		})
	}
}
