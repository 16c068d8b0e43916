package consultation_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/components/consultation"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
)

// TestPagesQueryCountIsConstant is issue 4's "no N+1": the SQL statements
// the document page and an observation page send do not depend on how many
// paragraphs, observations, comments and supports there are. Every
// statement is counted where it reaches the SQLite driver, for the whole
// request (session, routing, authorization, comments, moderation).
func TestPagesQueryCountIsConstant(t *testing.T) {
	small := pageQueryCounts(t, consultation.Bulk{Paragraphs: 10, Observations: 10, Comments: 10, Participants: 30, Seed: 7})
	large := pageQueryCounts(t, consultation.Bulk{Paragraphs: 200, Observations: 200, Comments: 400, Participants: 60, Seed: 7})
	for page, stmts := range small {
		n := len(stmts)
		t.Logf("%-40s %2d statements (10 paragraphs) %2d (200 paragraphs, 200 observations, 400 comments)", page, n, len(large[page]))
		if len(large[page]) != n {
			t.Errorf("%s: %d statements with 10 paragraphs, %d with 200: a query runs per item:\n%s", page, n, len(large[page]), strings.Join(large[page], "\n"))
		}
		// A fixed number, but not an absurd one.
		if n > 50 {
			t.Errorf("%s: %d statements:\n%s", page, n, strings.Join(stmts, "\n"))
		}
		if os.Getenv("ARENGO_LOG_STATEMENTS") != "" {
			t.Logf("%s:\n%s", page, strings.Join(stmts, "\n"))
		}
	}
}

// pageQueryCounts seeds a consultation of the given size and counts the
// statements of each page.
func pageQueryCounts(t *testing.T, spec consultation.Bulk) map[string][]string {
	t.Helper()
	d, counter := countingSQLite(t)
	res := seedConsultation(t, d, "conta", spec)
	h := apptest.NewWithDB(t, d)
	var cid, obsWithMostComments int64
	if err := d.R().QueryRow(`SELECT id FROM components WHERE type = 'consultation'`).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	obsWithMostComments = res.BusiestObservation
	if res.BusiestComments < 2 {
		t.Fatalf("the busiest observation has %d comments: the seed says nothing about threads", res.BusiestComments)
	}
	base := fmt.Sprintf("/processes/conta/c/%d", cid)
	anon := h.Client()
	reader := h.Participant("lettore")
	out := map[string][]string{}
	for _, p := range []struct {
		name   string
		client *apptest.Client
		path   string
	}{
		{"document, anonymous", anon, base},
		{"document, signed in", reader, base},
		{"observation, anonymous", anon, fmt.Sprintf("%s/observations/%d", base, obsWithMostComments)},
		{"observation, signed in", reader, fmt.Sprintf("%s/observations/%d", base, obsWithMostComments)},
		{"observation, signed in, comments page 2", reader, fmt.Sprintf("%s/observations/%d?comments_page=2&comments_sort=best", base, obsWithMostComments)},
		{"observation list, signed in", reader, base + "/observations?sort=" + url.QueryEscape(consultation.SortCommented)},
	} {
		p.client.Get(p.path) // sessions and caches settle as on a running server
		counter.start()
		r := p.client.Get(p.path)
		out[p.name] = counter.stop()
		if r.Status != 200 {
			t.Fatalf("%s: GET %s: %d", p.name, p.path, r.Status)
		}
	}
	return out
}

// statementCounter records the statements sent to the database while on.
type statementCounter struct {
	on   sync.Mutex // held between start and stop, so requests do not overlap
	mu   sync.Mutex
	c    bool
	seen []string
}

func (s *statementCounter) start() {
	s.on.Lock()
	s.mu.Lock()
	s.seen, s.c = nil, true
	s.mu.Unlock()
}

// stop ends the count and returns the statements, in order.
func (s *statementCounter) stop() []string {
	defer s.on.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c = false
	return s.seen
}

func (s *statementCounter) count(q string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c {
		s.seen = append(s.seen, strings.Join(strings.Fields(q), " "))
	}
}

// countingSQLite opens a migrated SQLite database whose connections count
// every statement, through db.Options.WrapConnector.
func countingSQLite(t *testing.T) (*db.DB, *statementCounter) {
	t.Helper()
	counter := &statementCounter{}
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "count.db"), db.Options{MaxReaders: 4,
		WrapConnector: func(c driver.Connector) driver.Connector { return countingConnector{Connector: c, counter: counter} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d, counter
}

// countingConnector opens connections that count statements.
type countingConnector struct {
	driver.Connector
	counter *statementCounter
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, counter: c.counter}, nil
}

// countingConn passes everything to the SQLite connection, counting each
// statement executed or queried (database/sql prepares only through these
// when the connection lacks them, and it does not).
type countingConn struct {
	driver.Conn
	counter *statementCounter
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.counter.count(q)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.counter.count(q)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.counter.count(q)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *countingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

// TestSeedBulk: the seeder's content is consistent (counters match rows,
// replies and hidden things where it says) and the database stays usable
// afterwards — on PostgreSQL the identity sequences continue after the
// explicit IDs it wrote.
func TestSeedBulk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		res := seedConsultation(t, d, "semina", consultation.Bulk{Paragraphs: 30, Observations: 120, Comments: 300, Participants: 40, Seed: 3})
		count := func(q string) int {
			t.Helper()
			var n int
			if err := d.R().QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, c := range []struct {
			what      string
			got, want int
		}{
			{"paragraphs", count(`SELECT COUNT(*) FROM consultation_paragraphs`), 30},
			{"observations", count(`SELECT COUNT(*) FROM consultation_observations`), res.Observations},
			{"withdrawn", count(`SELECT COUNT(*) FROM consultation_observations WHERE status = 'withdrawn'`), res.Withdrawn},
			{"supports", count(`SELECT COUNT(*) FROM consultation_supports`), res.Supports},
			{"supports counted", count(`SELECT COALESCE(SUM(supports_count), 0) FROM consultation_observations`), res.Supports},
			{"comments", count(`SELECT COUNT(*) FROM comments WHERE ref_type = 'observation'`), 300},
			{"comment versions", count(`SELECT COUNT(*) FROM comment_versions`), 300},
			{"published replies", count(`SELECT COUNT(*) FROM consultation_replies WHERE published_at IS NOT NULL`), res.Published},
			{"drafts", count(`SELECT COUNT(*) FROM consultation_replies WHERE published_at IS NULL`), res.Drafts},
			{"protocol counter", count(`SELECT MAX(last) FROM consultation_protocol_counters`), 120},
			{"replies to withdrawn", count(`SELECT COUNT(*) FROM consultation_replies r JOIN consultation_observations o ON o.id = r.observation_id WHERE o.status = 'withdrawn'`), 0},
			{"too deep", count(`SELECT COUNT(*) FROM comments c JOIN comments p ON p.id = c.parent_id WHERE c.depth <> p.depth + 1 OR c.ref_id <> p.ref_id`), 0},
		} {
			if c.got != c.want {
				t.Errorf("%s: %d in the database, want %d", c.what, c.got, c.want)
			}
		}
		if res.Published == 0 || res.Supports == 0 || res.BusiestComments < 5 || res.HiddenObservations+res.HiddenComments == 0 {
			t.Errorf("not a realistic spread: %+v", res)
		}
		// New rows after seeding get new IDs.
		h := apptest.NewWithDB(t, d)
		h.CreateUser("dopo@prova.it", "dopo_la_semina", false)
		if _, err := d.W().Exec(`INSERT INTO comments (ref_type, ref_id, depth, body, created_at) VALUES ('observation', 1, 0, 'dopo', $1)`, h.Clock.Now()); err != nil {
			t.Fatalf("a comment after seeding: %v", err)
		}
	})
}
