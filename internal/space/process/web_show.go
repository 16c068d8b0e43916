package process

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

// visibleProcess returns the process at {slug} if the viewer may see it:
// everyone sees published processes, who administers the process (platform
// or space administrators) sees its draft too.
func (h *Handlers) visibleProcess(r *http.Request) (Process, error) {
	p, err := h.Svc.GetBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		return Process{}, err
	}
	if p.Published() {
		return p, nil
	}
	ok, err := h.canManage(r, p.ID)
	if err != nil {
		return Process{}, err
	}
	if !ok {
		return Process{}, fmt.Errorf("process: %s is a draft: %w", p.Slug, kernel.ErrNotFound)
	}
	return p, nil
}

type phaseView struct {
	Phase
	Number  int
	Current bool
	Status  string // "past", "current", "future": announced in text, not only by style
}

type showData struct {
	Process     Process
	Status      Status
	StatusLabel string
	Territory   string
	Phases      []phaseView
	HasCurrent  bool
	Current     phaseView
	LatestPact  *PactVersion
	Components  []ComponentLink
	IsAdmin     bool // the viewer administers the process: link to its admin pages
}

func phaseViews(p Process, phases []Phase, now time.Time) ([]phaseView, phaseView, bool) {
	cur, ok := CurrentPhase(p, phases, now)
	out := make([]phaseView, len(phases))
	var current phaseView
	for i, ph := range phases {
		v := phaseView{Phase: ph, Number: i + 1}
		switch {
		case ok && ph.ID == cur.ID:
			v.Current, v.Status = true, "current"
			current = v
		case !now.Before(ph.EndsAt):
			v.Status = "past"
		default:
			v.Status = "future"
		}
		out[i] = v
	}
	return out, current, ok
}

// show is the process page: what it is about, its phases, its Pact and its
// components.
func (h *Handlers) show(w http.ResponseWriter, r *http.Request) error {
	p, err := h.visibleProcess(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	phases, err := h.Svc.Phases(ctx, p.ID)
	if err != nil {
		return err
	}
	now := h.Svc.Now()
	manage, err := h.canManage(r, p.ID)
	if err != nil {
		return err
	}
	d := showData{Process: p, Status: p.Status(now), IsAdmin: manage}
	d.StatusLabel = h.t(r, "process.status."+string(d.Status))
	d.Phases, d.Current, d.HasCurrent = phaseViews(p, phases, now)
	if p.TerritoryID != 0 {
		t, err := h.Svc.Territory(ctx, p.TerritoryID)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return err
		}
		d.Territory = t.Name.In(web.LocaleFrom(ctx))
	}
	versions, err := h.Svc.PactVersions(ctx, p.ID)
	if err != nil {
		return err
	}
	if len(versions) > 0 {
		d.LatestPact = &versions[0]
	}
	if h.Components != nil {
		if d.Components, err = h.Components(ctx, SpaceType, p.ID); err != nil {
			return err
		}
	}
	return h.S.Render(w, r, "process/show.html", d)
}
