package eligibility

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Store keeps the requirement chosen for each component action.
type Store struct {
	db    *db.DB
	clock kernel.Clock
}

// NewStore returns the store.
func NewStore(d *db.DB, clock kernel.Clock) *Store { return &Store{db: d, clock: clock} }

// Get returns the requirement for (componentID, action); ok is false when
// none was chosen (callers then use Default or the component's own default).
func (s *Store) Get(ctx context.Context, componentID int64, action string) (req Requirement, ok bool, err error) {
	var raw string
	err = s.db.R().QueryRowContext(ctx, `SELECT requirement FROM eligibility_requirements WHERE component_id = $1 AND action = $2`, componentID, action).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return Requirement{}, false, nil
	}
	if err != nil {
		return Requirement{}, false, fmt.Errorf("eligibility: get requirement: %w", err)
	}
	req, err = Parse([]byte(raw))
	if err != nil {
		return Requirement{}, false, fmt.Errorf("eligibility: stored requirement of component %d %s: %w", componentID, action, err)
	}
	return req, true, nil
}

// Set stores the requirement for (componentID, action), audited with the
// previous value, in one transaction. The caller checked that the actor
// may administer the component. An invalid req is a *kernel.InvalidError.
func (s *Store) Set(ctx context.Context, componentID int64, action string, req Requirement, spaceType string, spaceID int64) error {
	action = strings.TrimSpace(action)
	if action == "" || len(action) > 64 {
		return kernel.Invalid("action", "eligibility.error.action")
	}
	if err := req.Validate(); err != nil {
		return err
	}
	now := s.clock.Now()
	actor := kernel.ActorFrom(ctx).UserID
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var before any
		var raw string
		err := tx.QueryRowContext(ctx, `SELECT requirement FROM eligibility_requirements WHERE component_id = $1 AND action = $2`, componentID, action).Scan(&raw)
		switch {
		case err == nil:
			var prev any = raw
			if r, perr := Parse([]byte(raw)); perr == nil {
				prev = r
			}
			before = map[string]any{"action": action, "requirement": prev}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("eligibility: set requirement: %w", err)
		}
		var by any
		if actor != 0 {
			by = actor
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO eligibility_requirements (component_id, action, requirement, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (component_id, action) DO UPDATE SET requirement = excluded.requirement, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			componentID, action, req.JSON(), now, by); err != nil {
			return fmt.Errorf("eligibility: set requirement: %w", err)
		}
		return audit.Record(ctx, tx, now, audit.Entry{
			Action: "eligibility.set", TargetType: "component", TargetID: componentID, SpaceType: spaceType, SpaceID: spaceID,
			Before: before, After: map[string]any{"action": action, "requirement": req},
		})
	})
}
