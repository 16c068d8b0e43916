package web

import (
	"context"
	"net"
	"net/http"
	"strings"
)

// Viewer is who is looking at the page: the signed-in participant, if any.
type Viewer struct {
	ID       int64
	Nickname string
	Email    string
	Locale   string
	IsAdmin  bool
	// Unread is the number of unread in-app notifications (header badge).
	Unread int
}

type ctxKey int

const (
	viewerKey ctxKey = iota
	localeKey
	requestIDKey
	sessionTokenKey
)

// ViewerFrom returns the signed-in participant, or nil.
func ViewerFrom(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey).(*Viewer)
	return v
}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey, v)
}

// LocaleFrom returns the request's locale ("it" by default).
func LocaleFrom(ctx context.Context) string {
	if l, ok := ctx.Value(localeKey).(string); ok {
		return l
	}
	return "it"
}

// WithLocale returns ctx carrying locale.
func WithLocale(ctx context.Context, locale string) context.Context {
	return context.WithValue(ctx, localeKey, locale)
}

// RequestIDFrom returns the request ID set by the middleware.
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// SessionTokenFrom returns the raw session token of the request, if any.
func SessionTokenFrom(ctx context.Context) string {
	s, _ := ctx.Value(sessionTokenKey).(string)
	return s
}

// ClientIP returns the client's address. X-Forwarded-For is trusted only
// when the server is configured to sit behind a proxy.
func (s *Server) ClientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
