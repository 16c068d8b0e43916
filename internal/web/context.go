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
// when the server is configured to sit behind a proxy, and then only its
// last entry: the one our proxy appended. Earlier entries are whatever the
// client sent, so trusting the first would let anyone pick the address that
// rate limits and the audit log key on.
func (s *Server) ClientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xffs := r.Header.Values("X-Forwarded-For"); len(xffs) > 0 {
			xff := xffs[len(xffs)-1]
			last := xff[strings.LastIndexByte(xff, ',')+1:]
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
