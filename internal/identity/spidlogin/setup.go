package spidlogin

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/ratelimit"
	"github.com/arengo/arengo/internal/secure"
	"github.com/arengo/arengo/internal/web"
)

// TestIdPPath is where demo mode mounts the built-in test IdP.
const TestIdPPath = "/spid-test-idp"

// TestIdPName is the test IdP's name on the SPID button.
const TestIdPName = "Arengo Test IdP"

// ScriptURL is the platform script that submits the SAML binding forms.
const ScriptURL = "/static/app.js"

// Attribute services declared in the metadata. Index 1 adds the email, used
// for the first login's account; index 0 is the minimum.
const (
	AttributesMinimal   = 0
	AttributesWithEmail = 1
)

// Deps are what the module needs from the platform.
type Deps struct {
	Cfg    config.Config
	S      *web.Server
	DB     *db.DB
	Users  *identity.Service
	Verify *verification.Service
	Keys   *secure.Keyring
	Clock  kernel.Clock
	Log    *slog.Logger
	// Limiter bounds strong-login starts per address (see Flow.Limiter).
	Limiter *ratelimit.Limiter
	// Rand defaults to crypto/rand.
	Rand io.Reader
	// HTTPClient fetches IdP metadata URLs; default: 30-second timeout.
	HTTPClient *http.Client
}

// Module is SPID and the strong-login flow, wired.
type Module struct {
	Flow *Flow
	// SPID is nil when SPID is off (no key configured and not in demo mode).
	SPID     *Handlers
	SP       *spid.ServiceProvider
	Registry *spid.Registry
	Requests *spid.SQLRequestStore
	AuthLog  *spid.SQLAuthLog
	// TestIdP is the built-in IdP, demo mode only.
	TestIdP *testidp.IdP
	// Others are more strong logins shown under the SPID button; set them
	// before Routes.
	Others []OtherProvider

	s       *web.Server
	log     *slog.Logger
	refresh time.Duration
	// configured: IdP metadata comes from files or URLs, worth reloading.
	configured bool
}

// Enabled reports whether cfg turns SPID on.
func Enabled(cfg config.Config) bool { return cfg.SPIDKeyFile != "" || cfg.Demo }

// New builds the module. In demo mode the SP's keys and the test IdP's keys
// are generated (and kept in Cfg.SPIDDemoDir when set, else in memory), and
// the test IdP is the only IdP unless others are configured.
func New(ctx context.Context, d Deps) (*Module, error) {
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	flow := &Flow{S: d.S, DB: d.DB, Users: d.Users, Verify: d.Verify, Keys: d.Keys, Clock: d.Clock, Rand: d.Rand, Log: d.Log, Limiter: d.Limiter}
	m := &Module{Flow: flow, s: d.S, log: d.Log, refresh: d.Cfg.SPIDIdPRefresh}
	if m.refresh <= 0 {
		m.refresh = 12 * time.Hour
	}
	if !Enabled(d.Cfg) {
		return m, nil
	}
	cfg := d.Cfg
	var keyPEM, certPEM, idpKey, idpCert []byte
	var err error
	if cfg.SPIDKeyFile != "" {
		if keyPEM, err = os.ReadFile(cfg.SPIDKeyFile); err != nil {
			return nil, fmt.Errorf("ARENGO_SPID_KEY_FILE: %w", err)
		}
		if certPEM, err = os.ReadFile(cfg.SPIDCertFile); err != nil {
			return nil, fmt.Errorf("ARENGO_SPID_CERT_FILE: %w", err)
		}
	}
	if cfg.Demo {
		if keyPEM == nil {
			if keyPEM, certPEM, err = demoKeys(d, "sp", "Arengo demo SP"); err != nil {
				return nil, err
			}
		}
		if idpKey, idpCert, err = demoKeys(d, "idp", TestIdPName); err != nil {
			return nil, err
		}
	}

	m.Requests = &spid.SQLRequestStore{DB: d.DB, Clock: d.Clock.Now}
	m.AuthLog = &spid.SQLAuthLog{DB: d.DB, Clock: d.Clock.Now}
	ref := &registryRef{}
	m.SP, err = spid.New(spConfig(cfg, keyPEM, certPEM), spid.Options{
		Clock: d.Clock.Now, Rand: d.Rand, Requests: m.Requests, IdPs: ref, AuthLog: m.AuthLog,
	})
	if err != nil {
		return nil, err
	}

	rc := spid.RegistryConfig{Clock: d.Clock.Now, Client: d.HTTPClient, DisplayNames: map[string]string{}}
	if rc.Client == nil {
		rc.Client = &http.Client{Timeout: 30 * time.Second}
	}
	for _, src := range splitList(cfg.SPIDIdPMetadata) {
		if strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
			rc.Sources = append(rc.Sources, spid.RegistrySource{Name: src, URL: src})
		} else {
			rc.Sources = append(rc.Sources, spid.RegistrySource{Name: src, File: src})
		}
	}
	m.configured = len(rc.Sources) > 0
	rc.AllowList = splitList(cfg.SPIDIdPAllow)
	if cfg.SPIDIdPSignerCert != "" {
		// AgID signs its registry of identity providers: refuse a registry
		// document not signed by one of these certificates.
		certs, err := readCertificates(cfg.SPIDIdPSignerCert)
		if err != nil {
			return nil, fmt.Errorf("spidlogin: ARENGO_SPID_IDP_SIGNER_CERT: %w", err)
		}
		rc.SignerCerts = certs
	}
	if cfg.Demo {
		spMeta, err := m.SP.Metadata()
		if err != nil {
			return nil, err
		}
		m.TestIdP, err = testidp.New(testidp.Config{
			BaseURL: strings.TrimRight(cfg.BaseURL, "/") + TestIdPPath, KeyPEM: idpKey, CertPEM: idpCert,
			SPMetadata: [][]byte{spMeta}, Clock: d.Clock.Now, Rand: d.Rand, ScriptURL: ScriptURL,
		})
		if err != nil {
			return nil, err
		}
		idpMeta, err := m.TestIdP.Metadata()
		if err != nil {
			return nil, err
		}
		rc.Sources = append(rc.Sources, spid.RegistrySource{Name: "demo test IdP", Data: idpMeta})
		rc.DisplayNames[m.TestIdP.EntityID()] = TestIdPName
		if len(rc.AllowList) > 0 {
			rc.AllowList = append(rc.AllowList, m.TestIdP.EntityID())
		}
	}
	m.Registry, err = spid.NewRegistry(ctx, rc)
	if err != nil {
		// Sources that failed keep nothing yet; the refresh worker retries.
		d.Log.Warn("spid: identity provider metadata not fully loaded", "err", err)
	}
	ref.r = m.Registry
	m.SPID = &Handlers{
		S: d.S, Flow: flow, SP: m.SP, IdPs: m.Registry, Rand: d.Rand, Log: d.Log, Users: d.Users,
		DefaultLevel: spid.SpidL2, AttributeIndex: AttributesWithEmail, ScriptURL: ScriptURL,
	}
	return m, nil
}

// registryRef lets the SP be built before the registry that needs its
// metadata (the demo's test IdP is configured with the SP's metadata).
type registryRef struct{ r *spid.Registry }

func (x *registryRef) IdP(entityID string) (spid.IdP, error) {
	if x.r == nil {
		return spid.IdP{}, spid.ErrUnknownIdP
	}
	return x.r.IdP(entityID)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func spConfig(cfg config.Config, keyPEM, certPEM []byte) spid.Config {
	base := strings.TrimRight(cfg.BaseURL, "/")
	entity := cfg.SPIDEntityID
	if entity == "" {
		entity = base + "/spid/metadata"
	}
	org := spid.Organization{NameIT: cfg.SPIDOrgName, DisplayNameIT: cfg.SPIDOrgDisplayName, URLIT: cfg.SPIDOrgURL}
	if org.NameIT == "" {
		org.NameIT = cfg.OrgName
	}
	if org.DisplayNameIT == "" {
		org.DisplayNameIT = org.NameIT
	}
	if org.URLIT == "" {
		org.URLIT = base
	}
	ct := spid.Contact{
		Public: cfg.SPIDIPACode != "", IPACode: cfg.SPIDIPACode, VATNumber: cfg.SPIDVATNumber, FiscalCode: cfg.SPIDFiscalCode,
		Email: cfg.SPIDContactEmail, Telephone: cfg.SPIDContactPhone,
	}
	if cfg.Demo && cfg.SPIDKeyFile == "" {
		// A fictitious public SP: only the built-in test IdP ever reads it.
		if !ct.Public && ct.VATNumber == "" && ct.FiscalCode == "" {
			ct.Public, ct.IPACode = true, "arengo_demo"
		}
		if ct.Email == "" {
			ct.Email = "spid-demo@example.invalid"
		}
	}
	if !ct.Public {
		ct.Billing = &spid.BillingContact{
			Denomination: cfg.SPIDBillingName, Address: cfg.SPIDBillingAddress, PostalCode: cfg.SPIDBillingCAP,
			City: cfg.SPIDBillingCity, Province: cfg.SPIDBillingProvince, Email: cfg.SPIDBillingEmail, Country: "IT",
		}
		if cfg.SPIDVATNumber != "" && len(cfg.SPIDVATNumber) > 2 {
			ct.Billing.VATCountry, ct.Billing.VATCode = cfg.SPIDVATNumber[:2], cfg.SPIDVATNumber[2:]
		} else {
			ct.Billing.FiscalCode = cfg.SPIDFiscalCode
		}
	}
	required := []string{spid.AttrFiscalNumber, spid.AttrName, spid.AttrFamilyName, spid.AttrDateOfBirth}
	return spid.Config{
		EntityID: entity, BaseURL: base, KeyPEM: keyPEM, CertPEM: certPEM, Organization: org, Contact: ct,
		AttributeServices: []spid.AttributeService{
			{Index: AttributesMinimal, ServiceNameIT: "Partecipazione civica", ServiceNameEN: "Civic participation", Attributes: required},
			{Index: AttributesWithEmail, ServiceNameIT: "Partecipazione civica con recapito email", ServiceNameEN: "Civic participation with email address",
				Attributes: append(append([]string(nil), required...), spid.AttrEmail)},
		},
	}
}

// demoKeys returns a key pair for the demo, generated once and kept in
// Cfg.SPIDDemoDir (so the SP metadata stays the same across restarts), or
// generated in memory when no directory is configured (test harnesses).
func demoKeys(d Deps, name, commonName string) (keyPEM, certPEM []byte, err error) {
	dir := d.Cfg.SPIDDemoDir
	if dir == "" {
		return testidp.GenerateKeyPair(d.Rand, d.Clock.Now(), commonName)
	}
	keyPath, certPath := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".crt")
	keyPEM, kerr := os.ReadFile(keyPath)
	certPEM, cerr := os.ReadFile(certPath)
	if kerr == nil && cerr == nil {
		return keyPEM, certPEM, nil
	}
	if !errors.Is(kerr, fs.ErrNotExist) && kerr != nil {
		return nil, nil, fmt.Errorf("spid demo keys: %w", kerr)
	}
	if keyPEM, certPEM, err = testidp.GenerateKeyPair(d.Rand, d.Clock.Now(), commonName); err != nil {
		return nil, nil, fmt.Errorf("spid demo keys: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("spid demo keys: %w", err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return nil, nil, fmt.Errorf("spid demo keys: %w", err)
	}
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return nil, nil, fmt.Errorf("spid demo keys: %w", err)
	}
	return keyPEM, certPEM, nil
}

// Routes mounts the strong-login flow, the SPID endpoints and, in demo
// mode, the test IdP.
func (m *Module) Routes() {
	m.Flow.Routes()
	if m.SPID == nil {
		return
	}
	m.SPID.Others = m.Others
	m.SPID.Routes()
	if m.TestIdP != nil {
		m.s.HandleHTTP(TestIdPPath+"/", m.TestIdP.Handler())
	}
}

// Middleware sends the logout of SPID sessions through single logout (add
// it with web.Server.Use).
func (m *Module) Middleware(next http.Handler) http.Handler {
	if m.SPID == nil {
		return next
	}
	return m.SPID.LogoutMiddleware(next)
}

// Sweeps delete expired requests and pending logins and prune the
// authentication log past its retention.
func (m *Module) Sweeps() []func(ctx context.Context) error {
	out := []func(ctx context.Context) error{m.Flow.Sweep}
	if m.SPID != nil {
		out = append(out, m.Requests.Sweep, m.AuthLog.Sweep)
	}
	return out
}

// Workers reload IdP metadata periodically (AgID updates the registry when
// an IdP rotates its keys); a failed reload keeps the last good metadata.
func (m *Module) Workers() []func(ctx context.Context) {
	if m.Registry == nil || !m.configured {
		return nil
	}
	return []func(ctx context.Context){func(ctx context.Context) {
		t := time.NewTicker(m.refresh)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := m.Registry.Refresh(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("spid: identity provider metadata refresh", "err", err)
			}
		}
	}}
}

// readCertificates reads every PEM certificate in the file at path.
func readCertificates(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return out, nil
}
