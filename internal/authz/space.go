package authz

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Space types. Components, roles and the audit log name the space they
// belong to by type and ID.
const (
	SpaceProcess = "process"
)

// SpaceRef names a space: a participatory process, an assembly, an initiative.
type SpaceRef struct {
	Type string
	ID   int64
}

// Process is what authorization (and the pages of components and roles)
// needs to know about a participatory process: read straight from the
// processes and phases tables so this package does not depend on the
// process package's internals.
type Process struct {
	ID            int64
	Slug          string
	Title         kernel.Text
	Published     bool
	PinnedPhaseID int64 // 0 when the current phase follows the dates
	Phases        []Phase
}

// Phase is one step of a process. A phase is current from StartsAt
// (included) to EndsAt (excluded), so back-to-back phases never overlap.
type Phase struct {
	ID       int64
	Position int
	Title    kernel.Text
	StartsAt time.Time
	EndsAt   time.Time
}

// Ref returns the process as a space reference.
func (p Process) Ref() SpaceRef { return SpaceRef{Type: SpaceProcess, ID: p.ID} }

// CurrentPhase returns the pinned phase when there is one, else the phase
// whose dates contain now.
func (p Process) CurrentPhase(now time.Time) (Phase, bool) {
	if p.PinnedPhaseID != 0 {
		for _, ph := range p.Phases {
			if ph.ID == p.PinnedPhaseID {
				return ph, true
			}
		}
	}
	for _, ph := range p.Phases {
		if !now.Before(ph.StartsAt) && now.Before(ph.EndsAt) {
			return ph, true
		}
	}
	return Phase{}, false
}

// HasPhase reports whether id is one of the process's phases.
func (p Process) HasPhase(id int64) bool {
	for _, ph := range p.Phases {
		if ph.ID == id {
			return true
		}
	}
	return false
}

// LoadProcess reads a process and its phases in order. A missing process
// is kernel.ErrNotFound.
func LoadProcess(ctx context.Context, q db.Querier, id int64) (Process, error) {
	return loadProcess(ctx, q, `WHERE id = $1`, id)
}

// LoadProcessBySlug reads a process by its public slug.
func LoadProcessBySlug(ctx context.Context, q db.Querier, slug string) (Process, error) {
	return loadProcess(ctx, q, `WHERE slug = $1`, slug)
}

func loadProcess(ctx context.Context, q db.Querier, where string, arg any) (Process, error) {
	var p Process
	var published sql.NullTime
	var pinned sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, slug, title, published_at, pinned_phase_id FROM processes `+where, arg).
		Scan(&p.ID, &p.Slug, &p.Title, &published, &pinned)
	if err != nil {
		return Process{}, fmt.Errorf("authz: process: %w", db.Normalize(err))
	}
	p.Published = published.Valid
	p.PinnedPhaseID = pinned.Int64
	rows, err := q.QueryContext(ctx, `SELECT id, position, title, starts_at, ends_at FROM phases WHERE process_id = $1 ORDER BY position, id`, p.ID)
	if err != nil {
		return Process{}, fmt.Errorf("authz: phases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ph Phase
		if err := rows.Scan(&ph.ID, &ph.Position, &ph.Title, &ph.StartsAt, &ph.EndsAt); err != nil {
			return Process{}, fmt.Errorf("authz: scan phase: %w", err)
		}
		ph.StartsAt, ph.EndsAt = ph.StartsAt.UTC(), ph.EndsAt.UTC()
		p.Phases = append(p.Phases, ph)
	}
	if err := rows.Err(); err != nil {
		return Process{}, fmt.Errorf("authz: phases: %w", err)
	}
	return p, nil
}

// ProcessSummary is one line of a list of processes (filters in admin pages).
type ProcessSummary struct {
	ID    int64
	Slug  string
	Title kernel.Text
}

// ListProcesses returns every process, newest first.
func ListProcesses(ctx context.Context, q db.Querier) ([]ProcessSummary, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, slug, title FROM processes ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("authz: list processes: %w", err)
	}
	defer rows.Close()
	var out []ProcessSummary
	for rows.Next() {
		var p ProcessSummary
		if err := rows.Scan(&p.ID, &p.Slug, &p.Title); err != nil {
			return nil, fmt.Errorf("authz: scan process: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
