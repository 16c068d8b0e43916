package consultation

import (
	"context"
	"fmt"
)

// Queue states of the evaluators' list.
const (
	QueueTodo      = "todo"      // no reply drafted yet
	QueueDrafted   = "drafted"   // drafted, not published
	QueuePublished = "published" // published
)

// QueueStates lists the states in display order.
func QueueStates() []string { return []string{QueueTodo, QueueDrafted, QueuePublished} }

// QueueCounts counts the observations (not withdrawn) in each queue state.
func (m *Module) QueueCounts(ctx context.Context, componentID int64) (map[string]int, error) {
	rows, err := m.db.R().QueryContext(ctx, `SELECT CASE WHEN r.observation_id IS NULL THEN 'todo' WHEN r.published_at IS NULL THEN 'drafted' ELSE 'published' END, COUNT(*)
		FROM consultation_observations o LEFT JOIN consultation_replies r ON r.observation_id = o.id
		WHERE o.component_id = $1 AND o.status = 'filed' GROUP BY 1`, componentID)
	if err != nil {
		return nil, fmt.Errorf("consultation: queue counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("consultation: queue counts: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Queue lists one page of the observations in a queue state, in document
// order, with their drafts.
func (m *Module) Queue(ctx context.Context, componentID int64, state string, limit, offset int) ([]*Observation, error) {
	var out []*Observation
	err := m.st.eachQueue(ctx, componentID, state, limit, offset, func(o *Observation) error {
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := m.decorate(ctx, out, true); err != nil {
		return nil, err
	}
	return out, nil
}

func (s store) eachQueue(ctx context.Context, componentID int64, state string, limit, offset int, fn func(*Observation) error) error {
	cond := "r.observation_id IS NULL"
	switch state {
	case QueueDrafted:
		cond = "r.observation_id IS NOT NULL AND r.published_at IS NULL"
	case QueuePublished:
		cond = "r.published_at IS NOT NULL"
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+observationColumns+observationFrom+` WHERE o.component_id = $1 AND o.status = 'filed' AND `+cond+
		fmt.Sprintf(" ORDER BY p.position, o.id LIMIT %d OFFSET %d", limit, max(offset, 0)), componentID)
	if err != nil {
		return fmt.Errorf("consultation: queue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanObservation(rows)
		if err != nil {
			return fmt.Errorf("consultation: queue: %w", err)
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return rows.Err()
}
