package component

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Audit log actions of components.
const (
	AuditCreate    = "component.create"
	AuditRename    = "component.rename"
	AuditMove      = "component.move"
	AuditPublish   = "component.publish"
	AuditUnpublish = "component.unpublish"
	AuditDelete    = "component.delete"
	AuditActions   = "component.actions"
)

// Service manages the components of spaces. Its methods do not check who
// is calling: the web layer checks the actor may manage the space first.
// Every change is written to the audit log in the same transaction.
type Service struct {
	db    *db.DB
	clock kernel.Clock
	reg   *Registry
}

// NewService returns the service.
func NewService(d *db.DB, clock kernel.Clock, reg *Registry) *Service {
	return &Service{db: d, clock: clock, reg: reg}
}

// Registry returns the registry of tools.
func (s *Service) Registry() *Registry { return s.reg }

// loadSpace checks the space exists and returns it as a process (the only
// space type with components so far). A missing space is ErrNotFound.
func loadSpace(ctx context.Context, q db.Querier, space authz.SpaceRef) (authz.Process, error) {
	if space.Type != authz.SpaceProcess {
		return authz.Process{}, fmt.Errorf("component: space type %q: %w", space.Type, kernel.ErrNotFound)
	}
	return authz.LoadProcess(ctx, q, space.ID)
}

func (s *Service) record(ctx context.Context, tx *sql.Tx, action string, c Component, before, after any) error {
	return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{
		Action: action, TargetType: "component", TargetID: c.ID, SpaceType: c.Space.Type, SpaceID: c.Space.ID,
		Before: before, After: after,
	})
}

// Create adds a component of type typ, unpublished, at the end of space.
// Field errors: "type" (not a registered tool), "name_it", "name_en".
// A missing space is kernel.ErrNotFound.
func (s *Service) Create(ctx context.Context, space authz.SpaceRef, typ string, name kernel.Text) (Component, error) {
	var v kernel.Validator
	m, ok := s.reg.Get(typ)
	if !ok {
		v.Add("type", "component.error.type_unknown")
	}
	name = validateName(&v, name)
	if err := v.Err(); err != nil {
		return Component{}, err
	}
	now := s.clock.Now()
	c := Component{Space: space, Type: typ, Name: name, Settings: m.DefaultSettings(), CreatedAt: now, UpdatedAt: now}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := loadSpace(ctx, tx, space); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM components WHERE space_type = $1 AND space_id = $2`,
			space.Type, space.ID).Scan(&c.Position)
		if err != nil {
			return fmt.Errorf("component: position: %w", err)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO components (space_type, space_id, type, name, position, settings, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			space.Type, space.ID, typ, name, c.Position, c.Settings, now).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("component: insert: %w", err)
		}
		if m.Created != nil {
			if err := m.Created(ctx, tx, c); err != nil {
				return fmt.Errorf("component: %s created hook: %w", typ, err)
			}
		}
		return s.record(ctx, tx, AuditCreate, c, nil, map[string]any{"type": typ, "name": name, "position": c.Position})
	})
	if err != nil {
		return Component{}, err
	}
	return c, nil
}

// Get returns a component (published or not).
func (s *Service) Get(ctx context.Context, id int64) (Component, error) {
	return getComponent(ctx, s.db.R(), id)
}

// GetIn returns component id only if it belongs to space, so a URL cannot
// reach a component of another space: otherwise kernel.ErrNotFound.
func (s *Service) GetIn(ctx context.Context, space authz.SpaceRef, id int64) (Component, error) {
	c, err := getComponent(ctx, s.db.R(), id)
	if err != nil {
		return Component{}, err
	}
	if c.Space != space {
		return Component{}, fmt.Errorf("component: %d not in %s %d: %w", id, space.Type, space.ID, kernel.ErrNotFound)
	}
	return c, nil
}

// List returns every component of space in position order.
func (s *Service) List(ctx context.Context, space authz.SpaceRef) ([]Component, error) {
	return listComponents(ctx, s.db.R(), space, false)
}

// ListPublished returns the space's published components in position order.
func (s *Service) ListPublished(ctx context.Context, space authz.SpaceRef) ([]Component, error) {
	return listComponents(ctx, s.db.R(), space, true)
}

// Rename changes the component's name (field errors "name_it", "name_en").
func (s *Service) Rename(ctx context.Context, id int64, name kernel.Text) error {
	var v kernel.Validator
	name = validateName(&v, name)
	if err := v.Err(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := getComponent(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE components SET name = $1, updated_at = $2 WHERE id = $3`, name, s.clock.Now(), id); err != nil {
			return fmt.Errorf("component: rename: %w", err)
		}
		return s.record(ctx, tx, AuditRename, c, map[string]any{"name": c.Name}, map[string]any{"name": name})
	})
}

// Move shifts the component one place up (delta < 0) or down (delta > 0)
// among its space's components. Moving past either end changes nothing.
func (s *Service) Move(ctx context.Context, id int64, delta int) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := getComponent(ctx, tx, id)
		if err != nil {
			return err
		}
		all, err := listComponents(ctx, tx, c.Space, false)
		if err != nil {
			return err
		}
		i := -1
		for k := range all {
			if all[k].ID == id {
				i = k
			}
		}
		j := i + 1
		if delta < 0 {
			j = i - 1
		}
		if i < 0 || j < 0 || j >= len(all) {
			return nil
		}
		all[i], all[j] = all[j], all[i]
		// Renumber everything so positions stay 1…n even after deletions.
		now := s.clock.Now()
		for k, x := range all {
			if x.Position == k+1 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE components SET position = $1, updated_at = $2 WHERE id = $3`, k+1, now, x.ID); err != nil {
				return fmt.Errorf("component: move: %w", err)
			}
		}
		return s.record(ctx, tx, AuditMove, c, map[string]any{"position": i + 1}, map[string]any{"position": j + 1})
	})
}

// SetPublished publishes or unpublishes the component. Doing what is
// already done changes nothing and records nothing.
func (s *Service) SetPublished(ctx context.Context, id int64, publish bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := getComponent(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Published() == publish {
			return nil
		}
		now := s.clock.Now()
		var at sql.NullTime
		action := AuditUnpublish
		if publish {
			at = sql.NullTime{Time: now, Valid: true}
			action = AuditPublish
		}
		if _, err := tx.ExecContext(ctx, `UPDATE components SET published_at = $1, updated_at = $2 WHERE id = $3`, at, now, id); err != nil {
			return fmt.Errorf("component: publish: %w", err)
		}
		return s.record(ctx, tx, action, c, map[string]any{"published": c.Published()}, map[string]any{"published": publish})
	})
}

// Delete removes the component and, through foreign keys, its content and
// its phase actions.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := getComponent(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM components WHERE id = $1`, id); err != nil {
			return fmt.Errorf("component: delete: %w", err)
		}
		return s.record(ctx, tx, AuditDelete, c,
			map[string]any{"type": c.Type, "name": c.Name, "published": c.Published(), "position": c.Position}, nil)
	})
}

// PhaseActions returns which actions are open in which phase.
func (s *Service) PhaseActions(ctx context.Context, id int64) (PhaseActions, error) {
	return loadPhaseActions(ctx, s.db.R(), id)
}

// SetPhaseActions replaces the component's matrix of open actions. Every
// phase must belong to the component's process and every action be one the
// tool declares; otherwise it is an invalid-input error and nothing changes.
func (s *Service) SetPhaseActions(ctx context.Context, id int64, pa PhaseActions) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := getComponent(ctx, tx, id)
		if err != nil {
			return err
		}
		m, ok := s.reg.Get(c.Type)
		if !ok {
			return fmt.Errorf("component: type %q not registered: %w", c.Type, kernel.ErrNotFound)
		}
		p, err := loadSpace(ctx, tx, c.Space)
		if err != nil {
			return err
		}
		var v kernel.Validator
		for ph, as := range pa {
			if !p.HasPhase(ph) && !v.Has("") {
				v.Add("", "component.error.phase_unknown")
			}
			for _, a := range as {
				if !m.Declares(a) && !v.Has("actions") {
					v.Add("actions", "component.error.action_unknown")
				}
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, err := loadPhaseActions(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM component_phase_actions WHERE component_id = $1`, id); err != nil {
			return fmt.Errorf("component: clear phase actions: %w", err)
		}
		after := pa.normalized()
		for _, ph := range p.Phases {
			for _, a := range after[fmt.Sprint(ph.ID)] {
				if _, err := tx.ExecContext(ctx, `INSERT INTO component_phase_actions (component_id, phase_id, action) VALUES ($1, $2, $3)`, id, ph.ID, a); err != nil {
					return fmt.Errorf("component: insert phase action: %w", err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE components SET updated_at = $1 WHERE id = $2`, s.clock.Now(), id); err != nil {
			return fmt.Errorf("component: touch: %w", err)
		}
		return s.record(ctx, tx, AuditActions, c, before.normalized(), after)
	})
}

// Link is a published component as a space's page lists it. Its fields
// match process.ComponentLink, so a plain conversion turns one into the other.
type Link struct {
	Name kernel.Text
	URL  string
	Type string
}

// Links returns the published components of a space in position order,
// with their public URLs: the lister the process page is given. An
// unknown space has no links.
func (s *Service) Links(ctx context.Context, spaceType string, spaceID int64) ([]Link, error) {
	if spaceType != authz.SpaceProcess {
		return nil, nil
	}
	var slug string
	err := s.db.R().QueryRowContext(ctx, `SELECT slug FROM processes WHERE id = $1`, spaceID).Scan(&slug)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("component: links: %w", err)
	}
	cs, err := listComponents(ctx, s.db.R(), authz.SpaceRef{Type: spaceType, ID: spaceID}, true)
	if err != nil {
		return nil, err
	}
	out := make([]Link, 0, len(cs))
	for _, c := range cs {
		out = append(out, Link{Name: c.Name, URL: PublicURL(slug, c.ID), Type: c.Type})
	}
	return out, nil
}
