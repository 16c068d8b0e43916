package spid_test

import (
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"html"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
)

const (
	spEntityID  = "https://partecipa.comune.example.it/spid/metadata"
	spBaseURL   = "https://partecipa.comune.example.it"
	spACSURL    = spBaseURL + "/spid/acs"
	idpBaseURL  = "https://idp.example.org/test-idp"
	otherIdPURL = "https://other-idp.example.org"
)

var testStart = time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

// testClock is a settable clock shared by the SP and the test IdP.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keyPair(t testing.TB, name string) testidp.KeyPair {
	t.Helper()
	kp, err := testidp.ParseKeyPair(readTestdata(t, name+".key"), readTestdata(t, name+".crt"))
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func publicConfig(t testing.TB) spid.Config {
	return spid.Config{
		EntityID: spEntityID,
		BaseURL:  spBaseURL,
		KeyPEM:   readTestdata(t, "sp.key"),
		CertPEM:  readTestdata(t, "sp.crt"),
		Organization: spid.Organization{
			NameIT: "Comune di Esempio", NameEN: "Municipality of Esempio",
			DisplayNameIT: "Comune di Esempio", DisplayNameEN: "Municipality of Esempio",
			URLIT: "https://www.comune.example.it", URLEN: "https://www.comune.example.it/en",
		},
		Contact: spid.Contact{Public: true, IPACode: "c_x000", Email: "spid@comune.example.it", Telephone: "+390200000000"},
		AttributeServices: []spid.AttributeService{
			{Index: 0, ServiceNameIT: "Partecipazione", ServiceNameEN: "Participation",
				Attributes: []string{spid.AttrFiscalNumber, spid.AttrName, spid.AttrFamilyName, spid.AttrDateOfBirth}},
			{Index: 1, ServiceNameIT: "Partecipazione con email",
				Attributes: []string{spid.AttrFiscalNumber, spid.AttrName, spid.AttrFamilyName, spid.AttrDateOfBirth, spid.AttrEmail}},
		},
	}
}

type fixture struct {
	t       testing.TB
	clock   *testClock
	rand    *rand.ChaCha8
	cfg     spid.Config
	sp      *spid.ServiceProvider
	idp     *testidp.IdP
	idps    spid.StaticIdPs
	db      *db.DB
	store   *spid.SQLRequestStore
	authLog *spid.SQLAuthLog
	acs     http.Handler

	mu        sync.Mutex
	lastErr   error
	lastLogin *spid.Assertion
}

// newFixture builds an SP and a test IdP on the SQL stores of d. Many
// fixtures may share one database (the conformance table runs every case on
// one per engine): each draws its IDs from its own random seed, so their
// requests never meet, and each has its own clock, so one case's expiry
// does not age another's requests.
func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clock: &testClock{t: testStart}, rand: rand.NewChaCha8(seed), cfg: publicConfig(t), db: d}
	f.store = &spid.SQLRequestStore{DB: d, Clock: f.clock.Now}
	f.authLog = &spid.SQLAuthLog{DB: d, Clock: f.clock.Now}
	sp, err := spid.New(f.cfg, spid.Options{Clock: f.clock.Now, Rand: f.rand, Requests: f.store, IdPs: &f.idps, AuthLog: f.authLog})
	if err != nil {
		t.Fatal(err)
	}
	f.sp = sp
	md, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	idp, err := testidp.New(testidp.Config{
		BaseURL: idpBaseURL, KeyPEM: readTestdata(t, "idp.key"), CertPEM: readTestdata(t, "idp.crt"),
		SPMetadata: [][]byte{md}, Clock: f.clock.Now, Rand: f.rand,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.idp = idp
	f.idps = append(f.idps, idp.Descriptor())
	f.acs = spid.ACSHandler{
		SP: sp,
		OnLogin: func(w http.ResponseWriter, r *http.Request, a *spid.Assertion) error {
			f.mu.Lock()
			f.lastLogin, f.lastErr = a, nil
			f.mu.Unlock()
			http.Redirect(w, r, a.ReturnTo, http.StatusSeeOther)
			return nil
		},
		OnError: func(w http.ResponseWriter, r *http.Request, err error) {
			f.mu.Lock()
			f.lastErr, f.lastLogin = err, nil
			f.mu.Unlock()
			spid.DefaultErrorPage(w, r, err)
		},
	}
	return f
}

// pendingLogin is a login started at the SP and received by the test IdP.
type pendingLogin struct {
	req        testidp.AuthnRequest
	cookie     *http.Cookie
	relayState string
	startRec   *httptest.ResponseRecorder
	// sent holds the HTTP-POST binding's form fields (nil for redirect).
	sent url.Values
}

var formFieldRE = regexp.MustCompile(`<input type="hidden" name="([A-Za-z]+)" value="([^"]*)">`)
var formActionRE = regexp.MustCompile(`<form method="post" action="([^"]*)" data-autosubmit>`)

// formFields extracts the hidden fields and action of an HTTP-POST binding page.
func formFields(t testing.TB, body string) (string, url.Values) {
	t.Helper()
	m := formActionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no data-autosubmit form in page:\n%s", body)
	}
	vals := url.Values{}
	for _, f := range formFieldRE.FindAllStringSubmatch(body, -1) {
		vals.Add(f[1], html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), vals
}

func (f *fixture) startLogin(level spid.Level, binding spid.Binding, attrIndex int) *pendingLogin {
	f.t.Helper()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, spBaseURL+"/spid/login", nil)
	err := f.sp.StartLogin(rec, r, spid.LoginRequest{
		IdPEntityID: f.idp.EntityID(), Level: level, Binding: binding, AttributeIndex: attrIndex, ReturnTo: "/after-login",
	})
	if err != nil {
		f.t.Fatalf("StartLogin: %v", err)
	}
	pl := &pendingLogin{startRec: rec}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "spid_binding" {
			pl.cookie = c
		}
	}
	if pl.cookie == nil {
		f.t.Fatal("no binding cookie set")
	}
	var idpReq *http.Request
	if binding == spid.BindingRedirect {
		if rec.Code != http.StatusFound {
			f.t.Fatalf("redirect binding: status %d", rec.Code)
		}
		idpReq = httptest.NewRequest(http.MethodGet, rec.Header().Get("Location"), nil)
	} else {
		action, vals := formFields(f.t, rec.Body.String())
		pl.sent = vals
		idpReq = httptest.NewRequest(http.MethodPost, action, strings.NewReader(vals.Encode()))
		idpReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req, err := f.idp.ParseAuthnRequest(idpReq)
	if err != nil {
		f.t.Fatalf("test IdP rejected the AuthnRequest: %v", err)
	}
	pl.req = req
	pl.relayState = req.RelayState
	return pl
}

func (f *fixture) person(key string) testidp.Person {
	for _, p := range testidp.People(f.clock.Now()) {
		if p.Key == key {
			return p
		}
	}
	f.t.Fatalf("no person %q", key)
	return testidp.Person{}
}

func (f *fixture) buildResponse(pl *pendingLogin, o testidp.ResponseOptions) []byte {
	f.t.Helper()
	x, err := f.idp.BuildResponse(pl.req, f.person("adult-resident"), o)
	if err != nil {
		f.t.Fatalf("BuildResponse: %v", err)
	}
	return x
}

// postACS posts a form to the ACS handler with the login's cookie.
func (f *fixture) postACS(form url.Values, cookie *http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, spACSURL, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != nil {
		r.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	rec := httptest.NewRecorder()
	f.acs.ServeHTTP(rec, r)
	return rec
}

func (f *fixture) deliver(pl *pendingLogin, xml []byte) *httptest.ResponseRecorder {
	return f.postACS(url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(xml)}, "RelayState": {pl.relayState}}, pl.cookie)
}

func (f *fixture) result() (*spid.Assertion, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastLogin, f.lastErr
}

func errCode(err error) (spid.ErrorCode, string) {
	var e *spid.Error
	if errors.As(err, &e) {
		return e.Code, e.Field
	}
	return "", ""
}

// Element mutation helpers. Paths are etree paths relative to the element
// being mutated ("" is the element itself).

type mutation = func(*etree.Element)

func find(el *etree.Element, path string) *etree.Element {
	if path == "" {
		return el
	}
	return el.FindElement(path)
}

func mustFind(el *etree.Element, path string) *etree.Element {
	e := find(el, path)
	if e == nil {
		panic("test mutation: no element at " + path)
	}
	return e
}

func setAttr(path, attr, value string) mutation {
	return func(el *etree.Element) {
		e := mustFind(el, path)
		e.RemoveAttr(attr)
		e.CreateAttr(attr, value)
	}
}

func delAttr(path, attr string) mutation {
	return func(el *etree.Element) {
		if mustFind(el, path).RemoveAttr(attr) == nil {
			panic("test mutation: no attribute " + attr + " at " + path)
		}
	}
}

func delElem(path string) mutation {
	return func(el *etree.Element) {
		e := mustFind(el, path)
		e.Parent().RemoveChild(e)
	}
}

func setText(path, text string) mutation {
	return func(el *etree.Element) { mustFind(el, path).SetText(text) }
}

// emptyElem strips an element of attributes and content: "present but not
// filled in" in AgID's test plan.
func emptyElem(path string) mutation {
	return func(el *etree.Element) {
		e := mustFind(el, path)
		e.Attr = nil
		e.Child = nil
	}
}

func chain(ms ...mutation) mutation {
	return func(el *etree.Element) {
		for _, m := range ms {
			m(el)
		}
	}
}

func attrPath(name string) string {
	return "saml:AttributeStatement/saml:Attribute[@Name='" + name + "']"
}

func record(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}
