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

// All returns the requirements chosen for componentID's actions.
func (s *Store) All(ctx context.Context, componentID int64) (map[string]Requirement, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT action, requirement FROM eligibility_requirements WHERE component_id = $1`, componentID)
	if err != nil {
		return nil, fmt.Errorf("eligibility: requirements of %d: %w", componentID, err)
	}
	defer rows.Close()
	out := map[string]Requirement{}
	for rows.Next() {
		var action, raw string
		if err := rows.Scan(&action, &raw); err != nil {
			return nil, fmt.Errorf("eligibility: requirements of %d: %w", componentID, err)
		}
		r, err := Parse([]byte(raw))
		if err != nil {
			return nil, fmt.Errorf("eligibility: stored requirement of component %d %s: %w", componentID, action, err)
		}
		out[action] = r
	}
	return out, rows.Err()
}

// Change is one action's new requirement; Req nil removes the choice, so
// the platform default applies again.
type Change struct {
	Action string
	Req    *Requirement
}

// Apply stores every change for componentID in one transaction, each
// actual change audited with its previous value ("eligibility.set" or
// "eligibility.reset"); unchanged actions write nothing. All requirements
// are validated first: an invalid one is a *kernel.InvalidError whose
// fields are prefixed with the action ("sign_min_level"), and nothing is
// stored. The caller checked that the actor may administer the component.
func (s *Store) Apply(ctx context.Context, componentID int64, changes []Change, spaceType string, spaceID int64) error {
	var v kernel.Validator
	for _, c := range changes {
		if c.Action == "" || len(c.Action) > 64 {
			return kernel.Invalid("", "eligibility.error.action")
		}
		if c.Req == nil {
			continue
		}
		if ie, ok := kernel.AsInvalid(c.Req.Validate()); ok {
			for _, f := range ie.Fields {
				v.Add(c.Action+"_"+f.Field, f.Key, f.Args...)
			}
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.clock.Now()
	actor := kernel.ActorFrom(ctx).UserID
	var by any
	if actor != 0 {
		by = actor
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, c := range changes {
			var raw string
			err := tx.QueryRowContext(ctx, `SELECT requirement FROM eligibility_requirements WHERE component_id = $1 AND action = $2`, componentID, c.Action).Scan(&raw)
			existed := err == nil
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("eligibility: apply: %w", err)
			}
			var before any
			if existed {
				var prev any = raw
				if r, perr := Parse([]byte(raw)); perr == nil {
					if c.Req != nil && r == *c.Req {
						continue // unchanged
					}
					prev = r
				}
				before = map[string]any{"action": c.Action, "requirement": prev}
			}
			entry := audit.Entry{TargetType: "component", TargetID: componentID, SpaceType: spaceType, SpaceID: spaceID, Before: before}
			if c.Req == nil {
				if !existed {
					continue
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM eligibility_requirements WHERE component_id = $1 AND action = $2`, componentID, c.Action); err != nil {
					return fmt.Errorf("eligibility: reset: %w", err)
				}
				entry.Action, entry.After = "eligibility.reset", map[string]any{"action": c.Action}
			} else {
				if _, err := tx.ExecContext(ctx, `INSERT INTO eligibility_requirements (component_id, action, requirement, updated_at, updated_by)
					VALUES ($1, $2, $3, $4, $5)
					ON CONFLICT (component_id, action) DO UPDATE SET requirement = excluded.requirement, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
					componentID, c.Action, c.Req.JSON(), now, by); err != nil {
					return fmt.Errorf("eligibility: set requirement: %w", err)
				}
				entry.Action, entry.After = "eligibility.set", map[string]any{"action": c.Action, "requirement": *c.Req}
			}
			if err := audit.Record(ctx, tx, now, entry); err != nil {
				return err
			}
		}
		return nil
	})
}
