package spid

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

// Level is a SPID authentication level.
type Level int

const (
	SpidL1 Level = 1
	SpidL2 Level = 2
	SpidL3 Level = 3
)

// URI is the AuthnContextClassRef of the level.
func (l Level) URI() string { return fmt.Sprintf("https://www.spid.gov.it/SpidL%d", int(l)) }

func (l Level) String() string { return fmt.Sprintf("SpidL%d", int(l)) }

// Valid reports whether l is one of SpidL1..3.
func (l Level) Valid() bool { return l >= SpidL1 && l <= SpidL3 }

// ParseLevel maps an AuthnContextClassRef to a level.
func ParseLevel(uri string) (Level, bool) {
	switch uri {
	case "https://www.spid.gov.it/SpidL1":
		return SpidL1, true
	case "https://www.spid.gov.it/SpidL2":
		return SpidL2, true
	case "https://www.spid.gov.it/SpidL3":
		return SpidL3, true
	}
	return 0, false
}

// Binding selects how a message travels to the IdP.
type Binding string

const (
	BindingPOST     Binding = samlxml.BindingPOST
	BindingRedirect Binding = samlxml.BindingRedirect
)

// SPID attribute names the platform may request.
const (
	AttrFiscalNumber = "fiscalNumber"
	AttrName         = "name"
	AttrFamilyName   = "familyName"
	AttrDateOfBirth  = "dateOfBirth"
	AttrEmail        = "email"
)

func knownAttribute(name string) bool {
	switch name {
	case AttrFiscalNumber, AttrName, AttrFamilyName, AttrDateOfBirth, AttrEmail:
		return true
	}
	return false
}

// Config describes the service provider. Everything is plain data so that
// internal/config can fill it from flags and files.
type Config struct {
	// EntityID is the SP's SAML entity ID, a URL registered with AgID.
	EntityID string
	// BaseURL is the public https origin of the platform, e.g.
	// "https://partecipa.comune.example.it". ACSURL and SLOURL default to
	// BaseURL + "/spid/acs" and BaseURL + "/spid/slo".
	BaseURL string
	ACSURL  string
	SLOURL  string

	// KeyPEM and CertPEM are the SP signing key (RSA ≥ 2048, PKCS#8 or
	// PKCS#1) and its self-signed certificate as AgID's Avviso 29 requires.
	KeyPEM  []byte
	CertPEM []byte

	Organization Organization
	Contact      Contact

	// AttributeServices become the metadata's AttributeConsumingService
	// elements. The first one is used when a login does not pick one.
	AttributeServices []AttributeService

	// RequestTTL bounds how long a user may take at the IdP. Default 15 minutes.
	RequestTTL time.Duration
	// ClockSkew tolerated between us and the IdP. Default 2 minutes.
	ClockSkew time.Duration
	// CookieName of the browser-binding cookie. Default "spid_binding".
	CookieName string
	// MetadataValidity, if set, adds validUntil to the metadata.
	MetadataValidity time.Duration
}

// Organization is the md:Organization of the metadata. Italian is required;
// English is added when set.
type Organization struct {
	NameIT, NameEN               string
	DisplayNameIT, DisplayNameEN string
	URLIT, URLEN                 string
}

// Contact is the md:ContactPerson contactType="other" with the SPID
// extensions (Avviso 29 v3). A public administration sets Public and IPACode;
// a private SP sets VATNumber and/or FiscalCode and Billing.
type Contact struct {
	Public     bool
	IPACode    string
	VATNumber  string // with country prefix, e.g. "IT12345678901"
	FiscalCode string
	Company    string
	Email      string
	Telephone  string // international format, e.g. "+390212345678"
	// Billing is required for private SPs (spid-invoicing.xsd).
	Billing *BillingContact
}

// BillingContact is the contactType="billing" ContactPerson of a private SP,
// with fpa:CessionarioCommittente.
type BillingContact struct {
	// Either VATCountry+VATCode or FiscalCode identifies the invoiced party.
	VATCountry, VATCode string
	FiscalCode          string
	Denomination        string // company name (Denominazione)
	Address             string // Indirizzo
	StreetNumber        string // NumeroCivico, optional
	PostalCode          string // CAP, five digits
	City                string // Comune
	Province            string // two letters, optional
	Country             string // two letters, default IT
	Company             string
	Email               string
	Telephone           string
}

// AttributeService is one md:AttributeConsumingService.
type AttributeService struct {
	Index         int
	ServiceNameIT string
	ServiceNameEN string
	// Attributes are the SPID attribute names requested; every one must come
	// back in the assertion.
	Attributes []string
}

var (
	ipaCodeRE   = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)
	vatRE       = regexp.MustCompile(`^[A-Z]{2}[A-Za-z0-9]{2,28}$`)
	fiscalRE    = regexp.MustCompile(`^[A-Z0-9]{11,16}$`)
	capRE       = regexp.MustCompile(`^[0-9]{5}$`)
	twoLettersR = regexp.MustCompile(`^[A-Z]{2}$`)
)

// withDefaults returns a copy of c with derived values filled in.
func (c Config) withDefaults() Config {
	base := strings.TrimRight(c.BaseURL, "/")
	if c.ACSURL == "" && base != "" {
		c.ACSURL = base + "/spid/acs"
	}
	if c.SLOURL == "" && base != "" {
		c.SLOURL = base + "/spid/slo"
	}
	if c.RequestTTL == 0 {
		c.RequestTTL = 15 * time.Minute
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = 2 * time.Minute
	}
	if c.CookieName == "" {
		c.CookieName = "spid_binding"
	}
	return c
}

// Validate reports every configuration problem at once, each naming the
// setting, so an operator can fix the config in one go.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("spid config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	checkURL := func(field, v string, required bool) {
		if v == "" {
			if required {
				bad(field, "required")
			}
			return
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			bad(field, "must be an absolute http(s) URL, got %q", v)
			return
		}
		if u.Fragment != "" {
			bad(field, "must not have a fragment")
		}
	}
	checkURL("EntityID", c.EntityID, true)
	if len(c.EntityID) > 1024 {
		bad("EntityID", "longer than 1024 characters")
	}
	checkURL("BaseURL", c.BaseURL, false)
	checkURL("ACSURL", c.ACSURL, true)
	checkURL("SLOURL", c.SLOURL, true)
	if len(c.KeyPEM) == 0 || len(c.CertPEM) == 0 {
		bad("KeyPEM/CertPEM", "signing key and certificate are required")
	} else if _, err := samlxml.ParseKeyPair(c.KeyPEM, c.CertPEM); err != nil {
		bad("KeyPEM/CertPEM", "%v", err)
	}

	o := c.Organization
	if o.NameIT == "" {
		bad("Organization.NameIT", "required")
	}
	if o.DisplayNameIT == "" {
		bad("Organization.DisplayNameIT", "required")
	}
	checkURL("Organization.URLIT", o.URLIT, true)
	if o.NameEN != "" || o.DisplayNameEN != "" || o.URLEN != "" {
		if o.NameEN == "" || o.DisplayNameEN == "" {
			bad("Organization.NameEN/DisplayNameEN", "set both or neither")
		}
		checkURL("Organization.URLEN", o.URLEN, false)
	}

	ct := c.Contact
	if _, err := mail.ParseAddress(ct.Email); err != nil || strings.ContainsAny(ct.Email, "<> ") {
		bad("Contact.Email", "a plain email address is required")
	}
	if ct.Public {
		if !ipaCodeRE.MatchString(ct.IPACode) {
			bad("Contact.IPACode", "a public SP needs its IPA code")
		}
		if ct.Billing != nil {
			bad("Contact.Billing", "only private SPs declare a billing contact")
		}
	} else {
		if ct.IPACode != "" {
			bad("Contact.IPACode", "only public SPs have an IPA code")
		}
		if ct.VATNumber == "" && ct.FiscalCode == "" {
			bad("Contact.VATNumber", "a private SP needs a VAT number or a fiscal code")
		}
		if ct.Billing == nil {
			bad("Contact.Billing", "a private SP needs a billing contact")
		}
	}
	if ct.VATNumber != "" && !vatRE.MatchString(ct.VATNumber) {
		bad("Contact.VATNumber", "must start with the country code, e.g. IT12345678901")
	}
	if ct.FiscalCode != "" && !fiscalRE.MatchString(ct.FiscalCode) {
		bad("Contact.FiscalCode", "11 or 16 upper-case letters and digits")
	}
	if b := ct.Billing; b != nil {
		if (b.VATCode == "") == (b.FiscalCode == "") {
			bad("Contact.Billing", "set exactly one of VATCode or FiscalCode")
		}
		if b.VATCode != "" && !twoLettersR.MatchString(b.VATCountry) {
			bad("Contact.Billing.VATCountry", "two upper-case letters")
		}
		if b.FiscalCode != "" && !fiscalRE.MatchString(b.FiscalCode) {
			bad("Contact.Billing.FiscalCode", "11 or 16 upper-case letters and digits")
		}
		if b.Denomination == "" || len(b.Denomination) > 80 {
			bad("Contact.Billing.Denomination", "required, at most 80 characters")
		}
		if b.Address == "" || b.City == "" {
			bad("Contact.Billing.Address/City", "required")
		}
		if !capRE.MatchString(b.PostalCode) {
			bad("Contact.Billing.PostalCode", "five digits")
		}
		if b.Province != "" && !twoLettersR.MatchString(b.Province) {
			bad("Contact.Billing.Province", "two upper-case letters")
		}
		if b.Country != "" && !twoLettersR.MatchString(b.Country) {
			bad("Contact.Billing.Country", "two upper-case letters")
		}
		if _, err := mail.ParseAddress(b.Email); err != nil {
			bad("Contact.Billing.Email", "a plain email address is required")
		}
	}

	if len(c.AttributeServices) == 0 {
		bad("AttributeServices", "at least one is required")
	}
	seen := map[int]bool{}
	for i, s := range c.AttributeServices {
		f := fmt.Sprintf("AttributeServices[%d]", i)
		if s.Index < 0 || s.Index > 65535 {
			bad(f+".Index", "must be 0..65535")
		}
		if seen[s.Index] {
			bad(f+".Index", "duplicate index %d", s.Index)
		}
		seen[s.Index] = true
		if s.ServiceNameIT == "" {
			bad(f+".ServiceNameIT", "required (AgID wants an Italian service name)")
		}
		if len(s.Attributes) == 0 {
			bad(f+".Attributes", "request at least one attribute")
		}
		dup := map[string]bool{}
		for _, a := range s.Attributes {
			if !knownAttribute(a) {
				bad(f+".Attributes", "unsupported attribute %q", a)
			}
			if dup[a] {
				bad(f+".Attributes", "duplicate attribute %q", a)
			}
			dup[a] = true
		}
	}
	if c.RequestTTL < time.Minute || c.RequestTTL > time.Hour {
		bad("RequestTTL", "between 1 minute and 1 hour")
	}
	if c.ClockSkew < 0 || c.ClockSkew > 10*time.Minute {
		bad("ClockSkew", "between 0 and 10 minutes")
	}
	return errors.Join(errs...)
}

// attributeService returns the service with the given index.
func (c Config) attributeService(index int) (AttributeService, bool) {
	for _, s := range c.AttributeServices {
		if s.Index == index {
			return s, true
		}
	}
	return AttributeService{}, false
}
