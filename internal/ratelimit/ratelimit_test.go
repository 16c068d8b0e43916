package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
)

func TestAllowCountsConcurrentHits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := &kernel.FixedClock{T: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
		l := New(d, clock)
		rule := Rule{Max: 5, Window: time.Minute}
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed, limited := 0, 0
		for i := 0; i < 9; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := l.Allow(context.Background(), "login:1.2.3.4", rule)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					allowed++
				case errors.Is(err, kernel.ErrRateLimited):
					limited++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if allowed != 5 || limited != 4 {
			t.Fatalf("allowed=%d limited=%d, want 5 and 4", allowed, limited)
		}
		// Another bucket is independent; the next window starts afresh.
		if err := l.Allow(context.Background(), "login:5.6.7.8", rule); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if err := l.Allow(context.Background(), "login:1.2.3.4", rule); err != nil {
			t.Fatalf("new window: %v", err)
		}
		if err := l.Sweep(context.Background(), 30*time.Second); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.R().QueryRow(`SELECT COUNT(*) FROM rate_limits`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("after sweep %d rows (%v), want 1", n, err)
		}
	})
}
