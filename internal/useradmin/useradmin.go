// Package useradmin is the platform administrators' view of participants:
// find them by nickname or email, see the state of their account, and make
// or unmake platform administrators (never the last one).
package useradmin

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// User is an account as administrators see it.
type User struct {
	ID          int64
	Nickname    string
	Email       string
	CreatedAt   time.Time
	ConfirmedAt sql.NullTime
	BlockedAt   sql.NullTime
	IsAdmin     bool
}

// Service lists accounts and changes the administrator flag.
type Service struct {
	db    *db.DB
	clock kernel.Clock
}

// NewService returns the service.
func NewService(d *db.DB, clock kernel.Clock) *Service { return &Service{db: d, clock: clock} }

// MaxQueryLen bounds a search; longer input matches nothing anyway.
const MaxQueryLen = 254

// likeEscape makes s match literally inside a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Search returns live accounts whose nickname or email contains query
// (case-insensitive), newest first, with id < beforeID when beforeID > 0.
func (s *Service) Search(ctx context.Context, query string, beforeID int64, limit int) ([]User, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	pattern := "%" + likeEscape(strings.ToLower(strings.TrimSpace(query))) + "%"
	q := `SELECT id, COALESCE(nickname, ''), COALESCE(email, ''), created_at, email_confirmed_at, blocked_at, is_admin
		FROM users WHERE deleted_at IS NULL AND (nickname_key LIKE $1 ESCAPE '\' OR email_key LIKE $1 ESCAPE '\')`
	args := []any{pattern}
	if beforeID > 0 {
		q += ` AND id < $2`
		args = append(args, beforeID)
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit)
	rows, err := s.db.R().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("useradmin: search: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Nickname, &u.Email, &u.CreatedAt, &u.ConfirmedAt, &u.BlockedAt, &u.IsAdmin); err != nil {
			return nil, fmt.Errorf("useradmin: scan: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetAdmin makes userID a platform administrator or removes the role.
// Removing the last active administrator is refused with an invalid-input
// error, so the platform can always be administered. A deleted or unknown
// account is kernel.ErrNotFound.
func (s *Service) SetAdmin(ctx context.Context, userID int64, admin bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if s.db.Engine == db.Postgres {
			// Lock every administrator row: two administrators removing each
			// other at once must not both succeed and leave none.
			if _, err := tx.ExecContext(ctx, `SELECT id FROM users WHERE is_admin = $1 FOR UPDATE`, true); err != nil {
				return fmt.Errorf("useradmin: lock admins: %w", err)
			}
		}
		var current bool
		var nickname string
		err := tx.QueryRowContext(ctx, `SELECT is_admin, COALESCE(nickname, '') FROM users WHERE id = $1 AND deleted_at IS NULL`, userID).Scan(&current, &nickname)
		if err != nil {
			return fmt.Errorf("useradmin: user %d: %w", userID, db.Normalize(err))
		}
		if current == admin {
			return nil
		}
		if !admin {
			var others int
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE is_admin = $1 AND deleted_at IS NULL AND blocked_at IS NULL AND id <> $2`, true, userID).Scan(&others)
			if err != nil {
				return fmt.Errorf("useradmin: count admins: %w", err)
			}
			if others == 0 {
				return kernel.Invalid("", "useradmin.error.last_admin")
			}
		}
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET is_admin = $1, updated_at = $2 WHERE id = $3`, admin, now, userID); err != nil {
			return fmt.Errorf("useradmin: set admin: %w", err)
		}
		action := "user.admin_revoke"
		if admin {
			action = "user.admin_grant"
		}
		return audit.Record(ctx, tx, now, audit.Entry{
			Action: action, TargetType: "user", TargetID: userID,
			Before: map[string]any{"nickname": nickname, "is_admin": current},
			After:  map[string]any{"nickname": nickname, "is_admin": admin},
		})
	})
}
