package kernel

import "context"

// Actor is who performs an action, as recorded in the audit log. The web
// layer puts it in the request context; background jobs use a system actor.
type Actor struct {
	UserID     int64 // 0 for the system
	RequestID  string
	RemoteAddr string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx (the zero Actor is the system).
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}
