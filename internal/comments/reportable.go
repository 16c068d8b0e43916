package comments

import (
	"context"
	"fmt"

	"github.com/arengo/arengo/internal/moderation"
)

// reportable lets moderation handle comments.
type reportable struct{ s *Service }

// Describe loads the comments, and where each stands in its thread, in two
// queries; the page and space come from each commented thing's policy,
// asked once per distinct thing.
func (r reportable) Describe(ctx context.Context, ids []int64) (map[int64]moderation.Content, error) {
	cs, err := r.s.st.byIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	type place struct {
		url       string
		spaceType string
		spaceID   int64
	}
	places := map[Ref]place{}
	found := make([]int64, 0, len(cs))
	for id := range cs {
		found = append(found, id)
	}
	before, err := r.s.st.topBefore(ctx, r.s.db.R(), found)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]moderation.Content, len(cs))
	for id, c := range cs {
		pl, ok := places[c.Ref]
		if !ok {
			p, err := r.s.policy(c.Ref.Type)
			if err != nil {
				continue // the component is gone: nothing to show
			}
			if pl.url, err = p.URL(ctx, c.Ref); err != nil {
				return nil, fmt.Errorf("comments: describe %d: %w", id, err)
			}
			if pl.spaceType, pl.spaceID, err = p.SpaceOf(ctx, c.Ref); err != nil {
				return nil, fmt.Errorf("comments: describe %d: %w", id, err)
			}
			places[c.Ref] = pl
		}
		out[id] = moderation.Content{AuthorID: c.AuthorID, Excerpt: excerpt(c.Body, 500),
			URL: commentURL(pl.url, id, before[id]), SpaceType: pl.spaceType, SpaceID: pl.spaceID}
	}
	return out, nil
}

// CanView: a comment is visible to whoever sees its thing, unless deleted.
func (r reportable) CanView(ctx context.Context, viewerID int64, ref moderation.Ref) (bool, error) {
	c, err := r.s.st.get(ctx, r.s.db.R(), ref.ID)
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	if c.Deleted() {
		return false, nil
	}
	p, err := r.s.policy(c.Ref.Type)
	if err != nil {
		return false, nil
	}
	return p.CanView(ctx, viewerID, c.Ref)
}
