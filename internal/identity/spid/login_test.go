package spid_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
)

func mustLogin(t *testing.T, f *fixture, pl *pendingLogin, x []byte) *spid.Assertion {
	t.Helper()
	rec := f.deliver(pl, x)
	a, err := f.result()
	if err != nil || a == nil {
		t.Fatalf("login refused: %d %v", rec.Code, err)
	}
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/after-login" {
		t.Fatalf("status %d location %q", rec.Code, rec.Header().Get("Location"))
	}
	return a
}

func TestLoginEndToEnd(t *testing.T) {
	dbtest.Each(t, testLoginEndToEnd)
}

func testLoginEndToEnd(t *testing.T, d *db.DB) {
	for _, binding := range []spid.Binding{spid.BindingPOST, spid.BindingRedirect} {
		t.Run(string(binding), func(t *testing.T) {
			f := newFixture(t, d)
			pl := f.startLogin(spid.SpidL2, binding, 1)
			p := f.person("resident-16")
			x, err := f.idp.BuildResponse(pl.req, p, testidp.ResponseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a := mustLogin(t, f, pl, x)
			if a.FiscalNumber != p.FiscalNumber || a.Name != "Luca" || a.FamilyName != "Bianchetti" ||
				!a.DateOfBirth.Equal(p.DateOfBirth) || a.Email != p.Email || a.Level != spid.SpidL2 ||
				a.IdPEntityID != f.idp.EntityID() || a.NameID == "" || a.SessionIndex == "" ||
				a.NameQualifier != f.idp.EntityID() || a.RequestID != pl.req.ID || a.ReturnTo != "/after-login" {
				t.Fatalf("unexpected assertion: %+v", a)
			}
			if age := testStart.Year() - a.DateOfBirth.Year(); age < 16 || age > 17 {
				t.Fatalf("the 16-year-old is %d", age)
			}
		})
	}
}

func TestLoginAccepted(t *testing.T) {
	dbtest.Each(t, testLoginAccepted)
}

func testLoginAccepted(t *testing.T, d *db.DB) {
	yes := true
	cases := []struct {
		name  string
		level spid.Level
		opts  testidp.ResponseOptions
		check func(t *testing.T, a *spid.Assertion)
	}{
		{name: "Response signed too", opts: testidp.ResponseOptions{SignResponse: &yes}},
		{name: "empty KeyInfo certificate tolerated", opts: testidp.ResponseOptions{EmptyKeyInfoCert: true}},
		{name: "Response Issuer without Format", opts: testidp.ResponseOptions{MutateResponse: delAttr("saml:Issuer", "Format")}},
		{name: "SpidL3 answers SpidL2 (minimum comparison)", level: spid.SpidL2, opts: testidp.ResponseOptions{Level: spid.SpidL3},
			check: func(t *testing.T, a *spid.Assertion) {
				if a.Level != spid.SpidL3 {
					t.Fatalf("level %v", a.Level)
				}
			}},
		{name: "SpidL1", level: spid.SpidL1},
		{name: "SpidL3", level: spid.SpidL3},
		{name: "lower-case fiscalNumber is normalised",
			opts: testidp.ResponseOptions{Attributes: map[string]string{"fiscalNumber": "tinit-rssmra80a41f205x"}},
			check: func(t *testing.T, a *spid.Assertion) {
				if a.FiscalNumber != "RSSMRA80A41F205X" {
					t.Fatalf("fiscal number %q", a.FiscalNumber)
				}
			}},
		{name: "clock skew within tolerance", opts: testidp.ResponseOptions{MutateResponse: setAttr("", "IssueInstant", "2026-03-15T10:01:00Z")}},
		{name: "unrequested attributes are ignored", opts: testidp.ResponseOptions{MutateAssertion: func(a *etree.Element) {
			at := a.FindElement("saml:AttributeStatement").CreateElement("saml:Attribute")
			at.CreateAttr("Name", "mobilePhone")
			at.CreateElement("saml:AttributeValue").SetText("+390000000")
		}}},
		{
			// A comment inside a signed value does not change the digest
			// (exc-c14n drops comments); a parser that stops at the comment
			// would read "TINIT-RSS" and let an attacker choose a prefix.
			name: "comment inside a signed value does not truncate it",
			opts: testidp.ResponseOptions{MutateDocument: func(d *etree.Document) {
				v := d.FindElement("//saml:Attribute[@Name='familyName']/saml:AttributeValue")
				text := v.Text()
				v.SetText(text[:3])
				v.CreateComment("x")
				v.CreateText(text[3:])
			}},
			check: func(t *testing.T, a *spid.Assertion) {
				if a.FamilyName != "Rossini" {
					t.Fatalf("family name read as %q", a.FamilyName)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, d)
			level := tc.level
			if level == 0 {
				level = spid.SpidL2
			}
			pl := f.startLogin(level, spid.BindingPOST, 0)
			a := mustLogin(t, f, pl, f.buildResponse(pl, tc.opts))
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

// TestAuthLogRecordsPairs reads the pairs back from the SQL log of each
// engine: byte-exact, in order, and chained.
func TestAuthLogRecordsPairs(t *testing.T) {
	dbtest.Each(t, testAuthLogRecordsPairs)
}

func testAuthLogRecordsPairs(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	pl := f.startLogin(spid.SpidL2, spid.BindingPOST, 0)
	good := f.buildResponse(pl, testidp.ResponseOptions{})
	mustLogin(t, f, pl, good)
	pl2 := f.startLogin(spid.SpidL2, spid.BindingPOST, 0)
	bad := f.buildResponse(pl2, testidp.ResponseOptions{Status: statusResponder, SubStatus: statusAuthnFailed, StatusMessage: "ErrorCode nr22"})
	f.deliver(pl2, bad)
	// A Response answering nothing of ours is not a pair and is not logged.
	f.deliver(pl2, bad)

	recs, err := f.authLog.Records(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	if recs[0].Outcome != "ok" || !bytes.Equal(recs[0].ResponseXML, good) || recs[0].RequestID != pl.req.ID ||
		!bytes.Contains(recs[0].RequestXML, []byte(pl.req.ID)) || recs[0].IdPEntityID != f.idp.EntityID() ||
		!recs[0].RespondedAt.Equal(testStart) || recs[0].Seq != 1 || len(recs[0].PrevHash) != 0 {
		t.Fatalf("first record: %+v", recs[0].Outcome)
	}
	if recs[1].Outcome != string(spid.CodeConsentDenied) || !bytes.Equal(recs[1].ResponseXML, bad) || recs[1].RequestID != pl2.req.ID {
		t.Fatalf("second record outcome %q", recs[1].Outcome)
	}
	if err := f.authLog.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := spid.VerifyChain(recs); err != nil {
		t.Fatal(err)
	}
	tampered := append([]spid.Record(nil), recs...)
	tampered[0].ResponseXML = bytes.Replace(tampered[0].ResponseXML, []byte("Rossini"), []byte("Rossoni"), 1)
	if err := spid.VerifyChain(tampered); err == nil {
		t.Fatal("tampered response not detected")
	}
	if err := spid.VerifyChain(recs[1:]); err != nil {
		t.Fatalf("a pruned chain anchored on its first record must verify: %v", err)
	}
	if err := spid.VerifyChain([]spid.Record{recs[1], recs[0]}); err == nil {
		t.Fatal("reordered chain not detected")
	}
	dropped := []spid.Record{recs[0], recs[1], recs[1]}
	dropped[2].Seq = 3
	if err := spid.VerifyChain(dropped); err == nil {
		t.Fatal("duplicated record not detected")
	}
}

// failingLog refuses every append.
type failingLog struct{}

func (failingLog) Append(context.Context, spid.Record) error { return context.DeadlineExceeded }

func TestLoginFailsWhenItCannotBeLogged(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	sp, err := spid.New(f.cfg, spid.Options{Clock: f.clock.Now, Rand: f.rand, Requests: f.store, IdPs: &f.idps, AuthLog: failingLog{}})
	if err != nil {
		t.Fatal(err)
	}
	f.sp = sp
	h := f.acs.(spid.ACSHandler)
	h.SP = sp
	f.acs = h
	pl := f.startLogin(spid.SpidL2, spid.BindingPOST, 0)
	rec := f.deliver(pl, f.buildResponse(pl, testidp.ResponseOptions{}))
	if _, err := f.result(); rec.Code != http.StatusInternalServerError || err == nil {
		t.Fatalf("status %d err %v", rec.Code, err)
	}
}

func TestStartLoginRejectsBadInput(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	cases := []struct {
		name string
		lr   spid.LoginRequest
		code spid.ErrorCode
	}{
		{"unknown IdP", spid.LoginRequest{IdPEntityID: "https://evil.example", Level: spid.SpidL2}, spid.CodeUnknownIdP},
		{"level 0", spid.LoginRequest{IdPEntityID: idpBaseURL, Level: 0}, spid.CodeInvalid},
		{"level 4", spid.LoginRequest{IdPEntityID: idpBaseURL, Level: 4}, spid.CodeInvalid},
		{"open redirect ReturnTo", spid.LoginRequest{IdPEntityID: idpBaseURL, Level: spid.SpidL2, ReturnTo: "//evil.example"}, spid.CodeInvalid},
		{"absolute ReturnTo", spid.LoginRequest{IdPEntityID: idpBaseURL, Level: spid.SpidL2, ReturnTo: "https://evil.example"}, spid.CodeInvalid},
		{"backslash ReturnTo", spid.LoginRequest{IdPEntityID: idpBaseURL, Level: spid.SpidL2, ReturnTo: "/\\evil.example"}, spid.CodeInvalid},
		{"unknown attribute service", spid.LoginRequest{IdPEntityID: idpBaseURL, Level: spid.SpidL2, AttributeIndex: 7}, spid.CodeInvalid},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		err := f.sp.StartLogin(rec, httpRequest(http.MethodGet, spBaseURL+"/spid/login", ""), tc.lr)
		if code, _ := errCode(err); code != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
		if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
			t.Errorf("%s: wrote a response on error", tc.name)
		}
	}
	var n int
	if err := f.db.R().QueryRow(`SELECT COUNT(*) FROM spid_requests`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d requests stored after refusals (%v)", n, err)
	}
}

// TestLoginAcrossInstances: two SP instances share one database, as behind
// a load balancer. A login started on one completes on the other, and the
// same Response replayed to the first is refused: single use lives in the
// database, not in either process.
func TestLoginAcrossInstances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		pl := f.startLogin(spid.SpidL2, spid.BindingPOST, 0)
		x := f.buildResponse(pl, testidp.ResponseOptions{})
		first := f.acs

		other, err := spid.New(f.cfg, spid.Options{Clock: f.clock.Now, Rand: f.rand, IdPs: &f.idps,
			Requests: &spid.SQLRequestStore{DB: d, Clock: f.clock.Now}, AuthLog: &spid.SQLAuthLog{DB: d, Clock: f.clock.Now}})
		if err != nil {
			t.Fatal(err)
		}
		h := f.acs.(spid.ACSHandler)
		h.SP = other
		f.acs = h
		mustLogin(t, f, pl, x)

		f.acs = first
		rec := f.deliver(pl, x)
		if _, err := f.result(); rec.Code != http.StatusForbidden || !errors.Is(err, &spid.Error{Code: spid.CodeUnknownRequest}) {
			t.Fatalf("replay on the first instance: %d %v", rec.Code, err)
		}
	})
}

func TestErrorHTTPStatusAndMatching(t *testing.T) {
	err := error(&spid.Error{Code: spid.CodeUserCancelled, Field: "Response/Status"})
	if spid.HTTPStatus(err) != http.StatusForbidden {
		t.Fatal(spid.HTTPStatus(err))
	}
	var e *spid.Error
	if !strings.Contains(err.Error(), "nr25") || !errors.As(err, &e) || !e.Anomaly() {
		t.Fatal("anomaly not recognised")
	}
	if !errors.Is(err, &spid.Error{Code: spid.CodeUserCancelled}) || errors.Is(err, &spid.Error{Code: spid.CodeTimeout}) {
		t.Fatal("errors.Is on code")
	}
	if spid.HTTPStatus(context.Canceled) != http.StatusInternalServerError {
		t.Fatal("foreign errors are 500")
	}
}
