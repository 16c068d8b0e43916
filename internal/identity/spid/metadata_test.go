package spid_test

import (
	"crypto/x509"
	"encoding/base64"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

func privateConfig(t testing.TB) spid.Config {
	cfg := publicConfig(t)
	cfg.Contact = spid.Contact{
		VATNumber: "IT01234567890", FiscalCode: "01234567890", Company: "Esempio S.r.l.",
		Email: "spid@esempio.example.it", Telephone: "+390200000001",
		Billing: &spid.BillingContact{
			VATCountry: "IT", VATCode: "01234567890", Denomination: "Esempio S.r.l.",
			Address: "Via Roma", StreetNumber: "1", PostalCode: "20121", City: "Milano", Province: "MI",
			Email: "fatture@esempio.example.it", Company: "Esempio S.r.l.",
		},
	}
	return cfg
}

func newSP(t testing.TB, cfg spid.Config) *spid.ServiceProvider {
	t.Helper()
	clock := &testClock{t: testStart}
	// Metadata never reaches the request store; one without a database
	// would fail loudly if it did.
	sp, err := spid.New(cfg, spid.Options{Clock: clock.Now, Rand: rand.NewChaCha8([32]byte{1}), Requests: &spid.SQLRequestStore{Clock: clock.Now}, IdPs: spid.StaticIdPs{}})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func parseXML(t testing.TB, b []byte) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

func TestMetadataContent(t *testing.T) {
	sp := newSP(t, publicConfig(t))
	md, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	ed := parseXML(t, md)
	if !samlxml.Is(ed, samlxml.NSMetadata, "EntityDescriptor") || ed.SelectAttrValue("entityID", "") != spEntityID {
		t.Fatalf("root %s entityID %q", ed.Tag, ed.SelectAttrValue("entityID", ""))
	}
	if first := ed.ChildElements()[0]; !samlxml.Is(first, samlxml.NSDSig, "Signature") {
		t.Fatalf("first child is %s, want ds:Signature", first.FullTag())
	}
	cert, _ := samlxml.ParseCertificatePEM(readTestdata(t, "sp.crt"))
	if _, err := samlxml.Verify(ed, []*x509.Certificate{cert}, testStart); err != nil {
		t.Fatalf("metadata signature: %v", err)
	}
	want := map[string]string{
		"ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm":          "http://www.w3.org/2001/10/xml-exc-c14n#",
		"ds:Signature/ds:SignedInfo/ds:SignatureMethod/@Algorithm":                 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		"ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestMethod/@Algorithm":       "http://www.w3.org/2001/04/xmlenc#sha256",
		"md:SPSSODescriptor/@protocolSupportEnumeration":                           "urn:oasis:names:tc:SAML:2.0:protocol",
		"md:SPSSODescriptor/@AuthnRequestsSigned":                                  "true",
		"md:SPSSODescriptor/@WantAssertionsSigned":                                 "true",
		"md:SPSSODescriptor/md:KeyDescriptor/@use":                                 "signing",
		"md:SPSSODescriptor/md:NameIDFormat":                                       "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
		"md:SPSSODescriptor/md:AssertionConsumerService/@index":                    "0",
		"md:SPSSODescriptor/md:AssertionConsumerService/@isDefault":                "true",
		"md:SPSSODescriptor/md:AssertionConsumerService/@Binding":                  "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
		"md:SPSSODescriptor/md:AssertionConsumerService/@Location":                 spACSURL,
		"md:SPSSODescriptor/md:AttributeConsumingService/md:ServiceName":           "Partecipazione",
		"md:SPSSODescriptor/md:AttributeConsumingService/md:ServiceName/@xml:lang": "it",
		"md:Organization/md:OrganizationName":                                      "Comune di Esempio",
		"md:Organization/md:OrganizationName/@xml:lang":                            "it",
		"md:Organization/md:OrganizationURL":                                       "https://www.comune.example.it",
		"md:ContactPerson/@contactType":                                            "other",
		"md:ContactPerson/md:Extensions/spid:IPACode":                              "c_x000",
		"md:ContactPerson/md:EmailAddress":                                         "spid@comune.example.it",
	}
	for path, v := range want {
		if got := value(ed, path); got != v {
			t.Errorf("%s = %q, want %q", path, got, v)
		}
	}
	if ed.FindElement("md:ContactPerson/md:Extensions/spid:Public") == nil || ed.FindElement("md:ContactPerson/md:Extensions/spid:Private") != nil {
		t.Error("public SP must declare spid:Public only")
	}
	kc := ed.FindElement("md:SPSSODescriptor/md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate")
	if kc == nil || kc.Text() != base64.StdEncoding.EncodeToString(cert.Raw) {
		t.Error("KeyDescriptor does not carry the signing certificate")
	}
	var bindings []string
	for _, s := range ed.FindElements("md:SPSSODescriptor/md:SingleLogoutService") {
		bindings = append(bindings, s.SelectAttrValue("Binding", "")+" "+s.SelectAttrValue("Location", ""))
	}
	if strings.Join(bindings, ",") != samlxml.BindingPOST+" "+spBaseURL+"/spid/slo,"+samlxml.BindingRedirect+" "+spBaseURL+"/spid/slo" {
		t.Errorf("SingleLogoutService: %v", bindings)
	}
	services := ed.FindElements("md:SPSSODescriptor/md:AttributeConsumingService")
	if len(services) != 2 {
		t.Fatalf("%d AttributeConsumingService", len(services))
	}
	var names []string
	for _, ra := range services[1].FindElements("md:RequestedAttribute") {
		names = append(names, ra.SelectAttrValue("Name", ""))
	}
	if strings.Join(names, ",") != "fiscalNumber,name,familyName,dateOfBirth,email" {
		t.Errorf("requested attributes %v", names)
	}
	// Element order is fixed by the schema; check it independently of xmllint.
	var order []string
	for _, c := range ed.FindElement("md:SPSSODescriptor").ChildElements() {
		order = append(order, c.Tag)
	}
	if got := strings.Join(order, ","); got != "KeyDescriptor,SingleLogoutService,SingleLogoutService,NameIDFormat,AssertionConsumerService,AttributeConsumingService,AttributeConsumingService" {
		t.Errorf("SPSSODescriptor children: %s", got)
	}
}

func TestMetadataPrivateSP(t *testing.T) {
	md, err := newSP(t, privateConfig(t)).Metadata()
	if err != nil {
		t.Fatal(err)
	}
	ed := parseXML(t, md)
	contacts := ed.FindElements("md:ContactPerson")
	if len(contacts) != 2 || contacts[0].SelectAttrValue("contactType", "") != "other" || contacts[1].SelectAttrValue("contactType", "") != "billing" {
		t.Fatalf("contacts: %d", len(contacts))
	}
	if value(contacts[0], "md:Extensions/spid:VATNumber") != "IT01234567890" || contacts[0].FindElement("md:Extensions/spid:Private") == nil ||
		contacts[0].FindElement("md:Extensions/spid:IPACode") != nil {
		t.Error("private SP extensions")
	}
	if value(contacts[1], "md:Extensions/fpa:CessionarioCommittente/fpa:Sede/fpa:CAP") != "20121" {
		t.Error("billing contact without CessionarioCommittente")
	}
}

func TestConfigValidation(t *testing.T) {
	cases := map[string]func(*spid.Config){
		"no entity ID":        func(c *spid.Config) { c.EntityID = "" },
		"relative entity ID":  func(c *spid.Config) { c.EntityID = "/metadata" },
		"no key":              func(c *spid.Config) { c.KeyPEM = nil },
		"key of another cert": func(c *spid.Config) { c.KeyPEM = readTestdata(t, "idp.key") },
		"garbage cert": func(c *spid.Config) {
			c.CertPEM = []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
		},
		"no Italian org name": func(c *spid.Config) { c.Organization.NameIT = "" },
		"bad org URL":         func(c *spid.Config) { c.Organization.URLIT = "comune" },
		"public without IPA":  func(c *spid.Config) { c.Contact.IPACode = "" },
		"bad email":           func(c *spid.Config) { c.Contact.Email = "not an email" },
		"private without VAT": func(c *spid.Config) {
			c.Contact = spid.Contact{Email: "a@b.it", Billing: privateConfig(t).Contact.Billing}
		},
		"private without bill":  func(c *spid.Config) { c.Contact = spid.Contact{Email: "a@b.it", VATNumber: "IT01234567890"} },
		"no attribute services": func(c *spid.Config) { c.AttributeServices = nil },
		"unknown attribute":     func(c *spid.Config) { c.AttributeServices[0].Attributes = []string{"shoeSize"} },
		"duplicate index":       func(c *spid.Config) { c.AttributeServices[1].Index = 0 },
		"no Italian service":    func(c *spid.Config) { c.AttributeServices[0].ServiceNameIT = "" },
		"huge TTL":              func(c *spid.Config) { c.RequestTTL = 48 * 3600e9 },
	}
	if err := publicConfig(t).Validate(); err != nil {
		t.Fatalf("valid public config: %v", err)
	}
	if err := privateConfig(t).Validate(); err != nil {
		t.Fatalf("valid private config: %v", err)
	}
	for name, mod := range cases {
		cfg := publicConfig(t)
		cfg.AttributeServices = append([]spid.AttributeService(nil), cfg.AttributeServices...)
		mod(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// value returns the text or attribute ("…/@attr") at an etree path.
func value(el *etree.Element, path string) string {
	elPath, attr, hasAttr := strings.Cut(path, "/@")
	if strings.HasPrefix(path, "@") {
		elPath, attr, hasAttr = "", path[1:], true
	}
	e := el
	if elPath != "" {
		e = el.FindElement(elPath)
	}
	if e == nil {
		return "<missing>"
	}
	if hasAttr {
		return e.SelectAttrValue(attr, "<missing>")
	}
	return e.Text()
}

// sharedDir locates ../shared relative to the repository root.
func sharedDir(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repository root not found")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "spid", "xsd", "saml-schema-metadata-sp-spid-av29.xsd")); err != nil {
		t.Skip("../shared/spid/xsd not present")
	}
	return shared
}

func TestMetadataValidatesAgainstAgIDSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	xsd := filepath.Join(sharedDir(t), "spid", "xsd")
	for name, cfg := range map[string]spid.Config{"public": publicConfig(t), "private": privateConfig(t)} {
		t.Run(name, func(t *testing.T) {
			md, err := newSP(t, cfg).Metadata()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "metadata.xml")
			if err := os.WriteFile(file, md, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(xmllint, "--nonet", "--noout", "--schema", filepath.Join(xsd, "saml-schema-metadata-sp-spid-av29.xsd"), file)
			cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(xsd, "catalog.xml"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("xmllint: %v\n%s\n%s", err, out, md)
			}
		})
	}
}

func xmlsecVerify(t *testing.T, doc []byte, certPEM []byte, idAttr string) {
	t.Helper()
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Skip("xmlsec1 not installed (apt-get install xmlsec1)")
	}
	dir := t.TempDir()
	file, cert := filepath.Join(dir, "doc.xml"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", cert, "--id-attr:ID", idAttr, file).CombinedOutput()
	if err != nil {
		t.Fatalf("xmlsec1: %v\n%s", err, out)
	}
}

func TestMetadataSignatureVerifiesWithXMLSec(t *testing.T) {
	md, err := newSP(t, publicConfig(t)).Metadata()
	if err != nil {
		t.Fatal(err)
	}
	xmlsecVerify(t, md, readTestdata(t, "sp.crt"), "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor")
	// And the check can fail: a changed ACS URL must not verify.
	tampered := []byte(strings.Replace(string(md), spACSURL, "https://evil.example/acs", 1))
	xmlsec, _ := exec.LookPath("xmlsec1")
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "md.xml"), tampered, 0o600)
	_ = os.WriteFile(filepath.Join(dir, "c.pem"), readTestdata(t, "sp.crt"), 0o600)
	if err := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", filepath.Join(dir, "c.pem"), "--id-attr:ID",
		"urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor", filepath.Join(dir, "md.xml")).Run(); err == nil {
		t.Fatal("xmlsec1 verified tampered metadata")
	}
}
