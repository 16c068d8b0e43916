package eligibility

import (
	"context"

	"github.com/arengo/arengo/internal/authz"
)

// AuthzHook is the evaluator as authz's eligibility hook: Authorize asks it
// about the requirement chosen for the component action, in the territory
// of the component's space, and passes the full explanation on.
type AuthzHook struct{ E *Evaluator }

// Check implements authz.Eligibility.
func (h AuthzHook) Check(ctx context.Context, userID int64, space authz.SpaceRef, componentID int64, action string) (authz.Verdict, error) {
	r, err := h.E.ForSpace(ctx, userID, space.Type, space.ID, componentID, action)
	if err != nil {
		return authz.Verdict{}, err
	}
	return r.Verdict(), nil
}

// Verdict converts r for authz: arguments that are message keys become
// authz.Key so that Decision.Text translates them.
func (r Result) Verdict() authz.Verdict {
	v := authz.Verdict{OK: r.OK, ReasonKey: r.ReasonKey, HelpURL: r.HelpURL}
	if len(r.Args) > 0 {
		v.Args = make([]any, len(r.Args))
		for i, a := range r.Args {
			if k, ok := a.(MessageKey); ok {
				a = authz.Key(k)
			}
			v.Args[i] = a
		}
	}
	return v
}
