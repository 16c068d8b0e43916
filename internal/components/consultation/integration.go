package consultation

import (
	"context"
	"strconv"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
)

// shownKey keys the observation a request is showing in its context.
type shownKey struct{}

// shown is the observation a page has loaded (decorated for moderation)
// with its place. The page passes it down the context to the hooks it calls
// through the comments section (CanView, CanComment, URL), so they do not
// load it again; it lives as long as the request.
type shown struct {
	o  *Observation
	pl place
}

// withShown returns ctx carrying o, decorated, and its place for the hooks.
func withShown(ctx context.Context, o *Observation, pl place) context.Context {
	return context.WithValue(ctx, shownKey{}, shown{o: o, pl: pl})
}

// placeOf is the place of the component a page shows.
func placeOf(v component.View) place {
	return place{ComponentID: v.Component.ID, ProcessID: v.Process.ID, Slug: v.Process.Slug,
		Published: v.Component.Published() && v.Process.Published}
}

// decoratedHead is head with moderation's decision applied: the request's
// shown observation when it is this one.
func (m *Module) decoratedHead(ctx context.Context, id int64) (*Observation, place, error) {
	if s, ok := ctx.Value(shownKey{}).(shown); ok && s.o.ID == id {
		return s.o, s.pl, nil
	}
	o, pl, err := m.head(ctx, id)
	if err != nil {
		return nil, place{}, err
	}
	if err := m.decorate(ctx, []*Observation{o}, false); err != nil {
		return nil, place{}, err
	}
	return o, pl, nil
}

// head loads one observation with its component's place, or ErrNotFound:
// the request's shown observation when it is this one.
func (m *Module) head(ctx context.Context, id int64) (*Observation, place, error) {
	if s, ok := ctx.Value(shownKey{}).(shown); ok && s.o.ID == id {
		return s.o, s.pl, nil
	}
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
	o, _, err := p.m.decoratedHead(ctx, ref.ID)
	if err != nil {
		return false, "", err
	}
	if o.Withdrawn() {
		return false, "consultation.locked.withdrawn", nil
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
