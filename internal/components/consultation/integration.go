package consultation

import (
	"context"
	"strconv"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
)

// head loads one observation with its component's place, or ErrNotFound.
func (m *Module) head(ctx context.Context, id int64) (*Observation, place, error) {
	obs, err := m.st.observationHeads(ctx, []int64{id})
	if err != nil {
		return nil, place{}, err
	}
	o, ok := obs[id]
	if !ok {
		return nil, place{}, kernel.ErrNotFound
	}
	pl, err := m.st.places(ctx, []int64{o.ComponentID})
	if err != nil {
		return nil, place{}, err
	}
	p, ok := pl[o.ComponentID]
	if !ok {
		return nil, place{}, kernel.ErrNotFound
	}
	return o, p, nil
}

// visible reports whether viewerID sees observations of the place: the
// public when the consultation and its process are published, the space's
// managers always.
func (m *Module) visible(ctx context.Context, viewerID int64, pl place) (bool, error) {
	if pl.Published {
		return true, nil
	}
	if viewerID == 0 {
		return false, nil
	}
	return m.authz.CanManage(ctx, viewerID, authz.SpaceRef{Type: authz.SpaceProcess, ID: pl.ProcessID})
}

// policy makes observations commentable.
type policy struct{ m *Module }

func (p policy) CanComment(ctx context.Context, viewerID int64, ref moderation.Ref) (bool, string, error) {
	o, _, err := p.m.head(ctx, ref.ID)
	if err != nil {
		return false, "", err
	}
	if o.Withdrawn() {
		return false, "consultation.locked.withdrawn", nil
	}
	if err := p.m.decorate(ctx, []*Observation{o}, false); err != nil {
		return false, "", err
	}
	if o.Hidden() {
		return false, "consultation.locked.hidden", nil
	}
	d, err := p.m.authz.Authorize(ctx, authz.Request{UserID: viewerID, ComponentID: o.ComponentID, Action: component.ActionComment})
	if err != nil {
		return false, "", err
	}
	if !d.Allowed {
		return false, d.MessageKey(), nil
	}
	return true, "", nil
}

func (p policy) CanView(ctx context.Context, viewerID int64, ref moderation.Ref) (bool, error) {
	_, pl, err := p.m.head(ctx, ref.ID)
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return p.m.visible(ctx, viewerID, pl)
}

func (p policy) URL(ctx context.Context, ref moderation.Ref) (string, error) {
	_, pl, err := p.m.head(ctx, ref.ID)
	if err != nil {
		return "", err
	}
	return component.PublicURL(pl.Slug, pl.ComponentID) + "/observations/" + strconv.FormatInt(ref.ID, 10), nil
}

func (p policy) SpaceOf(ctx context.Context, ref moderation.Ref) (string, int64, error) {
	_, pl, err := p.m.head(ctx, ref.ID)
	if err != nil {
		return "", 0, err
	}
	return authz.SpaceProcess, pl.ProcessID, nil
}

// reportable lets moderation handle observations.
type reportable struct{ m *Module }

// Describe loads the observations and their places in two queries.
func (r reportable) Describe(ctx context.Context, ids []int64) (map[int64]moderation.Content, error) {
	obs, err := r.m.st.observationHeads(ctx, ids)
	if err != nil {
		return nil, err
	}
	var comps []int64
	seen := map[int64]bool{}
	for _, o := range obs {
		if !seen[o.ComponentID] {
			seen[o.ComponentID] = true
			comps = append(comps, o.ComponentID)
		}
	}
	places, err := r.m.st.places(ctx, comps)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]moderation.Content, len(obs))
	for id, o := range obs {
		pl, ok := places[o.ComponentID]
		if !ok {
			continue
		}
		out[id] = moderation.Content{AuthorID: o.AuthorID, Excerpt: o.Protocol + " — " + excerpt(o.Body, 480),
			URL:       component.PublicURL(pl.Slug, pl.ComponentID) + "/observations/" + strconv.FormatInt(id, 10),
			SpaceType: authz.SpaceProcess, SpaceID: pl.ProcessID}
	}
	return out, nil
}

// CanView: what the viewer can see and has not been withdrawn.
func (r reportable) CanView(ctx context.Context, viewerID int64, ref moderation.Ref) (bool, error) {
	o, pl, err := r.m.head(ctx, ref.ID)
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	if o.Withdrawn() {
		return false, nil
	}
	return r.m.visible(ctx, viewerID, pl)
}
