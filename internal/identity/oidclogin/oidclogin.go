// Package oidclogin is a generic OpenID Connect login (authorization code
// with PKCE) for the municipality's own identity provider — the strong login
// of 16–17-year-olds, who have no SPID — and, later, CIE. The provider's
// claims are mapped to a person (codice fiscale, names, birth date) and
// handed to spidlogin.Flow, which every strong login shares.
//
// State, nonce and PKCE verifier stay on the server (table oidc_states),
// bound to the browser by a cookie; the provider sees only the state.
package oidclogin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/arengo/arengo/internal/config"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity/spidlogin"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

// Claims names the ID token claims holding the person's data.
type Claims struct {
	FiscalNumber string // default "fiscal_number"; a "TINIT-" prefix is accepted
	BirthDate    string // default "birthdate" (YYYY-MM-DD)
	GivenName    string // default "given_name"
	FamilyName   string // default "family_name"
	Email        string // default "email"
}

// Config configures the provider.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string // empty: a public client, authenticated by PKCE only
	// RedirectURL is BaseURL + CallbackPath.
	RedirectURL string
	Scopes      []string // default openid profile email
	Name        string   // shown on the button, e.g. "MilanoID"
	Claims      Claims
	// HTTPClient talks to the provider; default: 15-second timeout.
	HTTPClient *http.Client
	// StateTTL bounds the time at the provider; default 15 minutes.
	StateTTL time.Duration
	// ClockSkew tolerated on token times; default 2 minutes.
	ClockSkew time.Duration
}

// Paths of the login.
const (
	StartPath    = "/login/oidc"
	CallbackPath = "/login/oidc/callback"
	// BindingCookie binds a state to the browser that started the login.
	BindingCookie = "arengo_oidc"
)

// Login is the OpenID Connect login.
type Login struct {
	cfg   Config
	s     *web.Server
	db    *db.DB
	flow  *spidlogin.Flow
	clock kernel.Clock
	rand  io.Reader
	log   *slog.Logger

	mu       sync.Mutex
	disc     *discovery // nil until the provider answered once
	verifier *idTokenVerifier
}

type discovery struct {
	Issuer   string `json:"issuer"`
	AuthURL  string `json:"authorization_endpoint"`
	TokenURL string `json:"token_endpoint"`
	JWKSURL  string `json:"jwks_uri"`
}

// New validates cfg. The provider is contacted on first use, so the
// platform starts even while it is down.
func New(cfg Config, s *web.Server, d *db.DB, flow *spidlogin.Flow, clock kernel.Clock, rnd io.Reader, log *slog.Logger) (*Login, error) {
	if err := checkURL("issuer", cfg.Issuer); err != nil {
		return nil, err
	}
	if cfg.ClientID == "" {
		return nil, errors.New("oidclogin: client ID is required")
	}
	if err := checkURL("redirect URL", cfg.RedirectURL); err != nil {
		return nil, err
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"openid", "profile", "email"}
	}
	hasOpenID := false
	for _, sc := range cfg.Scopes {
		hasOpenID = hasOpenID || sc == "openid"
	}
	if !hasOpenID {
		cfg.Scopes = append([]string{"openid"}, cfg.Scopes...)
	}
	c := &cfg.Claims
	for _, p := range []struct {
		dst *string
		def string
	}{{&c.FiscalNumber, "fiscal_number"}, {&c.BirthDate, "birthdate"}, {&c.GivenName, "given_name"}, {&c.FamilyName, "family_name"}, {&c.Email, "email"}} {
		if *p.dst == "" {
			*p.dst = p.def
		}
	}
	if cfg.Name == "" {
		cfg.Name = "OpenID Connect"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.StateTTL <= 0 {
		cfg.StateTTL = 15 * time.Minute
	}
	if cfg.ClockSkew <= 0 {
		cfg.ClockSkew = 2 * time.Minute
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Login{cfg: cfg, s: s, db: d, flow: flow, clock: clock, rand: rnd, log: log}, nil
}

// checkURL wants https, except for a provider on this machine (development
// and tests).
func checkURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("oidclogin: %s %q is not an absolute URL", what, raw)
	}
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); u.Scheme == "http" && (host == "localhost" || (ip != nil && ip.IsLoopback())) {
		return nil
	}
	return fmt.Errorf("oidclogin: %s %q must use https", what, raw)
}

// Button describes the login for the strong-login page.
func (l *Login) Button() spidlogin.OtherProvider {
	o := ""
	if u, err := url.Parse(l.cfg.Issuer); err == nil {
		o = u.Scheme + "://" + u.Host
	}
	return spidlogin.OtherProvider{Name: l.cfg.Name, Action: StartPath, Origin: o}
}

// Routes registers the start and callback endpoints.
func (l *Login) Routes() {
	l.s.Handle("POST "+StartPath, l.start)
	l.s.Handle("GET "+CallbackPath, l.callback)
}

// provider returns the discovery document, fetching it once, and the ID
// token verifier built from it.
func (l *Login) provider(ctx context.Context) (*discovery, *idTokenVerifier, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.disc != nil {
		return l.disc, l.verifier, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(l.cfg.Issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := l.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("oidclogin: discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("oidclogin: discovery: %s", resp.Status)
	}
	var d discovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, nil, fmt.Errorf("oidclogin: discovery: %w", err)
	}
	// OpenID Connect Discovery §4.3: the document must name the issuer we asked.
	if d.Issuer != l.cfg.Issuer {
		return nil, nil, fmt.Errorf("oidclogin: discovery names issuer %q, configured %q", d.Issuer, l.cfg.Issuer)
	}
	for what, u := range map[string]string{"authorization endpoint": d.AuthURL, "token endpoint": d.TokenURL, "jwks_uri": d.JWKSURL} {
		if err := checkURL(what, u); err != nil {
			return nil, nil, err
		}
	}
	// The key set outlives this request: it is fetched on the first token
	// and again when a token names a key it does not hold (rotation).
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), l.cfg.HTTPClient), d.JWKSURL)
	l.disc = &d
	l.verifier = newIDTokenVerifier(l.cfg.Issuer, l.cfg.ClientID, keys, l.clock.Now, l.cfg.ClockSkew)
	return l.disc, l.verifier, nil
}

func (l *Login) oauth2Config(d *discovery) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if l.cfg.ClientSecret == "" {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID: l.cfg.ClientID, ClientSecret: l.cfg.ClientSecret, RedirectURL: l.cfg.RedirectURL, Scopes: l.cfg.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: d.AuthURL, TokenURL: d.TokenURL, AuthStyle: style},
	}
}

func (l *Login) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(l.rand, b); err != nil {
		return "", fmt.Errorf("oidclogin: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func bindingHash(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

// start sends the browser to the provider's authorization endpoint.
func (l *Login) start(w http.ResponseWriter, r *http.Request) error {
	form, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	if ok, err := l.flow.AllowStart(w, r); !ok {
		return err
	}
	ctx := r.Context()
	d, _, err := l.provider(ctx)
	if err != nil {
		l.log.WarnContext(ctx, "oidc provider unavailable", "err", err)
		return l.flow.Problem(w, r, http.StatusServiceUnavailable, "oidclogin.error.unavailable")
	}
	state, err := l.random(24)
	if err != nil {
		return err
	}
	nonce, err := l.random(24)
	if err != nil {
		return err
	}
	verifier := oauth2.GenerateVerifier()
	binding := ""
	if c, err := r.Cookie(BindingCookie); err == nil && len(c.Value) == 43 {
		binding = c.Value
	} else if binding, err = l.random(32); err != nil {
		return err
	}
	now := l.clock.Now()
	if _, err := l.db.W().ExecContext(ctx, `INSERT INTO oidc_states (state, browser_binding, nonce, code_verifier, return_to, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, state, bindingHash(binding), nonce, verifier, web.SafeNext(form.Get("next"), ""), now, now.Add(l.cfg.StateTTL)); err != nil {
		return fmt.Errorf("oidclogin: save state: %w", err)
	}
	l.s.SetCookie(w, BindingCookie, binding, l.cfg.StateTTL)
	target := l.oauth2Config(d).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))
	spidlogin.AllowFormAction(w, target)
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

type savedState struct {
	binding, nonce, verifier, returnTo string
	expires                            time.Time
}

// consumeState takes the state once (DELETE … RETURNING), so a callback URL
// replayed or raced works at most once.
func (l *Login) consumeState(ctx context.Context, state string) (savedState, error) {
	var s savedState
	err := l.db.W().QueryRowContext(ctx, `DELETE FROM oidc_states WHERE state = $1 RETURNING browser_binding, nonce, code_verifier, return_to, expires_at`, state).
		Scan(&s.binding, &s.nonce, &s.verifier, &s.returnTo, &s.expires)
	if errors.Is(err, sql.ErrNoRows) {
		return savedState{}, errState
	}
	if err != nil {
		return savedState{}, fmt.Errorf("oidclogin: state: %w", err)
	}
	if !l.clock.Now().Before(s.expires) {
		return savedState{}, errState
	}
	return s, nil
}

var errState = errors.New("oidclogin: unknown, used or expired state")

// callback is where the provider sends the browser back.
func (l *Login) callback(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" || len(state) > 100 {
		return l.flow.Problem(w, r, http.StatusBadRequest, "oidclogin.error.state")
	}
	st, err := l.consumeState(ctx, state)
	if errors.Is(err, errState) {
		return l.flow.Problem(w, r, http.StatusBadRequest, "oidclogin.error.state")
	}
	if err != nil {
		return err
	}
	c, cerr := r.Cookie(BindingCookie)
	if cerr != nil || bindingHash(c.Value) != st.binding {
		return l.flow.Problem(w, r, http.StatusForbidden, "oidclogin.error.state")
	}
	if e := q.Get("error"); e != "" {
		l.log.InfoContext(ctx, "oidc login refused by provider", "error", e)
		if e == "access_denied" || e == "consent_required" || e == "login_required" {
			return l.flow.Problem(w, r, http.StatusForbidden, "oidclogin.error.denied")
		}
		return l.flow.Problem(w, r, http.StatusBadRequest, "oidclogin.error.failed")
	}
	code := q.Get("code")
	if code == "" {
		return l.flow.Problem(w, r, http.StatusBadRequest, "oidclogin.error.failed")
	}
	d, verifier, err := l.provider(ctx)
	if err != nil {
		return l.flow.Problem(w, r, http.StatusServiceUnavailable, "oidclogin.error.unavailable")
	}
	tok, err := l.oauth2Config(d).Exchange(context.WithValue(ctx, oauth2.HTTPClient, l.cfg.HTTPClient), code, oauth2.VerifierOption(st.verifier))
	if err != nil {
		l.log.WarnContext(ctx, "oidc code exchange failed", "err", err)
		return l.flow.Problem(w, r, http.StatusBadGateway, "oidclogin.error.failed")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return l.flow.Problem(w, r, http.StatusBadGateway, "oidclogin.error.failed")
	}
	claims, err := verifier.verify(ctx, raw, st.nonce)
	if err != nil {
		l.log.WarnContext(ctx, "oidc ID token refused", "err", err)
		return l.flow.Problem(w, r, http.StatusBadRequest, "oidclogin.error.failed")
	}
	person, ok := l.person(claims)
	if !ok {
		return l.flow.Problem(w, r, http.StatusBadRequest, "oidclogin.error.claims")
	}
	l.s.ClearCookie(w, BindingCookie)
	return l.flow.Arrive(w, r, spidlogin.Arrival{Method: verification.MethodOIDC, Provider: l.cfg.Issuer, Person: person, ReturnTo: st.returnTo})
}

// person maps the configured claims; every one but email is required.
func (l *Login) person(claims map[string]any) (verification.PersonalData, bool) {
	str := func(name string) string {
		v, _ := claims[name].(string)
		return strings.TrimSpace(v)
	}
	fc := strings.ToUpper(str(l.cfg.Claims.FiscalNumber))
	fc = strings.TrimPrefix(fc, "TINIT-")
	bd, err := time.Parse(time.DateOnly, str(l.cfg.Claims.BirthDate))
	p := verification.PersonalData{FiscalCode: fc, GivenName: str(l.cfg.Claims.GivenName), FamilyName: str(l.cfg.Claims.FamilyName), BirthDate: bd}
	if verified, ok := claims["email_verified"].(bool); !ok || verified {
		p.Email = str(l.cfg.Claims.Email)
	}
	return p, fc != "" && err == nil && p.GivenName != "" && p.FamilyName != ""
}

// Sweep deletes states whose login was never completed.
func (l *Login) Sweep(ctx context.Context) error {
	_, err := l.db.W().ExecContext(ctx, `DELETE FROM oidc_states WHERE expires_at < $1`, l.clock.Now())
	return err
}

// FromConfig reads the ARENGO_OIDC_* settings; ok is false when no issuer
// is configured (the login is off).
func FromConfig(c config.Config) (cfg Config, ok bool) {
	if c.OIDCIssuer == "" {
		return Config{}, false
	}
	return Config{
		Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
		RedirectURL: strings.TrimRight(c.BaseURL, "/") + CallbackPath, Scopes: strings.Fields(c.OIDCScopes), Name: c.OIDCName,
		Claims: Claims{FiscalNumber: c.OIDCFiscalClaim, BirthDate: c.OIDCBirthDateClaim, GivenName: c.OIDCGivenNameClaim, FamilyName: c.OIDCFamilyNameClaim},
	}, true
}
