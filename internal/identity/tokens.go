package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Token purposes (user_tokens.purpose).
const (
	PurposeConfirm     = "confirm"      // confirms the email address
	PurposeReset       = "reset"        // sets a new password
	PurposeEmailChange = "email_change" // confirms a new email address (kept in new_email)
)

// How long an emailed link stays valid.
const (
	ConfirmTokenTTL     = 48 * time.Hour
	ResetTokenTTL       = time.Hour
	EmailChangeTokenTTL = 24 * time.Hour
)

// Why an emailed link cannot be used. The pages explain each one and offer
// a new link.
var (
	ErrTokenUnknown = errors.New("identity: unknown link")
	ErrTokenExpired = errors.New("identity: link expired")
	ErrTokenUsed    = errors.New("identity: link already used")
)

// issueToken stores a new single-use token for userID and returns it raw
// (for the email). Older unused tokens with the same purpose are deleted:
// only the newest link works, so an old email found later is harmless.
func (s *Service) issueToken(ctx context.Context, q db.Querier, userID int64, purpose string, ttl time.Duration) (string, error) {
	return s.issueTokenFor(ctx, q, userID, purpose, ttl, nil)
}

// issueTokenFor is issueToken keeping newEmail (nil or a string) with the
// token, for an email change.
func (s *Service) issueTokenFor(ctx context.Context, q db.Querier, userID int64, purpose string, ttl time.Duration, newEmail any) (string, error) {
	token, hash, err := NewToken()
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	if _, err := q.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, userID, purpose); err != nil {
		return "", fmt.Errorf("identity: drop old %s tokens: %w", purpose, err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO user_tokens (user_id, purpose, token_hash, created_at, expires_at, new_email) VALUES ($1, $2, $3, $4, $5, $6)`,
		userID, purpose, hash, now, now.Add(ttl), newEmail); err != nil {
		return "", fmt.Errorf("identity: store %s token: %w", purpose, err)
	}
	return token, nil
}

// lookupToken returns the user a token belongs to, or why it cannot be used.
// The check is in Go rather than SQL so both engines compare times the same way.
func (s *Service) lookupToken(ctx context.Context, q db.Querier, purpose, token string) (tokenID, userID int64, err error) {
	if token == "" || len(token) > 100 {
		return 0, 0, ErrTokenUnknown
	}
	var expires time.Time
	var used sql.NullTime
	err = q.QueryRowContext(ctx, `SELECT id, user_id, expires_at, used_at FROM user_tokens WHERE token_hash = $1 AND purpose = $2`,
		HashToken(token), purpose).Scan(&tokenID, &userID, &expires, &used)
	if err != nil {
		if err = db.Normalize(err); errors.Is(err, kernel.ErrNotFound) {
			return 0, 0, ErrTokenUnknown
		}
		return 0, 0, fmt.Errorf("identity: token: %w", err)
	}
	switch {
	case used.Valid:
		return tokenID, userID, ErrTokenUsed
	case !s.clock.Now().Before(expires):
		return tokenID, userID, ErrTokenExpired
	}
	return tokenID, userID, nil
}

// consumeToken marks a valid token used, inside tx. The conditional update
// makes the token single-use even when two requests race with the same link.
func (s *Service) consumeToken(ctx context.Context, tx *sql.Tx, purpose, token string) (int64, error) {
	id, userID, err := s.lookupToken(ctx, tx, purpose, token)
	if err != nil {
		return userID, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE user_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL`, s.clock.Now(), id)
	if err != nil {
		return 0, fmt.Errorf("identity: use token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return userID, ErrTokenUsed
	}
	return userID, nil
}
