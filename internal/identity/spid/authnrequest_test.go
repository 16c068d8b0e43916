package spid_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

func spCert(t testing.TB) *x509.Certificate {
	c, err := samlxml.ParseCertificatePEM(readTestdata(t, "sp.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthnRequestPOST(t *testing.T) {
	d := dbtest.SQLite(t)
	for _, level := range []spid.Level{spid.SpidL1, spid.SpidL2, spid.SpidL3} {
		t.Run(level.String(), func(t *testing.T) {
			f := newFixture(t, d)
			rec := httptest.NewRecorder()
			err := f.sp.StartLogin(rec, httptest.NewRequest(http.MethodGet, spBaseURL+"/spid/login", nil), spid.LoginRequest{
				IdPEntityID: f.idp.EntityID(), Level: level, AttributeIndex: 1, ReturnTo: "/processes/7", ScriptURL: "/static/autosubmit.js",
			})
			if err != nil {
				t.Fatal(err)
			}
			body := rec.Body.String()
			action, form := formFields(t, body)
			if action != f.idp.SSOURL() {
				t.Fatalf("form action %q", action)
			}
			if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(body) || strings.Contains(body, "<script>") || strings.Contains(body, "onload") {
				t.Fatal("inline script in the POST page")
			}
			if !strings.Contains(body, `<script src="/static/autosubmit.js" defer></script>`) || !strings.Contains(body, `<button type="submit">`) {
				t.Fatal("POST page needs an external script and a visible submit button")
			}
			relay := form.Get("RelayState")
			if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(relay) || strings.Contains(relay, "processes") {
				t.Fatalf("RelayState %q is not opaque", relay)
			}
			xml, err := base64.StdEncoding.DecodeString(form.Get("SAMLRequest"))
			if err != nil {
				t.Fatal(err)
			}
			req := parseXML(t, xml)
			if _, err := samlxml.Verify(req, []*x509.Certificate{spCert(t)}, testStart); err != nil {
				t.Fatalf("AuthnRequest signature: %v", err)
			}
			id := req.SelectAttrValue("ID", "")
			if !strings.HasPrefix(id, "_") || !samlxml.IsNCName(id) || len(id) < 33 {
				t.Fatalf("ID %q", id)
			}
			forceAuthn := "true"
			if level == spid.SpidL1 {
				forceAuthn = "<missing>"
			}
			want := map[string]string{
				"@Version":                                "2.0",
				"@IssueInstant":                           "2026-03-15T10:00:00Z",
				"@Destination":                            f.idp.SSOURL(),
				"@ForceAuthn":                             forceAuthn,
				"@IsPassive":                              "<missing>",
				"@AssertionConsumerServiceIndex":          "0",
				"@AssertionConsumerServiceURL":            "<missing>",
				"@ProtocolBinding":                        "<missing>",
				"@AttributeConsumingServiceIndex":         "1",
				"saml:Issuer":                             spEntityID,
				"saml:Issuer/@Format":                     "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
				"saml:Issuer/@NameQualifier":              spEntityID,
				"samlp:NameIDPolicy/@Format":              "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
				"samlp:NameIDPolicy/@AllowCreate":         "<missing>",
				"samlp:RequestedAuthnContext/@Comparison": "minimum",
				"samlp:RequestedAuthnContext/saml:AuthnContextClassRef": level.URI(),
			}
			for path, v := range want {
				if got := value(req, path); got != v {
					t.Errorf("%s = %q, want %q", path, got, v)
				}
			}
			var order []string
			for _, c := range req.ChildElements() {
				order = append(order, c.Tag)
			}
			if strings.Join(order, ",") != "Issuer,Signature,NameIDPolicy,RequestedAuthnContext" {
				t.Errorf("children %v: Signature must follow Issuer", order)
			}
			var cookie *http.Cookie
			for _, c := range rec.Result().Cookies() {
				cookie = c
			}
			if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteNoneMode || len(cookie.Value) != 64 {
				t.Fatalf("binding cookie %+v", cookie)
			}
			if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control %q", cc)
			}
			xmlsecVerify(t, xml, readTestdata(t, "sp.crt"), "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest")
		})
	}
}

func TestAuthnRequestRedirect(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	rec := httptest.NewRecorder()
	err := f.sp.StartLogin(rec, httptest.NewRequest(http.MethodGet, spBaseURL+"/spid/login", nil), spid.LoginRequest{
		IdPEntityID: f.idp.EntityID(), Level: spid.SpidL2, Binding: spid.BindingRedirect,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusFound {
		t.Fatalf("status %d", rec.Code)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Scheme+"://"+loc.Host+loc.Path != f.idp.SSOURL() {
		t.Fatalf("location %s", loc)
	}
	params := strings.Split(loc.RawQuery, "&")
	var keys []string
	for _, p := range params {
		k, _, _ := strings.Cut(p, "=")
		keys = append(keys, k)
	}
	if strings.Join(keys, ",") != "SAMLRequest,RelayState,SigAlg,Signature" {
		t.Fatalf("query parameters %v", keys)
	}
	if loc.Query().Get("SigAlg") != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
		t.Fatal("SigAlg")
	}
	trust := func([]byte) ([]*x509.Certificate, error) { return []*x509.Certificate{spCert(t)}, nil }
	msg, err := samlxml.ParseRedirect(loc.RawQuery, trust)
	if err != nil || !msg.Signed {
		t.Fatalf("query signature: %v", err)
	}
	req := parseXML(t, msg.XML)
	if req.FindElement("ds:Signature") != nil || req.FindElement("Signature") != nil {
		t.Fatal("Redirect AuthnRequest must not carry an enveloped signature")
	}
	if value(req, "@ForceAuthn") != "true" || value(req, "samlp:RequestedAuthnContext/saml:AuthnContextClassRef") != spid.SpidL2.URI() {
		t.Fatal("fields")
	}
	// Each signed parameter matters.
	for _, tamper := range []func(string) string{
		func(q string) string { return strings.Replace(q, "RelayState=", "RelayState=00", 1) },
		func(q string) string { return strings.Replace(q, "SigAlg=", "SigAlg=x", 1) },
		func(q string) string {
			return strings.Replace(q, "SAMLRequest="+loc.Query().Get("SAMLRequest")[:4], "SAMLRequest="+"AAAA", 1)
		},
	} {
		if _, err := samlxml.ParseRedirect(tamper(loc.RawQuery), trust); err == nil {
			t.Error("tampered query verified")
		}
	}
	// Another key does not verify.
	otherCert := keyPair(t, "other").Cert
	if _, err := samlxml.ParseRedirect(loc.RawQuery, func([]byte) ([]*x509.Certificate, error) {
		return []*x509.Certificate{otherCert}, nil
	}); err == nil {
		t.Error("verified with the wrong certificate")
	}
}

func TestRequestStateKeptServerSide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		pl := f.startLogin(spid.SpidL3, spid.BindingPOST, 0)
		st, err := f.store.Consume(t.Context(), pl.req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Purpose != spid.PurposeLogin || st.Level != spid.SpidL3 || st.IdPEntityID != f.idp.EntityID() ||
			st.RelayState != pl.relayState || st.ReturnTo != "/after-login" || !st.IssuedAt.Equal(testStart) ||
			!st.ExpiresAt.Equal(testStart.Add(15*60e9)) || len(st.RequestXML) == 0 || st.BrowserBinding == pl.cookie.Value {
			t.Fatalf("state %+v", st)
		}
		sent, err := base64.StdEncoding.DecodeString(pl.sent.Get("SAMLRequest"))
		if err != nil || !bytes.Equal(st.RequestXML, sent) {
			t.Fatalf("stored request differs from the one sent (%v):\n%s\n%s", err, st.RequestXML, sent)
		}
	})
}
