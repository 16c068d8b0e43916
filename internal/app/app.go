// Package app is the composition root: configuration → database → stores and
// services → HTTP. Nothing else in the platform wires dependencies, and there
// are no globals.
package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/mail"
	"github.com/arengo/arengo/internal/markdown"
	"github.com/arengo/arengo/internal/ratelimit"
	"github.com/arengo/arengo/internal/secure"
	"github.com/arengo/arengo/internal/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// App is the running platform.
type App struct {
	Cfg      config.Config
	Log      *slog.Logger
	DB       *db.DB
	Clock    kernel.Clock
	Catalog  *i18n.Catalog
	Markdown *markdown.Renderer
	Limiter  *ratelimit.Limiter
	Web      *web.Server
	Registry *prometheus.Registry
	Services *Services
	workers  []func(ctx context.Context)
	sweeps   []func(ctx context.Context) error
	// demoLoaders add each module's demo content; they receive the demo
	// accounts by role ("administrator", "participant", "moderator", "evaluator").
	demoLoaders []func(ctx context.Context, users map[string]identity.User) error
}

// New opens the database, migrates it, and wires every module.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, clock kernel.Clock) (*App, error) {
	// Personal data needs a key: production refuses to start without
	// ARENGO_SECRET_KEY; demo mode generates data/secret.key once.
	_, secret, err := secure.LoadOrCreateKey(cfg.DataDir, cfg.SecretKey, cfg.Demo)
	if err != nil {
		return nil, err
	}
	cfg.SecretKey = secret
	d, err := db.Open(ctx, cfg.DatabaseURL, db.Options{})
	if err != nil {
		return nil, err
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "engine", d.Engine, "applied", applied)
	}
	a, err := Wire(cfg, log, clock, d)
	if err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

// Wire builds the platform on an open, migrated database (tests call it
// directly with a dbtest database).
func Wire(cfg config.Config, log *slog.Logger, clock kernel.Clock, d *db.DB) (*App, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	md := markdown.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a := &App{Cfg: cfg, Log: log, DB: d, Clock: clock, Catalog: cat, Markdown: md, Registry: reg,
		Limiter: ratelimit.New(d, clock)}
	renderer, err := web.NewRenderer(md, templateSources()...)
	if err != nil {
		return nil, err
	}
	a.Web = web.New(web.Config{
		BaseURL:       cfg.BaseURL,
		SecureCookies: cfg.SecureCookies(),
		TrustProxy:    cfg.TrustProxy,
		MaxBodyBytes:  cfg.MaxBodyBytes,
		OrgName:       cfg.OrgName,
		Demo:          cfg.Demo,
	}, log, cat, renderer, clock, reg)
	if err := a.wireModules(); err != nil {
		return nil, err
	}
	a.Web.HandleHTTP("GET /static/", web.StaticHandler())
	a.Web.HandleHTTP("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	}))
	a.Web.HandleHTTP("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := d.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "database unavailable")
			return
		}
		fmt.Fprintln(w, "ready")
	}))
	a.Web.HandleHTTP("GET /metrics", metricsAuth(cfg.MetricsToken, promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))

	var sender mail.Sender = mail.HoldSender{Log: log}
	if cfg.SMTPHost != "" {
		sender = mail.SMTPSender{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.MailFrom}
	} else if !cfg.Demo {
		log.Warn("no SMTP server configured (ARENGO_SMTP_HOST): emails are kept in the outbox and not delivered")
	}
	mw := &mail.Worker{DB: d, Sender: sender, Clock: clock, Log: log}
	a.workers = append(a.workers, mw.Run, a.sweeper)
	return a, nil
}

// metricsAuth guards the Prometheus endpoint with a bearer token when one
// is configured (route counts and runtime figures are not for the public).
func metricsAuth(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Handler is the HTTP handler with all middleware.
func (a *App) Handler() http.Handler { return a.Web.Handler() }

// sweeper deletes expired sessions, tokens and rate-limit windows.
func (a *App) sweeper(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if err := a.Limiter.Sweep(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
			a.Log.Warn("sweep rate limits", "err", err)
		}
		if err := a.sweepAll(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Serve listens on cfg.Addr until ctx is cancelled, then shuts down
// gracefully: in-flight requests finish (up to ShutdownGrace), workers stop.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.Cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	wctx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{}, len(a.workers))
	for _, w := range a.workers {
		go func() { w(wctx); done <- struct{}{} }()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		stopWorkers()
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "grace", a.Cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), a.Cfg.ShutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	stopWorkers()
	for range a.workers {
		<-done
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// NewLogger builds the slog logger from the configuration.
func NewLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
