package component

import (
	"context"
	"fmt"
	"sort"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/db"
)

const columns = `id, space_type, space_id, type, name, position, settings, published_at, created_at, updated_at`

func scanComponent(row interface{ Scan(...any) error }) (Component, error) {
	var c Component
	err := row.Scan(&c.ID, &c.Space.Type, &c.Space.ID, &c.Type, &c.Name, &c.Position, &c.Settings, &c.PublishedAt, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

func getComponent(ctx context.Context, q db.Querier, id int64) (Component, error) {
	c, err := scanComponent(q.QueryRowContext(ctx, `SELECT `+columns+` FROM components WHERE id = $1`, id))
	if err != nil {
		return Component{}, fmt.Errorf("component: get %d: %w", id, db.Normalize(err))
	}
	return c, nil
}

func listComponents(ctx context.Context, q db.Querier, space authz.SpaceRef, onlyPublished bool) ([]Component, error) {
	query := `SELECT ` + columns + ` FROM components WHERE space_type = $1 AND space_id = $2`
	if onlyPublished {
		query += ` AND published_at IS NOT NULL`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY position, id`, space.Type, space.ID)
	if err != nil {
		return nil, fmt.Errorf("component: list: %w", err)
	}
	defer rows.Close()
	var out []Component
	for rows.Next() {
		c, err := scanComponent(rows)
		if err != nil {
			return nil, fmt.Errorf("component: scan: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PhaseActions is the matrix of open actions: phase ID → actions open in it.
type PhaseActions map[int64][]string

// Open reports whether action is open in phase.
func (pa PhaseActions) Open(phaseID int64, action string) bool {
	for _, a := range pa[phaseID] {
		if a == action {
			return true
		}
	}
	return false
}

// normalized returns the matrix with sorted actions and no empty phases,
// so audit before/after values compare cleanly.
func (pa PhaseActions) normalized() map[string][]string {
	out := map[string][]string{}
	for ph, as := range pa {
		if len(as) == 0 {
			continue
		}
		s := append([]string(nil), as...)
		sort.Strings(s)
		out[fmt.Sprint(ph)] = s
	}
	return out
}

func loadPhaseActions(ctx context.Context, q db.Querier, componentID int64) (PhaseActions, error) {
	rows, err := q.QueryContext(ctx, `SELECT phase_id, action FROM component_phase_actions WHERE component_id = $1 ORDER BY phase_id, action`, componentID)
	if err != nil {
		return nil, fmt.Errorf("component: phase actions: %w", err)
	}
	defer rows.Close()
	out := PhaseActions{}
	for rows.Next() {
		var ph int64
		var a string
		if err := rows.Scan(&ph, &a); err != nil {
			return nil, fmt.Errorf("component: scan phase action: %w", err)
		}
		out[ph] = append(out[ph], a)
	}
	return out, rows.Err()
}
