package consultation

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/arengo/arengo/internal/component"
)

// documentPage is the whole document with its paragraphs' counts.
type documentPage struct {
	base
	Doc          *Document
	ObserveOpen  bool      // the observe action is open in the current phase
	OpenUntil    time.Time // when the current phase ends
	Publications []Publication
}

// phaseOpen reports whether action is open in the process's current phase
// (for everyone; eligibility is checked when a person acts).
func (m *Module) phaseOpen(ctx context.Context, v component.View, action string) (bool, time.Time, error) {
	if !v.Component.Published() || !v.Process.Published {
		return false, time.Time{}, nil
	}
	ph, ok := v.Process.CurrentPhase(m.clock.Now())
	if !ok {
		return false, time.Time{}, nil
	}
	var n int
	err := m.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM component_phase_actions WHERE component_id = $1 AND phase_id = $2 AND action = $3`,
		v.Component.ID, ph.ID, action).Scan(&n)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("consultation: phase actions: %w", err)
	}
	return n > 0, ph.EndsAt, nil
}

func (h *handlers) document(w http.ResponseWriter, r *http.Request, v component.View) error {
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	doc, err := h.m.Document(r.Context(), v.Component.ID)
	if err != nil {
		return err
	}
	page := documentPage{base: b, Doc: doc}
	if page.ObserveOpen, page.OpenUntil, err = h.m.phaseOpen(r.Context(), v, "observe"); err != nil {
		return err
	}
	if page.Publications, err = h.m.Publications(r.Context(), v.Component.ID); err != nil {
		return err
	}
	return h.s.Render(w, r, "consultation/document.html", page)
}
