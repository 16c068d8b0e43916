// Package web is the HTTP surface: server, middleware, rendering, forms and
// the error-to-page mapping. Feature packages register their routes through
// a Router and write handlers that return errors (see HandlerFunc).
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what the web layer needs from the platform configuration.
type Config struct {
	BaseURL       string // e.g. https://partecipa.comune.example.it
	SecureCookies bool   // false only for plain-http development
	TrustProxy    bool   // honour X-Forwarded-For
	MaxBodyBytes  int64  // request body limit (uploads get their own)
	OrgName       string // shown in the header
	Demo          bool   // demo mode banner and /dev tools
	// FormActions are extra origins forms may post to (SAML IdPs using the
	// HTTP-POST binding). Same-origin is always allowed.
	FormActions []string
}

// Authenticator turns a session token into a viewer. It returns an error
// wrapping kernel.ErrUnauthenticated when the session is missing or expired.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*Viewer, error)
}

// Server holds what every handler needs to render pages.
type Server struct {
	cfg     Config
	log     *slog.Logger
	cat     *i18n.Catalog
	render  *Renderer
	auth    Authenticator
	clock   kernel.Clock
	mux     *http.ServeMux
	metrics *httpMetrics
	inner   []func(http.Handler) http.Handler
	bypass  []string
	// large holds the routes allowed a bigger body (AllowLargeBody); a
	// ServeMux of its own matches them exactly as the routes are matched.
	large      *http.ServeMux
	largeLimit map[string]int64
}

// BypassCrossOriginCheck exempts a route pattern from the CSRF check. Only
// for endpoints that another site posts to by design and that carry their
// own proof (SAML bindings: signed messages bound to a request ID and a
// browser cookie). Must be called before Handler.
func (s *Server) BypassCrossOriginCheck(pattern string) { s.bypass = append(s.bypass, pattern) }

// AllowLargeBody raises the request body limit for one route pattern (the
// same pattern the route is registered with, method included) to limit
// bytes: file uploads. Every other route keeps Config.MaxBodyBytes, so a
// big body cannot be sent anywhere else. Must be called before Handler.
func (s *Server) AllowLargeBody(pattern string, limit int64) {
	if s.large == nil {
		s.large, s.largeLimit = http.NewServeMux(), map[string]int64{}
	}
	if _, ok := s.largeLimit[pattern]; !ok {
		s.large.Handle(pattern, http.NotFoundHandler())
	}
	s.largeLimit[pattern] = limit
}

// bodyLimit is the body limit for r.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if s.large != nil {
		if _, p := s.large.Handler(r); p != "" {
			if l, ok := s.largeLimit[p]; ok {
				return l
			}
		}
	}
	return s.cfg.MaxBodyBytes
}

// Use adds middleware that runs inside the session middleware, just around
// the routes (so it sees the viewer and locale).
func (s *Server) Use(mw func(http.Handler) http.Handler) { s.inner = append(s.inner, mw) }

// New builds a server. auth may be nil until the identity module is wired.
func New(cfg Config, log *slog.Logger, cat *i18n.Catalog, render *Renderer, clock kernel.Clock, reg prometheus.Registerer) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	s := &Server{cfg: cfg, log: log, cat: cat, render: render, clock: clock, mux: http.NewServeMux()}
	s.metrics = newHTTPMetrics(reg)
	return s
}

// SetAuthenticator wires the session lookup.
func (s *Server) SetAuthenticator(a Authenticator) { s.auth = a }

// Config returns the web configuration.
func (s *Server) Config() Config { return s.cfg }

// Catalog returns the message catalog.
func (s *Server) Catalog() *i18n.Catalog { return s.cat }

// Log returns the logger.
func (s *Server) Log() *slog.Logger { return s.log }

// Clock returns the clock.
func (s *Server) Clock() kernel.Clock { return s.clock }

// HandlerFunc is an HTTP handler that returns an error; the server turns the
// error into the right page (see Server.Error).
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle registers h for pattern (a ServeMux pattern with method).
func (s *Server) Handle(pattern string, h HandlerFunc) {
	s.mux.Handle(pattern, s.Wrap(h))
}

// HandleHTTP registers a plain http.Handler.
func (s *Server) HandleHTTP(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// Wrap adapts a HandlerFunc to http.Handler, mapping its error to a page.
func (s *Server) Wrap(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.Error(w, r, err)
		}
	})
}

// Error renders the page for err: 404, 403, 401 (redirect to login), 409,
// 413, 422, 429, or 500 (logged, never detailed to the user).
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, kernel.ErrUnauthenticated):
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		s.errorPage(w, r, http.StatusUnauthorized, "error.unauthenticated")
	case errors.Is(err, kernel.ErrNotFound):
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
	case errors.Is(err, kernel.ErrForbidden):
		s.errorPage(w, r, http.StatusForbidden, "error.forbidden")
	case errors.As(err, &maxErr):
		s.errorPage(w, r, http.StatusRequestEntityTooLarge, "error.too_large")
	case errors.Is(err, kernel.ErrRateLimited):
		w.Header().Set("Retry-After", "60")
		s.errorPage(w, r, http.StatusTooManyRequests, "error.rate_limited")
	case errors.Is(err, kernel.ErrInvalid):
		s.errorPage(w, r, http.StatusUnprocessableEntity, "error.invalid")
	case errors.Is(err, kernel.ErrConflict):
		s.errorPage(w, r, http.StatusConflict, "error.conflict")
	case errors.Is(err, context.Canceled):
		// The client went away; nothing to render.
	default:
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path, "request_id", RequestIDFrom(r.Context()))
		s.errorPage(w, r, http.StatusInternalServerError, "error.internal")
	}
}

// ErrorPageData is what error.html receives.
type ErrorPageData struct {
	Status  int
	Message string
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	locale := LocaleFrom(r.Context())
	data := ErrorPageData{Status: status, Message: s.cat.T(locale, key)}
	if err := s.render.Render(w, r, s, status, "web/error.html", data, nil); err != nil {
		http.Error(w, data.Message, status)
	}
}

// NotFound is the catch-all handler.
func (s *Server) NotFound(w http.ResponseWriter, r *http.Request) error {
	return kernel.ErrNotFound
}

// newRequestID returns 16 random hex characters.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Redirect answers a POST with 303 See Other to a local path.
func Redirect(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, SafeNext(path, "/"), http.StatusSeeOther)
	return nil
}

// SafeNext returns next if it is a local path (no scheme, no host, no "//"),
// else fallback: redirect targets from the user never leave the site.
// Control characters are refused anywhere: browsers delete tabs and line
// breaks from a Location before parsing it, so "/\t/evil.example" would
// become "//evil.example" — another site.
func SafeNext(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return fallback
	}
	return next
}

func urlQueryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '-' || c == '_' || c == '.' || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Now returns the server clock's time.
func (s *Server) Now() time.Time { return s.clock.Now() }
