package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Session is a signed-in browser.
type Session struct {
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession signs userID in and returns the raw token for the cookie.
// Only the token's hash is stored.
func (s *Service) CreateSession(ctx context.Context, userID int64, userAgent string) (string, error) {
	token, hash, err := NewToken()
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	if len(userAgent) > 200 {
		userAgent = userAgent[:200]
	}
	_, err = s.db.W().ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, user_agent)
		VALUES ($1, $2, $3, $3, $4, $5)`, hash, userID, now, now.Add(s.opt.SessionMax), userAgent)
	if err != nil {
		return "", fmt.Errorf("identity: create session: %w", err)
	}
	return token, nil
}

// SessionUser returns the user of a live session and refreshes its idle
// timer. Expired (idle or absolute), unknown sessions, and sessions of
// deleted or blocked users return kernel.ErrUnauthenticated.
func (s *Service) SessionUser(ctx context.Context, token string) (User, error) {
	if token == "" || len(token) > 100 {
		return User{}, kernel.ErrUnauthenticated
	}
	now := s.clock.Now()
	hash := HashToken(token)
	var lastSeen, expires time.Time
	var userID int64
	err := s.db.R().QueryRowContext(ctx, `SELECT user_id, last_seen_at, expires_at FROM sessions WHERE token_hash = $1`, hash).Scan(&userID, &lastSeen, &expires)
	if err != nil {
		if err = db.Normalize(err); errors.Is(err, kernel.ErrNotFound) {
			return User{}, kernel.ErrUnauthenticated
		}
		return User{}, fmt.Errorf("identity: session: %w", err)
	}
	if !now.Before(expires) || now.Sub(lastSeen) >= s.opt.SessionIdle {
		_, _ = s.db.W().ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hash)
		return User{}, kernel.ErrUnauthenticated
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return User{}, err
	}
	if u.DeletedAt.Valid || u.BlockedAt.Valid {
		return User{}, kernel.ErrUnauthenticated
	}
	// Touch at most once a minute: a write per page view would serialise
	// every request on SQLite's single writer.
	if now.Sub(lastSeen) > time.Minute {
		if _, err := s.db.W().ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, hash); err != nil {
			return User{}, fmt.Errorf("identity: touch session: %w", err)
		}
	}
	return u, nil
}

// DeleteSession signs a browser out.
func (s *Service) DeleteSession(ctx context.Context, token string) error {
	_, err := s.db.W().ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, HashToken(token))
	return err
}

// DeleteUserSessions signs a user out everywhere (password change, block, deletion).
func (s *Service) DeleteUserSessions(ctx context.Context, q db.Querier, userID int64) error {
	_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	return err
}

// Sweep deletes expired sessions and tokens.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	if _, err := s.db.W().ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2`, now, now.Add(-s.opt.SessionIdle)); err != nil {
		return err
	}
	_, err := s.db.W().ExecContext(ctx, `DELETE FROM user_tokens WHERE expires_at < $1`, now.Add(-24*time.Hour))
	return err
}
