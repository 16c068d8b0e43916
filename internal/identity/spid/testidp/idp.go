// Package testidp is a real, minimal SAML 2.0 identity provider speaking the
// SPID profile, for the demo, development and tests. It signs genuine
// Responses for fictitious people (see People) and must never be enabled in
// production: anyone reaching it can log in as anyone it lists.
package testidp

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

// KeyPair is a signing key and certificate.
type KeyPair = samlxml.KeyPair

// ParseKeyPair reads a PEM key and certificate.
func ParseKeyPair(keyPEM, certPEM []byte) (KeyPair, error) {
	return samlxml.ParseKeyPair(keyPEM, certPEM)
}

// GenerateKeyPair makes a 2048-bit key and a self-signed certificate valid
// around now, for the demo (tests should load fixed keys: generation is slow).
func GenerateKeyPair(rnd io.Reader, now time.Time, commonName string) (keyPEM, certPEM []byte, err error) {
	key, err := rsa.GenerateKey(rnd, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rnd, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Country: []string{"IT"}, Organization: []string{"Arengo demo"}, CommonName: commonName},
		NotBefore:    now.Add(-24 * time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// Config configures the test IdP.
type Config struct {
	// BaseURL is where Handler is mounted, e.g. "http://localhost:8080/test-idp".
	BaseURL string
	// EntityID defaults to BaseURL.
	EntityID string
	KeyPEM   []byte
	CertPEM  []byte
	// SPMetadata are the metadata documents of the SPs this IdP serves.
	SPMetadata [][]byte
	Clock      func() time.Time
	Rand       io.Reader
	// SignResponse adds a Response signature on top of the Assertion's.
	SignResponse bool
	// ScriptURL is an external script that submits [data-autosubmit] forms.
	ScriptURL string
}

// IdP is the test identity provider.
type IdP struct {
	cfg  Config
	keys KeyPair
	sps  map[string]spMeta

	mu      sync.Mutex
	pending map[string]pendingAuthn
}

type pendingAuthn struct {
	req     AuthnRequest
	created time.Time
}

type spMeta struct {
	entityID   string
	certs      []*x509.Certificate
	acs        map[int]string
	attributes map[int][]string
	slo        map[spid.Binding]string
}

// New builds the IdP.
func New(cfg Config) (*IdP, error) {
	if cfg.BaseURL == "" || cfg.Clock == nil || cfg.Rand == nil {
		return nil, errors.New("testidp: BaseURL, Clock and Rand are required")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.EntityID == "" {
		cfg.EntityID = cfg.BaseURL
	}
	keys, err := samlxml.ParseKeyPair(cfg.KeyPEM, cfg.CertPEM)
	if err != nil {
		return nil, fmt.Errorf("testidp: %w", err)
	}
	idp := &IdP{cfg: cfg, keys: keys, sps: map[string]spMeta{}, pending: map[string]pendingAuthn{}}
	for _, md := range cfg.SPMetadata {
		sp, err := parseSPMetadata(md, cfg.Clock())
		if err != nil {
			return nil, fmt.Errorf("testidp: SP metadata: %w", err)
		}
		idp.sps[sp.entityID] = sp
	}
	return idp, nil
}

func parseSPMetadata(md []byte, now time.Time) (spMeta, error) {
	doc, err := samlxml.Parse(md)
	if err != nil {
		return spMeta{}, err
	}
	ed := doc.Root()
	if !samlxml.Is(ed, samlxml.NSMetadata, "EntityDescriptor") {
		return spMeta{}, errors.New("not an EntityDescriptor")
	}
	sp := spMeta{acs: map[int]string{}, attributes: map[int][]string{}, slo: map[spid.Binding]string{}}
	sp.entityID, _ = samlxml.Attr(ed, "entityID")
	desc, _ := samlxml.Child(ed, samlxml.NSMetadata, "SPSSODescriptor")
	if desc == nil {
		return spMeta{}, errors.New("no SPSSODescriptor")
	}
	for _, kd := range samlxml.Children(desc, samlxml.NSMetadata, "KeyDescriptor") {
		for _, xc := range kd.FindElements(".//X509Certificate") {
			c, err := samlxml.ParseCertificateBase64(samlxml.Text(xc))
			if err != nil {
				return spMeta{}, err
			}
			sp.certs = append(sp.certs, c)
		}
	}
	// SPID metadata is signed with the key it declares; a document that is
	// not is corrupt or forged.
	if _, err := samlxml.Verify(ed, sp.certs, now); err != nil {
		return spMeta{}, fmt.Errorf("signature: %w", err)
	}
	for _, a := range samlxml.Children(desc, samlxml.NSMetadata, "AssertionConsumerService") {
		i, _ := strconv.Atoi(a.SelectAttrValue("index", ""))
		sp.acs[i] = a.SelectAttrValue("Location", "")
	}
	for _, a := range samlxml.Children(desc, samlxml.NSMetadata, "AttributeConsumingService") {
		i, _ := strconv.Atoi(a.SelectAttrValue("index", ""))
		for _, ra := range samlxml.Children(a, samlxml.NSMetadata, "RequestedAttribute") {
			sp.attributes[i] = append(sp.attributes[i], ra.SelectAttrValue("Name", ""))
		}
	}
	for _, s := range samlxml.Children(desc, samlxml.NSMetadata, "SingleLogoutService") {
		sp.slo[spid.Binding(s.SelectAttrValue("Binding", ""))] = s.SelectAttrValue("Location", "")
	}
	return sp, nil
}

// EntityID, SSOURL and SLOURL describe the IdP's endpoints.
func (i *IdP) EntityID() string { return i.cfg.EntityID }
func (i *IdP) SSOURL() string   { return i.cfg.BaseURL + "/sso" }
func (i *IdP) SLOURL() string   { return i.cfg.BaseURL + "/slo" }

// Certificate is the IdP's signing certificate.
func (i *IdP) Certificate() *x509.Certificate { return i.keys.Cert }

// Descriptor describes this IdP to the SP (spid.StaticIdPs) without a
// metadata round trip.
func (i *IdP) Descriptor() spid.IdP {
	return spid.IdP{
		EntityID:     i.cfg.EntityID,
		DisplayName:  "SPID Test IdP (demo)",
		Certificates: []*x509.Certificate{i.keys.Cert},
		SSO:          map[spid.Binding]string{spid.BindingPOST: i.SSOURL(), spid.BindingRedirect: i.SSOURL()},
		SLO: map[spid.Binding]spid.Endpoint{
			spid.BindingPOST:     {Location: i.SLOURL()},
			spid.BindingRedirect: {Location: i.SLOURL()},
		},
	}
}

// Metadata returns the IdP's signed metadata.
func (i *IdP) Metadata() ([]byte, error) {
	id, err := samlxml.NewID(i.cfg.Rand)
	if err != nil {
		return nil, err
	}
	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", samlxml.NSMetadata)
	ed.CreateAttr("xmlns:ds", samlxml.NSDSig)
	ed.CreateAttr("entityID", i.cfg.EntityID)
	ed.CreateAttr("ID", id)
	d := ed.CreateElement("md:IDPSSODescriptor")
	d.CreateAttr("protocolSupportEnumeration", samlxml.ProtocolSAML20)
	d.CreateAttr("WantAuthnRequestsSigned", "true")
	kd := d.CreateElement("md:KeyDescriptor")
	kd.CreateAttr("use", "signing")
	kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(i.keys.Cert.Raw))
	for _, b := range []string{samlxml.BindingPOST, samlxml.BindingRedirect} {
		s := d.CreateElement("md:SingleLogoutService")
		s.CreateAttr("Binding", b)
		s.CreateAttr("Location", i.SLOURL())
	}
	d.CreateElement("md:NameIDFormat").SetText(samlxml.NameIDTransient)
	for _, b := range []string{samlxml.BindingPOST, samlxml.BindingRedirect} {
		s := d.CreateElement("md:SingleSignOnService")
		s.CreateAttr("Binding", b)
		s.CreateAttr("Location", i.SSOURL())
	}
	org := ed.CreateElement("md:Organization")
	for _, tag := range []string{"md:OrganizationName", "md:OrganizationDisplayName"} {
		e := org.CreateElement(tag)
		e.CreateAttr("xml:lang", "it")
		e.SetText("SPID Test IdP (demo)")
	}
	u := org.CreateElement("md:OrganizationURL")
	u.CreateAttr("xml:lang", "it")
	u.SetText(i.cfg.BaseURL)
	if err := samlxml.Sign(ed, i.keys, 0); err != nil {
		return nil, err
	}
	return samlxml.Serialize(samlxml.NewDocument(ed))
}

// AuthnRequest is a verified AuthnRequest received from an SP.
type AuthnRequest struct {
	ID             string
	SPEntityID     string
	ACSURL         string
	Level          spid.Level
	ForceAuthn     bool
	AttributeIndex int
	Attributes     []string
	RelayState     string
	Binding        spid.Binding
	IssueInstant   time.Time
	Destination    string
}

// ParseAuthnRequest reads and verifies an AuthnRequest from either binding,
// checking the signature against the SP's metadata.
func (i *IdP) ParseAuthnRequest(r *http.Request) (AuthnRequest, error) {
	var (
		xmlBytes []byte
		out      AuthnRequest
		doc      *etree.Document
	)
	switch r.Method {
	case http.MethodGet:
		m, err := samlxml.ParseRedirect(r.URL.RawQuery, func(x []byte) ([]*x509.Certificate, error) {
			d, err := samlxml.Parse(x)
			if err != nil {
				return nil, err
			}
			sp, err := i.issuerSP(d.Root())
			if err != nil {
				return nil, err
			}
			doc = d
			return sp.certs, nil
		})
		if err != nil {
			return out, err
		}
		xmlBytes, out.RelayState, out.Binding = m.XML, m.RelayState, spid.BindingRedirect
		if len(samlxml.Children(doc.Root(), samlxml.NSDSig, "Signature")) > 0 {
			return out, errors.New("Redirect AuthnRequest must not carry an enveloped signature")
		}
	case http.MethodPost:
		r.Body = http.MaxBytesReader(nil, r.Body, 256<<10)
		if err := r.ParseForm(); err != nil {
			return out, err
		}
		b, err := base64.StdEncoding.DecodeString(r.PostForm.Get("SAMLRequest"))
		if err != nil {
			return out, fmt.Errorf("SAMLRequest: %w", err)
		}
		xmlBytes, out.RelayState, out.Binding = b, r.PostForm.Get("RelayState"), spid.BindingPOST
		d, err := samlxml.Parse(b)
		if err != nil {
			return out, err
		}
		sp, err := i.issuerSP(d.Root())
		if err != nil {
			return out, err
		}
		verified, err := samlxml.Verify(d.Root(), sp.certs, i.cfg.Clock())
		if err != nil {
			return out, fmt.Errorf("AuthnRequest signature: %w", err)
		}
		doc = etree.NewDocumentWithRoot(verified)
	default:
		return out, errors.New("method not allowed")
	}
	_ = xmlBytes
	req := doc.Root()
	if !samlxml.Is(req, samlxml.NSProtocol, "AuthnRequest") {
		return out, errors.New("not an AuthnRequest")
	}
	sp, _ := i.issuerSP(req)
	out.SPEntityID = sp.entityID
	out.ID, _ = samlxml.Attr(req, "ID")
	if !samlxml.IsNCName(out.ID) {
		return out, errors.New("AuthnRequest ID is not an NCName")
	}
	if v, _ := samlxml.Attr(req, "Version"); v != "2.0" {
		return out, errors.New("AuthnRequest Version is not 2.0")
	}
	ii, _ := samlxml.Attr(req, "IssueInstant")
	t, ok := samlxml.ParseTime(ii)
	if !ok {
		return out, errors.New("AuthnRequest IssueInstant is not a UTC time")
	}
	now := i.cfg.Clock()
	if t.After(now.Add(2*time.Minute)) || t.Before(now.Add(-15*time.Minute)) {
		return out, errors.New("AuthnRequest IssueInstant out of range")
	}
	out.IssueInstant = t
	out.Destination, _ = samlxml.Attr(req, "Destination")
	if out.Destination != i.SSOURL() && out.Destination != i.cfg.EntityID {
		return out, fmt.Errorf("AuthnRequest Destination %q is not this IdP", out.Destination)
	}
	if _, ok := samlxml.Attr(req, "IsPassive"); ok {
		return out, errors.New("IsPassive is not allowed")
	}
	out.ForceAuthn = req.SelectAttrValue("ForceAuthn", "") == "true"
	acsIdx := req.SelectAttrValue("AssertionConsumerServiceIndex", "")
	acsURL := req.SelectAttrValue("AssertionConsumerServiceURL", "")
	switch {
	case acsIdx != "":
		n, _ := strconv.Atoi(acsIdx)
		out.ACSURL = sp.acs[n]
	case acsURL != "":
		for _, u := range sp.acs {
			if u == acsURL {
				out.ACSURL = u
			}
		}
	}
	if out.ACSURL == "" {
		return out, errors.New("unknown AssertionConsumerService")
	}
	if v := req.SelectAttrValue("AttributeConsumingServiceIndex", ""); v != "" {
		out.AttributeIndex, _ = strconv.Atoi(v)
		attrs, ok := sp.attributes[out.AttributeIndex]
		if !ok {
			return out, errors.New("unknown AttributeConsumingServiceIndex")
		}
		out.Attributes = attrs
	}
	rac, _ := samlxml.Child(req, samlxml.NSProtocol, "RequestedAuthnContext")
	if rac == nil {
		return out, errors.New("no RequestedAuthnContext")
	}
	ref, _ := samlxml.Child(rac, samlxml.NSAssertion, "AuthnContextClassRef")
	if ref == nil {
		return out, errors.New("no AuthnContextClassRef")
	}
	lvl, ok := spid.ParseLevel(strings.TrimSpace(samlxml.Text(ref)))
	if !ok {
		return out, errors.New("unknown SPID level")
	}
	out.Level = lvl
	if lvl >= spid.SpidL2 && !out.ForceAuthn {
		return out, errors.New("ForceAuthn is required for SpidL2 and SpidL3")
	}
	return out, nil
}

func (i *IdP) issuerSP(el *etree.Element) (spMeta, error) {
	iss, n := samlxml.Child(el, samlxml.NSAssertion, "Issuer")
	if n != 1 {
		return spMeta{}, errors.New("no Issuer")
	}
	sp, ok := i.sps[strings.TrimSpace(samlxml.Text(iss))]
	if !ok {
		return spMeta{}, fmt.Errorf("unknown SP %q", samlxml.Text(iss))
	}
	return sp, nil
}

// ResponseOptions tamper with a Response; the zero value builds a correct one.
type ResponseOptions struct {
	Level spid.Level // default: the requested level
	// SignResponse overrides Config.SignResponse when non-nil.
	SignResponse *bool
	// UnsignedAssertion leaves the Assertion without a signature.
	UnsignedAssertion bool
	// SignWith signs with another key (both Assertion and Response).
	SignWith *KeyPair
	// EmptyKeyInfoCert empties the X509Certificate of the Assertion signature.
	EmptyKeyInfoCert bool
	// Status, StatusMessage: a non-empty Status makes an error Response
	// without an Assertion (e.g. Status Responder, "ErrorCode nr22").
	Status        string
	SubStatus     string
	StatusMessage string
	// Attributes overrides attribute values by name (an empty value keeps
	// the element with no text).
	Attributes map[string]string
	// MutateAssertion runs before the Assertion is signed, MutateResponse
	// before the Response is signed, MutateDocument after all signing.
	MutateAssertion func(*etree.Element)
	MutateResponse  func(*etree.Element)
	MutateDocument  func(*etree.Document)
}

// BuildResponse returns the Response XML for person p answering req.
func (i *IdP) BuildResponse(req AuthnRequest, p Person, o ResponseOptions) ([]byte, error) {
	now := i.cfg.Clock().UTC()
	keys := i.keys
	if o.SignWith != nil {
		keys = *o.SignWith
	}
	ts := samlxml.FormatTime(now)
	respID, err := samlxml.NewID(i.cfg.Rand)
	if err != nil {
		return nil, err
	}
	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", samlxml.NSProtocol)
	resp.CreateAttr("xmlns:saml", samlxml.NSAssertion)
	resp.CreateAttr("ID", respID)
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", ts)
	resp.CreateAttr("Destination", req.ACSURL)
	resp.CreateAttr("InResponseTo", req.ID)
	i.issuer(resp)
	status := resp.CreateElement("samlp:Status")
	sc := status.CreateElement("samlp:StatusCode")
	if o.Status == "" {
		sc.CreateAttr("Value", samlxml.StatusSuccess)
		as, err := i.assertion(req, p, o, now, keys)
		if err != nil {
			return nil, err
		}
		resp.AddChild(as)
	} else {
		sc.CreateAttr("Value", o.Status)
		if o.SubStatus != "" {
			sc.CreateElement("samlp:StatusCode").CreateAttr("Value", o.SubStatus)
		}
		if o.StatusMessage != "" {
			status.CreateElement("samlp:StatusMessage").SetText(o.StatusMessage)
		}
	}
	if o.MutateResponse != nil {
		o.MutateResponse(resp)
	}
	signResp := i.cfg.SignResponse
	if o.SignResponse != nil {
		signResp = *o.SignResponse
	}
	if signResp {
		if err := samlxml.Sign(resp, keys, samlxml.IndexAfter(resp, samlxml.NSAssertion, "Issuer")); err != nil {
			return nil, err
		}
	}
	doc := samlxml.NewDocument(resp)
	if o.MutateDocument != nil {
		o.MutateDocument(doc)
	}
	return samlxml.Serialize(doc)
}

func (i *IdP) issuer(parent *etree.Element) {
	iss := parent.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", samlxml.NameIDEntity)
	iss.SetText(i.cfg.EntityID)
}

func (i *IdP) assertion(req AuthnRequest, p Person, o ResponseOptions, now time.Time, keys KeyPair) (*etree.Element, error) {
	id, err := samlxml.NewID(i.cfg.Rand)
	if err != nil {
		return nil, err
	}
	nameID, err := samlxml.NewID(i.cfg.Rand)
	if err != nil {
		return nil, err
	}
	session, err := samlxml.NewID(i.cfg.Rand)
	if err != nil {
		return nil, err
	}
	ts := samlxml.FormatTime(now)
	later := samlxml.FormatTime(now.Add(5 * time.Minute))
	as := etree.NewElement("saml:Assertion")
	as.CreateAttr("xmlns:saml", samlxml.NSAssertion)
	as.CreateAttr("ID", id)
	as.CreateAttr("Version", "2.0")
	as.CreateAttr("IssueInstant", ts)
	i.issuer(as)
	subj := as.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", samlxml.NameIDTransient)
	nid.CreateAttr("NameQualifier", i.cfg.EntityID)
	nid.SetText(nameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", samlxml.ConfirmationBearer)
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("InResponseTo", req.ID)
	scd.CreateAttr("NotOnOrAfter", later)
	scd.CreateAttr("Recipient", req.ACSURL)
	cond := as.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", ts)
	cond.CreateAttr("NotOnOrAfter", later)
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(req.SPEntityID)
	st := as.CreateElement("saml:AuthnStatement")
	st.CreateAttr("AuthnInstant", ts)
	st.CreateAttr("SessionIndex", session)
	level := o.Level
	if level == 0 {
		level = req.Level
	}
	st.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText(level.URI())
	attrs := as.CreateElement("saml:AttributeStatement")
	for _, name := range req.Attributes {
		value := attributeValue(p, name)
		if v, ok := o.Attributes[name]; ok {
			value = v
		}
		a := attrs.CreateElement("saml:Attribute")
		a.CreateAttr("Name", name)
		a.CreateAttr("NameFormat", samlxml.AttrNameBasic)
		a.CreateElement("saml:AttributeValue").SetText(value)
	}
	if o.MutateAssertion != nil {
		o.MutateAssertion(as)
	}
	if !o.UnsignedAssertion {
		if err := samlxml.Sign(as, keys, samlxml.IndexAfter(as, samlxml.NSAssertion, "Issuer")); err != nil {
			return nil, err
		}
		if o.EmptyKeyInfoCert {
			sig, _ := samlxml.Child(as, samlxml.NSDSig, "Signature")
			for _, c := range sig.FindElements(".//X509Certificate") {
				c.SetText("")
			}
		}
	}
	return as, nil
}

func attributeValue(p Person, name string) string {
	switch name {
	case spid.AttrFiscalNumber:
		return "TINIT-" + p.FiscalNumber
	case spid.AttrName:
		return p.Name
	case spid.AttrFamilyName:
		return p.FamilyName
	case spid.AttrDateOfBirth:
		return p.DateOfBirth.Format(time.DateOnly)
	case spid.AttrEmail:
		return p.Email
	}
	return ""
}

// Handler serves the IdP under BaseURL's path: /metadata, /sso (GET and
// POST), /sso/choose (POST, the person picked on the page) and /slo.
func (i *IdP) Handler() http.Handler {
	prefix := ""
	if u, err := url.Parse(i.cfg.BaseURL); err == nil {
		prefix = strings.TrimRight(u.Path, "/")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/metadata", func(w http.ResponseWriter, r *http.Request) {
		md, err := i.Metadata()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(md)
	})
	mux.HandleFunc(prefix+"/sso", i.serveSSO)
	mux.HandleFunc("POST "+prefix+"/sso/choose", i.serveChoose)
	mux.HandleFunc(prefix+"/slo", i.serveSLO)
	return mux
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="it">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SPID Test IdP – scegli una persona</title></head>
<body>
<main>
<h1>SPID Test IdP (solo demo)</h1>
<p>Richiesta di <strong>{{.SP}}</strong>, livello {{.Level}}. Scegli con quale persona fittizia accedere.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="token" value="{{.Token}}">
<fieldset>
<legend>Persone fittizie</legend>
{{range $i, $p := .People}}<div>
<input type="radio" id="person-{{$p.Key}}" name="person" value="{{$p.Key}}"{{if eq $i 0}} checked{{end}}>
<label for="person-{{$p.Key}}">{{$p.Name}} {{$p.FamilyName}} – {{$p.Label}} – nato/a il {{$p.DateOfBirth.Format "02/01/2006"}} – {{$p.FiscalNumber}}</label>
</div>
{{end}}</fieldset>
<button type="submit" name="action" value="login">Accedi</button>
<button type="submit" name="action" value="cancel">Annulla</button>
</form>
</main>
</body>
</html>
`))

func (i *IdP) serveSSO(w http.ResponseWriter, r *http.Request) {
	req, err := i.ParseAuthnRequest(r)
	if err != nil {
		http.Error(w, "AuthnRequest rifiutata: "+err.Error(), http.StatusBadRequest)
		return
	}
	token, err := samlxml.RandomToken(i.cfg.Rand, 16)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	now := i.cfg.Clock()
	i.mu.Lock()
	for k, p := range i.pending {
		if now.Sub(p.created) > 30*time.Minute {
			delete(i.pending, k)
		}
	}
	i.pending[token] = pendingAuthn{req: req, created: now}
	i.mu.Unlock()
	var buf bytes.Buffer
	err = loginPage.Execute(&buf, map[string]any{
		"SP": req.SPEntityID, "Level": req.Level.String(), "Token": token,
		"Action": i.cfg.BaseURL + "/sso/choose", "People": People(now),
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (i *IdP) serveChoose(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	token := r.PostForm.Get("token")
	i.mu.Lock()
	p, ok := i.pending[token]
	delete(i.pending, token)
	i.mu.Unlock()
	if !ok {
		http.Error(w, "richiesta scaduta o già usata", http.StatusBadRequest)
		return
	}
	var opts ResponseOptions
	var person Person
	if r.PostForm.Get("action") == "cancel" {
		opts = ResponseOptions{Status: samlxml.StatusResponder, SubStatus: samlxml.StatusAuthnFailed, StatusMessage: "ErrorCode nr25"}
	} else {
		for _, candidate := range People(i.cfg.Clock()) {
			if candidate.Key == r.PostForm.Get("person") {
				person, ok = candidate, true
			}
		}
		if !ok || person.Key == "" {
			http.Error(w, "persona sconosciuta", http.StatusBadRequest)
			return
		}
	}
	resp, err := i.BuildResponse(p.req, person, opts)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = samlxml.WritePostForm(w, samlxml.PostForm{
		Action:    p.req.ACSURL,
		Fields:    []samlxml.FormField{{Name: "SAMLResponse", Value: base64.StdEncoding.EncodeToString(resp)}, {Name: "RelayState", Value: p.req.RelayState}},
		Title:     "SPID Test IdP",
		Message:   "Ritorno al servizio.",
		Button:    "Torna al servizio",
		ScriptURL: i.cfg.ScriptURL,
	})
}

// LogoutRequest builds a signed (POST binding) IdP-initiated LogoutRequest
// for an SP session.
func (i *IdP) LogoutRequest(spEntityID, nameID, sessionIndex string) ([]byte, error) {
	sp, ok := i.sps[spEntityID]
	if !ok {
		return nil, fmt.Errorf("unknown SP %q", spEntityID)
	}
	id, err := samlxml.NewID(i.cfg.Rand)
	if err != nil {
		return nil, err
	}
	m := i.message("samlp:LogoutRequest", id, sp.slo[spid.BindingPOST])
	n := m.CreateElement("saml:NameID")
	n.CreateAttr("Format", samlxml.NameIDTransient)
	n.CreateAttr("NameQualifier", i.cfg.EntityID)
	n.SetText(nameID)
	m.CreateElement("samlp:SessionIndex").SetText(sessionIndex)
	if err := samlxml.Sign(m, i.keys, 1); err != nil {
		return nil, err
	}
	return samlxml.Serialize(samlxml.NewDocument(m))
}

func (i *IdP) message(tag, id, destination string) *etree.Element {
	m := etree.NewElement(tag)
	m.CreateAttr("xmlns:samlp", samlxml.NSProtocol)
	m.CreateAttr("xmlns:saml", samlxml.NSAssertion)
	m.CreateAttr("ID", id)
	m.CreateAttr("Version", "2.0")
	m.CreateAttr("IssueInstant", samlxml.FormatTime(i.cfg.Clock()))
	m.CreateAttr("Destination", destination)
	i.issuer(m)
	return m
}

// serveSLO answers SP-initiated LogoutRequests with a signed Success.
func (i *IdP) serveSLO(w http.ResponseWriter, r *http.Request) {
	var (
		doc        *etree.Document
		relayState string
		binding    spid.Binding
		sp         spMeta
	)
	switch r.Method {
	case http.MethodGet:
		m, err := samlxml.ParseRedirect(r.URL.RawQuery, func(x []byte) ([]*x509.Certificate, error) {
			d, err := samlxml.Parse(x)
			if err != nil {
				return nil, err
			}
			s, err := i.issuerSP(d.Root())
			if err != nil {
				return nil, err
			}
			doc, sp = d, s
			return s.certs, nil
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		relayState, binding = m.RelayState, spid.BindingRedirect
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, err := base64.StdEncoding.DecodeString(r.PostForm.Get("SAMLRequest"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d, err := samlxml.Parse(b)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s, err := i.issuerSP(d.Root())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		v, err := samlxml.Verify(d.Root(), s.certs, i.cfg.Clock())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		doc, sp, relayState, binding = etree.NewDocumentWithRoot(v), s, r.PostForm.Get("RelayState"), spid.BindingPOST
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !samlxml.Is(doc.Root(), samlxml.NSProtocol, "LogoutRequest") {
		http.Error(w, "not a LogoutRequest", http.StatusBadRequest)
		return
	}
	reqID, _ := samlxml.Attr(doc.Root(), "ID")
	dest := sp.slo[binding]
	respID, err := samlxml.NewID(i.cfg.Rand)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	m := i.message("samlp:LogoutResponse", respID, dest)
	m.CreateAttr("InResponseTo", reqID)
	m.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", samlxml.StatusSuccess)
	if binding == spid.BindingRedirect {
		x, err := samlxml.Serialize(samlxml.NewDocument(m))
		if err == nil {
			var loc string
			if loc, err = samlxml.RedirectURL(dest, "SAMLResponse", x, relayState, i.keys); err == nil {
				http.Redirect(w, r, loc, http.StatusFound)
				return
			}
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := samlxml.Sign(m, i.keys, 1); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	x, err := samlxml.Serialize(samlxml.NewDocument(m))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fields := []samlxml.FormField{{Name: "SAMLResponse", Value: base64.StdEncoding.EncodeToString(x)}}
	if relayState != "" {
		fields = append(fields, samlxml.FormField{Name: "RelayState", Value: relayState})
	}
	_ = samlxml.WritePostForm(w, samlxml.PostForm{Action: dest, Fields: fields, ScriptURL: i.cfg.ScriptURL})
}
