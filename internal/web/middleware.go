package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/prometheus/client_golang/prometheus"
)

// Cookie names.
const (
	SessionCookie = "arengo_session"
	LangCookie    = "arengo_lang"
	FlashCookie   = "arengo_flash"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "arengo_http_requests_total", Help: "HTTP requests by route pattern, method and status class.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "arengo_http_request_duration_seconds", Help: "HTTP request duration by route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Handler returns the whole middleware chain around the routes.
func (s *Server) Handler() http.Handler {
	s.mux.Handle("/", s.Wrap(s.NotFound))
	var h http.Handler = s.mux
	for i := len(s.inner) - 1; i >= 0; i-- {
		h = s.inner[i](h)
	}
	h = s.withSession(h)
	h = s.withCSRF(h)
	h = s.withBodyLimit(h)
	h = s.withSecurityHeaders(h)
	h = s.withObservability(h)
	return h
}

// withObservability sets the request ID, recovers panics, logs the request
// and records metrics.
func (s *Server) withObservability(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < '!' || c > '~' }) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()), "request_id", id)
				if sw.status == 0 {
					s.errorPage(sw, r, http.StatusInternalServerError, "error.internal")
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(status/100)+"xx").Inc()
			s.metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
			if r.URL.Path != "/healthz" && r.URL.Path != "/metrics" {
				s.log.InfoContext(ctx, "http", "method", r.Method, "path", r.URL.Path, "status", status,
					"bytes", sw.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", id)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// withSecurityHeaders sets a strict Content-Security-Policy (no inline
// script or style) and the usual hardening headers.
func (s *Server) withSecurityHeaders(next http.Handler) http.Handler {
	formAction := "'self'"
	for _, o := range s.cfg.FormActions {
		formAction += " " + o
	}
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
		"connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action " + formAction
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.cfg.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// withBodyLimit answers 413 for declared oversized bodies and caps the rest.
func (s *Server) withBodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.bodyLimit(r)
		if r.ContentLength > limit {
			s.errorPage(w, r.WithContext(WithLocale(r.Context(), s.locale(r, nil))), http.StatusRequestEntityTooLarge, "error.too_large")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// withCSRF rejects cross-origin state-changing requests (Go's
// CrossOriginProtection: Sec-Fetch-Site, then Origin against Host).
func (s *Server) withCSRF(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, p := range s.bypass {
		cop.AddInsecureBypassPattern(p)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(WithLocale(r.Context(), s.locale(r, nil)))
		s.errorPage(w, r, http.StatusForbidden, "error.cross_origin")
	}))
	return cop.Handler(next)
}

// withSession loads the viewer from the session cookie and picks the locale.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var v *Viewer
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" && s.auth != nil && !strings.HasPrefix(r.URL.Path, "/static/") {
			viewer, err := s.auth.Authenticate(ctx, c.Value)
			switch {
			case err == nil:
				v = viewer
				ctx = WithViewer(ctx, v)
				ctx = context.WithValue(ctx, sessionTokenKey, c.Value)
			case errors.Is(err, kernel.ErrUnauthenticated):
				s.ClearCookie(w, SessionCookie)
			default:
				s.log.ErrorContext(ctx, "session lookup failed", "err", err)
			}
		}
		ctx = WithLocale(ctx, s.locale(r, v))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// locale picks the participant's saved language, then the language cookie,
// then Accept-Language, then Italian.
func (s *Server) locale(r *http.Request, v *Viewer) string {
	if v != nil && kernel.ValidLocale(v.Locale) {
		return v.Locale
	}
	if c, err := r.Cookie(LangCookie); err == nil && kernel.ValidLocale(c.Value) {
		return c.Value
	}
	return i18n.Match(r.Header.Get("Accept-Language"))
}

// SetCookie sets a cookie with the platform's defaults (HttpOnly, Lax,
// Secure unless plain-http development).
func (s *Server) SetCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie deletes a cookie.
func (s *Server) ClearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// SetFlash stores a one-time message key shown on the next page.
func (s *Server) SetFlash(w http.ResponseWriter, key string) {
	s.SetCookie(w, FlashCookie, key, 5*time.Minute)
}

// takeFlash reads and clears the flash message; unknown keys are dropped so
// a forged cookie cannot inject text.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(FlashCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	s.ClearCookie(w, FlashCookie)
	locale := LocaleFrom(r.Context())
	if !s.cat.Has(locale, c.Value) {
		return ""
	}
	return s.cat.T(locale, c.Value)
}
