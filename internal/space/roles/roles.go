// Package roles assigns people to roles inside a space — space
// administrator, moderator, evaluator — and answers who holds which role.
// Every assignment and revocation is written to the audit log.
package roles

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Assignment is one person holding one role in one space.
type Assignment struct {
	ID        int64
	Space     authz.SpaceRef
	UserID    int64
	Nickname  string
	Role      string
	CreatedAt time.Time
}

// Service manages space roles.
type Service struct {
	db    *db.DB
	clock kernel.Clock
}

// NewService returns the service.
func NewService(d *db.DB, clock kernel.Clock) *Service { return &Service{db: d, clock: clock} }

// maxNicknameInput bounds what we look up; longer input cannot be a nickname.
const maxNicknameInput = 100

// Assign gives the participant with nickname the role in space. Errors are
// field errors on "nickname" (empty, unknown, already holding the role) and
// "role" (not a space role). Callers check the actor may manage the space.
func (s *Service) Assign(ctx context.Context, space authz.SpaceRef, nickname, role string) (Assignment, error) {
	nickname = strings.TrimSpace(nickname)
	var v kernel.Validator
	switch {
	case nickname == "":
		v.Add("nickname", "roles.error.nickname_required")
	case len(nickname) > maxNicknameInput:
		v.Add("nickname", "roles.error.unknown_nickname")
	}
	if !authz.ValidRole(role) {
		v.Add("role", "roles.error.role_invalid")
	}
	if err := v.Err(); err != nil {
		return Assignment{}, err
	}
	a := Assignment{Space: space, Role: role, CreatedAt: s.clock.Now()}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, nickname FROM users WHERE nickname_key = $1 AND deleted_at IS NULL`,
			strings.ToLower(nickname)).Scan(&a.UserID, &a.Nickname)
		if errors.Is(err, sql.ErrNoRows) {
			return kernel.Invalid("nickname", "roles.error.unknown_nickname")
		}
		if err != nil {
			return fmt.Errorf("roles: find user: %w", err)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO space_roles (space_type, space_id, user_id, role, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			space.Type, space.ID, a.UserID, role, a.CreatedAt).Scan(&a.ID)
		if err != nil {
			if db.IsConflictOn(db.Normalize(err), "space_roles") {
				return kernel.Invalid("nickname", "roles.error.duplicate", "nickname", a.Nickname)
			}
			return fmt.Errorf("roles: insert: %w", err)
		}
		return audit.Record(ctx, tx, a.CreatedAt, audit.Entry{
			Action: "role.assign", TargetType: "space_role", TargetID: a.ID, SpaceType: space.Type, SpaceID: space.ID,
			After: auditView(a),
		})
	})
	if err != nil {
		return Assignment{}, err
	}
	return a, nil
}

func auditView(a Assignment) map[string]any {
	return map[string]any{"user_id": a.UserID, "nickname": a.Nickname, "role": a.Role}
}

// Revoke removes assignment id from space. An assignment of another space
// is kernel.ErrNotFound, so a space admin cannot reach into another space.
func (s *Service) Revoke(ctx context.Context, space authz.SpaceRef, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := get(ctx, tx, space, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM space_roles WHERE id = $1`, id); err != nil {
			return fmt.Errorf("roles: delete: %w", err)
		}
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{
			Action: "role.revoke", TargetType: "space_role", TargetID: id, SpaceType: space.Type, SpaceID: space.ID,
			Before: auditView(a),
		})
	})
}

const assignmentColumns = `r.id, r.space_type, r.space_id, r.user_id, COALESCE(u.nickname, ''), r.role, r.created_at`

func scan(row interface{ Scan(...any) error }) (Assignment, error) {
	var a Assignment
	err := row.Scan(&a.ID, &a.Space.Type, &a.Space.ID, &a.UserID, &a.Nickname, &a.Role, &a.CreatedAt)
	return a, err
}

func get(ctx context.Context, q db.Querier, space authz.SpaceRef, id int64) (Assignment, error) {
	a, err := scan(q.QueryRowContext(ctx, `SELECT `+assignmentColumns+` FROM space_roles r JOIN users u ON u.id = r.user_id
		WHERE r.id = $1 AND r.space_type = $2 AND r.space_id = $3`, id, space.Type, space.ID))
	if err != nil {
		return Assignment{}, fmt.Errorf("roles: assignment %d: %w", id, db.Normalize(err))
	}
	return a, nil
}

// List returns the space's assignments by role, then nickname.
func (s *Service) List(ctx context.Context, space authz.SpaceRef) ([]Assignment, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+assignmentColumns+` FROM space_roles r JOIN users u ON u.id = r.user_id
		WHERE r.space_type = $1 AND r.space_id = $2 ORDER BY r.role, u.nickname_key, r.id`, space.Type, space.ID)
	if err != nil {
		return nil, fmt.Errorf("roles: list: %w", err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("roles: scan: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// HasRole reports whether userID holds role in the space.
func (s *Service) HasRole(ctx context.Context, userID int64, spaceType string, spaceID int64, role string) (bool, error) {
	var n int
	err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM space_roles WHERE user_id = $1 AND space_type = $2 AND space_id = $3 AND role = $4`,
		userID, spaceType, spaceID, role).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("roles: has role: %w", err)
	}
	return n > 0, nil
}

// RolesOf lists the roles userID holds in the space, sorted.
func (s *Service) RolesOf(ctx context.Context, userID int64, spaceType string, spaceID int64) ([]string, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT role FROM space_roles WHERE user_id = $1 AND space_type = $2 AND space_id = $3 ORDER BY role`,
		userID, spaceType, spaceID)
	if err != nil {
		return nil, fmt.Errorf("roles: roles of: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
