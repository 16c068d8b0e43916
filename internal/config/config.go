// Package config reads the platform's typed configuration from command-line
// flags and ARENGO_* environment variables (flags win). Every secret can also
// be read from a file named by the variable with a _FILE suffix.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration. The README lists every field.
type Config struct {
	Addr          string        // ARENGO_ADDR, listen address
	BaseURL       string        // ARENGO_BASE_URL, public URL (links in emails, SAML)
	DatabaseURL   string        // ARENGO_DATABASE_URL, SQLite path or postgres:// URL
	DataDir       string        // ARENGO_DATA_DIR, where the SQLite file and generated keys live
	SecretKey     string        // ARENGO_SECRET_KEY(_FILE), 32+ bytes: encryption and keyed hashes
	OrgName       string        // ARENGO_ORG_NAME, the municipality's name
	Demo          bool          // ARENGO_DEMO / --demo: demo content, /dev/mail, test identity provider
	TrustProxy    bool          // ARENGO_TRUST_PROXY: honour X-Forwarded-For
	MaxBodyBytes  int64         // ARENGO_MAX_BODY_BYTES
	SessionIdle   time.Duration // ARENGO_SESSION_IDLE
	SessionMax    time.Duration // ARENGO_SESSION_MAX
	LogLevel      string        // ARENGO_LOG_LEVEL: debug, info, warn, error
	LogFormat     string        // ARENGO_LOG_FORMAT: text or json
	SMTPHost      string        // ARENGO_SMTP_HOST; empty = mail stays in the outbox (viewable at /dev/mail in demo)
	SMTPPort      int           // ARENGO_SMTP_PORT
	SMTPUsername  string        // ARENGO_SMTP_USERNAME
	SMTPPassword  string        // ARENGO_SMTP_PASSWORD(_FILE)
	MailFrom      string        // ARENGO_MAIL_FROM
	ShutdownGrace time.Duration // ARENGO_SHUTDOWN_GRACE
	// Argon2MemoryKiB and Argon2Time are the argon2id costs of new password
	// hashes (ARENGO_ARGON2_MEMORY_KIB, ARENGO_ARGON2_TIME); 0 = 65536 KiB, 3.
	Argon2MemoryKiB int64
	Argon2Time      int64
	// MetricsToken, when set, is required as "Authorization: Bearer …" on
	// /metrics (ARENGO_METRICS_TOKEN(_FILE)).
	MetricsToken string

	// SPID service provider (internal/identity/spidlogin). SPID is on when
	// SPIDKeyFile is set, or in demo mode (built-in test IdP).
	SPIDEntityID        string        // ARENGO_SPID_ENTITY_ID, default BaseURL + "/spid/metadata"
	SPIDKeyFile         string        // ARENGO_SPID_KEY_FILE, PEM signing key (RSA ≥ 2048)
	SPIDCertFile        string        // ARENGO_SPID_CERT_FILE, PEM self-signed certificate registered with AgID
	SPIDIdPMetadata     string        // ARENGO_SPID_IDP_METADATA, comma-separated files or https URLs of IdP metadata (e.g. the AgID registry)
	SPIDIdPAllow        string        // ARENGO_SPID_IDP_ALLOW, optional comma-separated entity IDs accepted
	SPIDIdPSignerCert   string        // ARENGO_SPID_IDP_SIGNER_CERT, PEM file of the certificate(s) that must sign the IdP metadata (AgID's registry)
	SPIDIdPRefresh      time.Duration // ARENGO_SPID_IDP_REFRESH, how often IdP metadata is reloaded
	SPIDOrgName         string        // ARENGO_SPID_ORG_NAME, md:OrganizationName (default OrgName)
	SPIDOrgDisplayName  string        // ARENGO_SPID_ORG_DISPLAY_NAME (default SPIDOrgName)
	SPIDOrgURL          string        // ARENGO_SPID_ORG_URL, the municipality's website
	SPIDContactEmail    string        // ARENGO_SPID_CONTACT_EMAIL, technical contact in the metadata
	SPIDContactPhone    string        // ARENGO_SPID_CONTACT_PHONE, optional, e.g. +390212345678
	SPIDIPACode         string        // ARENGO_SPID_IPA_CODE: a public SP (the Comune) sets its IPA code
	SPIDVATNumber       string        // ARENGO_SPID_VAT_NUMBER: a private SP, e.g. IT12345678901
	SPIDFiscalCode      string        // ARENGO_SPID_FISCAL_CODE: a private SP without VAT number
	SPIDBillingName     string        // ARENGO_SPID_BILLING_NAME: private SP billing (Denominazione)
	SPIDBillingAddress  string        // ARENGO_SPID_BILLING_ADDRESS
	SPIDBillingCAP      string        // ARENGO_SPID_BILLING_CAP
	SPIDBillingCity     string        // ARENGO_SPID_BILLING_CITY
	SPIDBillingProvince string        // ARENGO_SPID_BILLING_PROVINCE
	SPIDBillingEmail    string        // ARENGO_SPID_BILLING_EMAIL
	SPIDDemoDir         string        // ARENGO_SPID_DEMO_DIR, where demo mode keeps its generated SP and test-IdP keys (default DataDir/spid-demo; empty: in memory)

	// OpenID Connect login (internal/identity/oidclogin), on when OIDCIssuer is set.
	OIDCIssuer          string // ARENGO_OIDC_ISSUER, e.g. https://login.comune.example.it
	OIDCClientID        string // ARENGO_OIDC_CLIENT_ID
	OIDCClientSecret    string // ARENGO_OIDC_CLIENT_SECRET(_FILE); empty for a public client (PKCE only)
	OIDCName            string // ARENGO_OIDC_NAME, shown on the button ("Entra con …")
	OIDCScopes          string // ARENGO_OIDC_SCOPES, space-separated, default "openid profile email"
	OIDCFiscalClaim     string // ARENGO_OIDC_FISCAL_CLAIM, claim holding the codice fiscale (default fiscal_number)
	OIDCBirthDateClaim  string // ARENGO_OIDC_BIRTHDATE_CLAIM (default birthdate)
	OIDCGivenNameClaim  string // ARENGO_OIDC_GIVEN_NAME_CLAIM (default given_name)
	OIDCFamilyNameClaim string // ARENGO_OIDC_FAMILY_NAME_CLAIM (default family_name)

	// Eligibility and the census lists (internal/identity/…).
	MinAge           int           // ARENGO_MIN_AGE, participation age of actions nobody configured (default 16)
	CityUserApproval time.Duration // ARENGO_CITY_USER_APPROVAL, how long a city-user approval lasts (default 8760h)
	CensusURL        string        // ARENGO_CENSUS_URL: the registry service for residents; empty = CSV imports
	CensusToken      string        // ARENGO_CENSUS_TOKEN(_FILE), bearer token for it
	CensusTimeout    time.Duration // ARENGO_CENSUS_TIMEOUT, per look-up, both lists (default 5s)
	ElectorsURL      string        // ARENGO_ELECTORS_URL: the electoral-roll service; empty = CSV imports
	ElectorsToken    string        // ARENGO_ELECTORS_TOKEN(_FILE)
}

// DemoOrgName names the municipality of the demo content.
const DemoOrgName = "Comune di Milano (dimostrazione)"

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		Addr:          "localhost:8080",
		BaseURL:       "",
		DataDir:       "./data",
		OrgName:       "Comune di Esempio",
		MaxBodyBytes:  1 << 20,
		SessionIdle:   2 * time.Hour,
		SessionMax:    12 * time.Hour,
		LogLevel:      "info",
		LogFormat:     "text",
		SMTPPort:      587,
		MailFrom:      "Arengo <noreply@localhost>",
		ShutdownGrace: 20 * time.Second,
		MinAge:        16,
		// A year of 365 days: the approval's anniversary, give or take a leap day.
		CityUserApproval: 8760 * time.Hour,
		CensusTimeout:    5 * time.Second,
	}
}

// Load fills cfg from the environment, then from args (flags win).
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	c := Defaults()
	env := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if file := getenv(name + "_FILE"); file != "" {
			b, err := os.ReadFile(file)
			if err == nil {
				return strings.TrimSpace(string(b))
			}
		}
		return ""
	}
	var errs []error
	str := func(p *string, name string) {
		if v := env(name); v != "" {
			*p = v
		}
	}
	boolean := func(p *bool, name string) {
		if v := env(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true/false", name, v))
				return
			}
			*p = b
		}
	}
	duration := func(p *time.Duration, name string) {
		if v := env(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive duration like 30m", name, v))
				return
			}
			*p = d
		}
	}
	integer := func(p *int64, name string) {
		if v := env(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive integer", name, v))
				return
			}
			*p = n
		}
	}
	str(&c.Addr, "ARENGO_ADDR")
	str(&c.BaseURL, "ARENGO_BASE_URL")
	str(&c.DatabaseURL, "ARENGO_DATABASE_URL")
	str(&c.DataDir, "ARENGO_DATA_DIR")
	str(&c.SecretKey, "ARENGO_SECRET_KEY")
	str(&c.OrgName, "ARENGO_ORG_NAME")
	boolean(&c.Demo, "ARENGO_DEMO")
	boolean(&c.TrustProxy, "ARENGO_TRUST_PROXY")
	integer(&c.MaxBodyBytes, "ARENGO_MAX_BODY_BYTES")
	duration(&c.SessionIdle, "ARENGO_SESSION_IDLE")
	duration(&c.SessionMax, "ARENGO_SESSION_MAX")
	str(&c.LogLevel, "ARENGO_LOG_LEVEL")
	str(&c.LogFormat, "ARENGO_LOG_FORMAT")
	str(&c.SMTPHost, "ARENGO_SMTP_HOST")
	var port int64 = int64(c.SMTPPort)
	integer(&port, "ARENGO_SMTP_PORT")
	c.SMTPPort = int(port)
	str(&c.SMTPUsername, "ARENGO_SMTP_USERNAME")
	str(&c.SMTPPassword, "ARENGO_SMTP_PASSWORD")
	str(&c.MailFrom, "ARENGO_MAIL_FROM")
	duration(&c.ShutdownGrace, "ARENGO_SHUTDOWN_GRACE")
	integer(&c.Argon2MemoryKiB, "ARENGO_ARGON2_MEMORY_KIB")
	integer(&c.Argon2Time, "ARENGO_ARGON2_TIME")
	str(&c.MetricsToken, "ARENGO_METRICS_TOKEN")
	str(&c.SPIDEntityID, "ARENGO_SPID_ENTITY_ID")
	str(&c.SPIDKeyFile, "ARENGO_SPID_KEY_FILE")
	str(&c.SPIDCertFile, "ARENGO_SPID_CERT_FILE")
	str(&c.SPIDIdPMetadata, "ARENGO_SPID_IDP_METADATA")
	str(&c.SPIDIdPAllow, "ARENGO_SPID_IDP_ALLOW")
	str(&c.SPIDIdPSignerCert, "ARENGO_SPID_IDP_SIGNER_CERT")
	duration(&c.SPIDIdPRefresh, "ARENGO_SPID_IDP_REFRESH")
	str(&c.SPIDOrgName, "ARENGO_SPID_ORG_NAME")
	str(&c.SPIDOrgDisplayName, "ARENGO_SPID_ORG_DISPLAY_NAME")
	str(&c.SPIDOrgURL, "ARENGO_SPID_ORG_URL")
	str(&c.SPIDContactEmail, "ARENGO_SPID_CONTACT_EMAIL")
	str(&c.SPIDContactPhone, "ARENGO_SPID_CONTACT_PHONE")
	str(&c.SPIDIPACode, "ARENGO_SPID_IPA_CODE")
	str(&c.SPIDVATNumber, "ARENGO_SPID_VAT_NUMBER")
	str(&c.SPIDFiscalCode, "ARENGO_SPID_FISCAL_CODE")
	str(&c.SPIDBillingName, "ARENGO_SPID_BILLING_NAME")
	str(&c.SPIDBillingAddress, "ARENGO_SPID_BILLING_ADDRESS")
	str(&c.SPIDBillingCAP, "ARENGO_SPID_BILLING_CAP")
	str(&c.SPIDBillingCity, "ARENGO_SPID_BILLING_CITY")
	str(&c.SPIDBillingProvince, "ARENGO_SPID_BILLING_PROVINCE")
	str(&c.SPIDBillingEmail, "ARENGO_SPID_BILLING_EMAIL")
	str(&c.SPIDDemoDir, "ARENGO_SPID_DEMO_DIR")
	str(&c.OIDCIssuer, "ARENGO_OIDC_ISSUER")
	str(&c.OIDCClientID, "ARENGO_OIDC_CLIENT_ID")
	str(&c.OIDCClientSecret, "ARENGO_OIDC_CLIENT_SECRET")
	str(&c.OIDCName, "ARENGO_OIDC_NAME")
	str(&c.OIDCScopes, "ARENGO_OIDC_SCOPES")
	str(&c.OIDCFiscalClaim, "ARENGO_OIDC_FISCAL_CLAIM")
	str(&c.OIDCBirthDateClaim, "ARENGO_OIDC_BIRTHDATE_CLAIM")
	str(&c.OIDCGivenNameClaim, "ARENGO_OIDC_GIVEN_NAME_CLAIM")
	str(&c.OIDCFamilyNameClaim, "ARENGO_OIDC_FAMILY_NAME_CLAIM")
	if v := env("ARENGO_MIN_AGE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 120 {
			errs = append(errs, fmt.Errorf("ARENGO_MIN_AGE: %q is not an age from 1 to 120", v))
		} else {
			c.MinAge = n
		}
	}
	duration(&c.CityUserApproval, "ARENGO_CITY_USER_APPROVAL")
	str(&c.CensusURL, "ARENGO_CENSUS_URL")
	str(&c.CensusToken, "ARENGO_CENSUS_TOKEN")
	duration(&c.CensusTimeout, "ARENGO_CENSUS_TIMEOUT")
	str(&c.ElectorsURL, "ARENGO_ELECTORS_URL")
	str(&c.ElectorsToken, "ARENGO_ELECTORS_TOKEN")
	for _, u := range []struct{ name, url string }{{"ARENGO_CENSUS_URL", c.CensusURL}, {"ARENGO_ELECTORS_URL", c.ElectorsURL}} {
		if u.url != "" && !strings.HasPrefix(u.url, "https://") && !strings.HasPrefix(u.url, "http://") {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", u.name, u.url))
		}
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	if fs != nil {
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (ARENGO_ADDR)")
		fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public base URL (ARENGO_BASE_URL)")
		fs.StringVar(&c.DatabaseURL, "database", c.DatabaseURL, "SQLite file or postgres:// URL (ARENGO_DATABASE_URL)")
		fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory (ARENGO_DATA_DIR)")
		fs.StringVar(&c.OrgName, "org-name", c.OrgName, "municipality name (ARENGO_ORG_NAME)")
		fs.BoolVar(&c.Demo, "demo", c.Demo, "load demo content and enable development tools (ARENGO_DEMO)")
		fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (ARENGO_LOG_LEVEL)")
		if err := fs.Parse(args); err != nil {
			return c, err
		}
	}
	// The demo content is modelled on Milan: name the demo municipality
	// after it, unless the operator chose a name.
	if c.Demo && c.OrgName == Defaults().OrgName {
		c.OrgName = DemoOrgName
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = strings.TrimRight(c.DataDir, "/") + "/arengo.db"
	}
	if c.BaseURL == "" {
		host := c.Addr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		c.BaseURL = "http://" + host
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.SPIDDemoDir == "" {
		// Set here rather than in Defaults: test harnesses build their
		// config from Defaults and keep demo keys in memory.
		c.SPIDDemoDir = strings.TrimRight(c.DataDir, "/") + "/spid-demo"
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	if c.SessionIdle > c.SessionMax {
		return c, errors.New("ARENGO_SESSION_IDLE must not exceed ARENGO_SESSION_MAX")
	}
	return c, nil
}

// SecureCookies reports whether cookies get the Secure flag: always, except
// for plain-http development on a loopback address.
func (c Config) SecureCookies() bool {
	return !strings.HasPrefix(c.BaseURL, "http://")
}
