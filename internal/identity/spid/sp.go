package spid

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

// MaxResponseBytes bounds the body the ACS and SLO endpoints read.
const MaxResponseBytes = 256 << 10

// Options are the SP's collaborators. All are required except AuthLog
// (required in production: AgID wants every request/response pair kept for
// 24 months; leave it nil only in tests that do not care).
type Options struct {
	// Clock returns the current time; time.Now in production.
	Clock func() time.Time
	// Rand is the source of IDs, RelayStates and cookies; crypto/rand.Reader
	// in production.
	Rand io.Reader
	// Requests keeps issued requests until their response arrives.
	Requests RequestStore
	// IdPs resolves trusted identity providers (usually a *Registry).
	IdPs IdPProvider
	// AuthLog receives every AuthnRequest/Response pair.
	AuthLog AuthLog
}

// IdPProvider resolves an IdP entity ID to its metadata. It returns an error
// matching ErrUnknownIdP for entities that are unknown or not allowed.
type IdPProvider interface {
	IdP(entityID string) (IdP, error)
}

// ErrUnknownIdP is returned by IdPProvider implementations.
var ErrUnknownIdP = errors.New("spid: unknown or not allowed identity provider")

// ServiceProvider is a configured SPID SP. It is safe for concurrent use and
// holds no per-user state in memory: requests live in the RequestStore, so
// several instances may share one store.
type ServiceProvider struct {
	cfg      Config
	keys     samlxml.KeyPair
	now      func() time.Time
	rand     io.Reader
	requests RequestStore
	idps     IdPProvider
	authLog  AuthLog
	secure   bool // cookies get Secure and SameSite=None
}

// New validates cfg and returns a service provider.
func New(cfg Config, opts Options) (*ServiceProvider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if opts.Clock == nil || opts.Rand == nil || opts.Requests == nil || opts.IdPs == nil {
		return nil, errors.New("spid: Options.Clock, Rand, Requests and IdPs are required")
	}
	keys, err := samlxml.ParseKeyPair(cfg.KeyPEM, cfg.CertPEM)
	if err != nil {
		return nil, fmt.Errorf("spid: %w", err)
	}
	acs, _ := url.Parse(cfg.ACSURL)
	return &ServiceProvider{
		cfg:      cfg,
		keys:     keys,
		now:      opts.Clock,
		rand:     opts.Rand,
		requests: opts.Requests,
		idps:     opts.IdPs,
		authLog:  opts.AuthLog,
		secure:   acs.Scheme == "https",
	}, nil
}

// EntityID returns the SP's entity ID.
func (sp *ServiceProvider) EntityID() string { return sp.cfg.EntityID }

// ACSURL returns the assertion consumer service URL.
func (sp *ServiceProvider) ACSURL() string { return sp.cfg.ACSURL }

// SLOURL returns the single logout URL.
func (sp *ServiceProvider) SLOURL() string { return sp.cfg.SLOURL }
