// Package ratelimit counts actions per bucket in fixed windows stored in the
// database, so limits hold across several instances sharing PostgreSQL.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Limiter answers "may this bucket act once more now?".
type Limiter struct {
	db    *db.DB
	clock kernel.Clock
}

// New returns a limiter.
func New(d *db.DB, clock kernel.Clock) *Limiter { return &Limiter{db: d, clock: clock} }

// Rule is a limit: at most Max hits per Window.
type Rule struct {
	Max    int
	Window time.Duration
}

// Allow records one hit in bucket and returns kernel.ErrRateLimited (wrapped)
// when the bucket already had rule.Max hits in the current window. The upsert
// is atomic, so concurrent hits are all counted.
func (l *Limiter) Allow(ctx context.Context, bucket string, rule Rule) error {
	now := l.clock.Now()
	window := now.Truncate(rule.Window)
	var hits int
	err := l.db.W().QueryRowContext(ctx, `INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
		ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
		RETURNING hits`, bucket, window).Scan(&hits)
	if err != nil {
		return fmt.Errorf("ratelimit: %w", err)
	}
	if hits > rule.Max {
		return fmt.Errorf("ratelimit %s: %w", bucket, kernel.ErrRateLimited)
	}
	return nil
}

// Sweep deletes windows older than maxAge (run by the background worker).
func (l *Limiter) Sweep(ctx context.Context, maxAge time.Duration) error {
	_, err := l.db.W().ExecContext(ctx, `DELETE FROM rate_limits WHERE window_start < $1`, l.clock.Now().Add(-maxAge))
	return err
}
