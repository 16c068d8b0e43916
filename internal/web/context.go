package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/arengo/arengo/internal/kernel"
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

// ViewerID returns the signed-in participant's ID, or an error wrapping
// kernel.ErrUnauthenticated (a GET is then redirected to the login page).
func ViewerID(r *http.Request) (int64, error) {
	if v := ViewerFrom(r.Context()); v != nil {
		return v.ID, nil
	}
	return 0, kernel.ErrUnauthenticated
}

// PathID parses the route wildcard name as a positive ID; anything else is
// a page that does not exist (an error wrapping kernel.ErrNotFound).
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("bad %s %q: %w", name, r.PathValue(name), kernel.ErrNotFound)
	}
	return id, nil
}
