package spid_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/spid"
)

var storeNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func requestState(id string, now time.Time) spid.RequestState {
	return spid.RequestState{
		ID: id, Purpose: spid.PurposeLogin, IdPEntityID: "https://idp.example.org", Level: spid.SpidL2, AttributeIndex: 1,
		RelayState: "relay-" + id, BrowserBinding: "binding", ReturnTo: "/processes/1", IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute),
		RequestXML: []byte(`<samlp:AuthnRequest ID="` + id + `"/>`),
	}
}

func TestSQLRequestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := &testClock{t: storeNow}
		s := &spid.SQLRequestStore{DB: d, Clock: clock.Now}
		want := requestState("_a1", storeNow)
		if err := s.Save(ctx, want); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, want); err == nil {
			t.Fatal("duplicate ID saved twice")
		}
		got, err := s.Consume(ctx, "_a1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.Purpose != want.Purpose || got.Level != want.Level || got.RelayState != want.RelayState ||
			got.ReturnTo != want.ReturnTo || got.AttributeIndex != 1 || !got.IssuedAt.Equal(want.IssuedAt) || string(got.RequestXML) != string(want.RequestXML) {
			t.Fatalf("consumed %+v, want %+v", got, want)
		}
		if _, err := s.Consume(ctx, "_a1"); !errors.Is(err, spid.ErrRequestNotFound) {
			t.Fatalf("second consume: %v, want ErrRequestNotFound", err)
		}
		if _, err := s.Consume(ctx, "_never"); !errors.Is(err, spid.ErrRequestNotFound) {
			t.Fatalf("unknown ID: %v", err)
		}

		// Expired: refused, and gone.
		if err := s.Save(ctx, requestState("_old", storeNow)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(16 * time.Minute)
		if _, err := s.Consume(ctx, "_old"); !errors.Is(err, spid.ErrRequestNotFound) {
			t.Fatalf("expired: %v", err)
		}

		// Sweep removes what nobody answered.
		if err := s.Save(ctx, requestState("_stale", storeNow)); err != nil {
			t.Fatal(err)
		}
		if err := s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.R().QueryRow(`SELECT COUNT(*) FROM spid_requests`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("after sweep %d rows (%v)", n, err)
		}
	})
}

// Two responses answering one request arrive at once (a replay racing the
// original): exactly one consumer gets the request.
func TestSQLRequestStoreSingleUseUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &spid.SQLRequestStore{DB: d, Clock: (&testClock{t: storeNow}).Now}
		for round := 0; round < 5; round++ {
			id := fmt.Sprintf("_race%d", round)
			if err := s.Save(ctx, requestState(id, storeNow)); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins, misses := 0, 0
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := s.Consume(ctx, id)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						wins++
					case errors.Is(err, spid.ErrRequestNotFound):
						misses++
					default:
						t.Errorf("consume: %v", err)
					}
				}()
			}
			wg.Wait()
			if wins != 1 || misses != 3 {
				t.Fatalf("round %d: %d winners and %d refused, want 1 and 3", round, wins, misses)
			}
		}
	})
}

func logRecord(i int, at time.Time) spid.Record {
	return spid.Record{
		RequestID: fmt.Sprintf("_req%d", i), ResponseID: fmt.Sprintf("_resp%d", i), IdPEntityID: "https://idp.example.org",
		Outcome: "ok", RequestXML: []byte(fmt.Sprintf("<AuthnRequest n=%q/>", fmt.Sprint(i))), ResponseXML: []byte(fmt.Sprintf("<Response n=%q/>", fmt.Sprint(i))),
		RequestedAt: at.Add(-time.Minute), RespondedAt: at.Add(123456789 * time.Nanosecond),
	}
}

func TestSQLAuthLogChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := &spid.SQLAuthLog{DB: d, Clock: (&testClock{t: storeNow}).Now}
		if err := l.Verify(ctx); err != nil {
			t.Fatalf("empty log: %v", err)
		}
		for i := 1; i <= 4; i++ {
			if err := l.Append(ctx, logRecord(i, storeNow.Add(time.Duration(i)*time.Minute))); err != nil {
				t.Fatal(err)
			}
		}
		recs, err := l.Records(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 4 || recs[0].Seq != 1 || recs[3].Seq != 4 || len(recs[0].PrevHash) != 0 || string(recs[2].ResponseXML) != `<Response n="3"/>` {
			t.Fatalf("records: %+v", recs)
		}
		if err := l.Verify(ctx); err != nil {
			t.Fatalf("untouched chain: %v", err)
		}

		// Someone edits the outcome of a failed login in the database.
		if _, err := d.W().Exec(`UPDATE spid_auth_log SET outcome = 'signature_invalid' WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		if err := l.Verify(ctx); !errors.Is(err, spid.ErrChainBroken) {
			t.Fatalf("edited row: %v, want ErrChainBroken", err)
		}
		if _, err := d.W().Exec(`UPDATE spid_auth_log SET outcome = 'ok' WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		if err := l.Verify(ctx); err != nil {
			t.Fatalf("restored: %v", err)
		}
		// A byte of a stored response changed.
		if _, err := d.W().Exec(`UPDATE spid_auth_log SET response_xml = $1 WHERE seq = 3`, []byte(`<Response n="X"/>`)); err != nil {
			t.Fatal(err)
		}
		if err := l.Verify(ctx); !errors.Is(err, spid.ErrChainBroken) {
			t.Fatalf("edited response: %v", err)
		}
		if _, err := d.W().Exec(`UPDATE spid_auth_log SET response_xml = $1 WHERE seq = 3`, []byte(`<Response n="3"/>`)); err != nil {
			t.Fatal(err)
		}
		// A row removed from the middle.
		if _, err := d.W().Exec(`DELETE FROM spid_auth_log WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		if err := l.Verify(ctx); !errors.Is(err, spid.ErrChainBroken) {
			t.Fatalf("deleted row: %v", err)
		}
	})
}

func TestSQLAuthLogConcurrentAppends(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := &spid.SQLAuthLog{DB: d, Clock: (&testClock{t: storeNow}).Now}
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := l.Append(ctx, logRecord(i, storeNow)); err != nil {
					t.Errorf("append %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		recs, err := l.Records(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 8 {
			t.Fatalf("%d records, want 8", len(recs))
		}
		if err := l.Verify(ctx); err != nil {
			t.Fatalf("chain after concurrent appends: %v", err)
		}
	})
}

// Records older than 24 months go, from the head only; what remains still
// verifies and new records continue the chain.
func TestSQLAuthLogRetention(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := &testClock{t: storeNow}
		l := &spid.SQLAuthLog{DB: d, Clock: clock.Now}
		start := storeNow.AddDate(-3, 0, 0)
		for i := 1; i <= 5; i++ {
			if err := l.Append(ctx, logRecord(i, start.AddDate(0, 6*(i-1), 0))); err != nil {
				t.Fatal(err)
			}
		}
		// Responded at: -36, -30, -24, -18, -12 months (the third is just
		// past 720 days old).
		if err := l.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		recs, err := l.Records(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || recs[0].Seq != 4 {
			t.Fatalf("after sweep: %d records from seq %d, want 2 from seq 4", len(recs), recs[0].Seq)
		}
		if err := l.Verify(ctx); err != nil {
			t.Fatalf("pruned chain: %v", err)
		}
		if err := l.Append(ctx, logRecord(6, storeNow)); err != nil {
			t.Fatal(err)
		}
		if err := l.Verify(ctx); err != nil {
			t.Fatalf("after new append: %v", err)
		}
		// Everything old: the newest record stays as the anchor.
		clock.Advance(10 * 365 * 24 * time.Hour)
		if err := l.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if recs, _ := l.Records(ctx); len(recs) != 1 || recs[0].Seq != 6 {
			t.Fatalf("after full sweep: %+v", recs)
		}
	})
}
