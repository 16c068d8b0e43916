package spid_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

type sloRecorder struct {
	notices []spid.LogoutNotice
	results []spid.LogoutResult
	err     error
	fail    bool
}

func (f *fixture) sloHandler(rec *sloRecorder) http.Handler {
	return spid.SLOHandler{
		SP: f.sp,
		OnIdPLogout: func(_ context.Context, n spid.LogoutNotice) error {
			rec.notices = append(rec.notices, n)
			if rec.fail {
				return errors.New("session store down")
			}
			return nil
		},
		OnLogoutComplete: func(w http.ResponseWriter, r *http.Request, res spid.LogoutResult) {
			rec.results = append(rec.results, res)
			http.Redirect(w, r, res.ReturnTo, http.StatusSeeOther)
		},
		OnError: func(w http.ResponseWriter, r *http.Request, err error) {
			rec.err = err
			spid.DefaultErrorPage(w, r, err)
		},
	}
}

func postForm(target string, vals url.Values, cookie *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(vals.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != nil {
		r.AddCookie(cookie)
	}
	return r
}

// TestSPInitiatedLogout runs on each engine: the logout request waits in the
// SQL request store, which is also what refuses the replayed answer.
func TestSPInitiatedLogout(t *testing.T) {
	dbtest.Each(t, testSPInitiatedLogout)
}

func testSPInitiatedLogout(t *testing.T, d *db.DB) {
	for _, binding := range []spid.Binding{spid.BindingPOST, spid.BindingRedirect} {
		t.Run(string(binding), func(t *testing.T) {
			f := newFixture(t, d)
			cookie := &http.Cookie{Name: "spid_binding", Value: strings.Repeat("cd", 32)}
			start := httptest.NewRequest(http.MethodGet, spBaseURL+"/logout", nil)
			start.AddCookie(cookie)
			rec := httptest.NewRecorder()
			err := f.sp.StartLogout(rec, start, spid.LogoutRequest{
				Session:  spid.LogoutSession{IdPEntityID: f.idp.EntityID(), NameID: "_nameid", SessionIndex: "_session"},
				Binding:  binding,
				ReturnTo: "/bye",
			})
			if err != nil {
				t.Fatal(err)
			}
			// To the IdP…
			var toIdP *http.Request
			if binding == spid.BindingRedirect {
				toIdP = httptest.NewRequest(http.MethodGet, rec.Header().Get("Location"), nil)
				msg, err := samlxml.ParseRedirect(toIdP.URL.RawQuery, func([]byte) ([]*x509.Certificate, error) {
					return []*x509.Certificate{spCert(t)}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				lr := parseXML(t, msg.XML)
				if value(lr, "saml:NameID") != "_nameid" || value(lr, "samlp:SessionIndex") != "_session" ||
					value(lr, "saml:NameID/@NameQualifier") != f.idp.EntityID() || value(lr, "saml:Issuer/@NameQualifier") != spEntityID {
					t.Fatalf("LogoutRequest %s", msg.XML)
				}
			} else {
				action, vals := formFields(t, rec.Body.String())
				toIdP = postForm(action, vals, nil)
			}
			idpRec := record(f.idp.Handler(), toIdP)
			// …and back.
			var back *http.Request
			if binding == spid.BindingRedirect {
				if idpRec.Code != http.StatusFound {
					t.Fatalf("IdP: %d %s", idpRec.Code, idpRec.Body)
				}
				back = httptest.NewRequest(http.MethodGet, idpRec.Header().Get("Location"), nil)
				back.AddCookie(cookie)
			} else {
				action, vals := formFields(t, idpRec.Body.String())
				back = postForm(action, vals, cookie)
			}
			var sr sloRecorder
			res := record(f.sloHandler(&sr), back)
			if sr.err != nil || len(sr.results) != 1 || !sr.results[0].Success || res.Header().Get("Location") != "/bye" {
				t.Fatalf("logout: %d %v %+v", res.Code, sr.err, sr.results)
			}
			// The same LogoutResponse cannot be used twice.
			if binding == spid.BindingRedirect {
				back = httptest.NewRequest(http.MethodGet, idpRec.Header().Get("Location"), nil)
				back.AddCookie(cookie)
			} else {
				action, vals := formFields(t, idpRec.Body.String())
				back = postForm(action, vals, cookie)
			}
			sr = sloRecorder{}
			res = record(f.sloHandler(&sr), back)
			if code, _ := errCode(sr.err); code != spid.CodeUnknownRequest || res.Code != http.StatusForbidden {
				t.Fatalf("replayed LogoutResponse: %d %v", res.Code, sr.err)
			}
		})
	}
}

func TestIdPInitiatedLogout(t *testing.T) {
	d := dbtest.SQLite(t)
	for _, failing := range []bool{false, true} {
		f := newFixture(t, d)
		x, err := f.idp.LogoutRequest(spEntityID, "_nameid", "_session")
		if err != nil {
			t.Fatal(err)
		}
		sr := sloRecorder{fail: failing}
		res := record(f.sloHandler(&sr), postForm(spBaseURL+"/spid/slo", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(x)}, "RelayState": {"r1"}}, nil))
		if sr.err != nil || len(sr.notices) != 1 || sr.notices[0] != (spid.LogoutNotice{IdPEntityID: f.idp.EntityID(), NameID: "_nameid", SessionIndex: "_session"}) {
			t.Fatalf("notices %+v err %v", sr.notices, sr.err)
		}
		action, vals := formFields(t, res.Body.String())
		if action != f.idp.SLOURL() || vals.Get("RelayState") != "r1" {
			t.Fatalf("answer goes to %s", action)
		}
		resp, _ := base64.StdEncoding.DecodeString(vals.Get("SAMLResponse"))
		el := parseXML(t, resp)
		if _, err := samlxml.Verify(el, []*x509.Certificate{spCert(t)}, testStart); err != nil {
			t.Fatalf("LogoutResponse signature: %v", err)
		}
		want := "urn:oasis:names:tc:SAML:2.0:status:Success"
		if failing {
			want = "urn:oasis:names:tc:SAML:2.0:status:Responder"
		}
		if value(el, "samlp:Status/samlp:StatusCode/@Value") != want || value(el, "@InResponseTo") != value(parseXML(t, x), "@ID") {
			t.Fatalf("LogoutResponse %s", resp)
		}
	}
}

func TestIdPInitiatedLogoutRejected(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	good, err := f.idp.LogoutRequest(spEntityID, "_nameid", "_session")
	if err != nil {
		t.Fatal(err)
	}
	unsigned := []byte(strings.Replace(string(good), string(good[strings.Index(string(good), "<ds:Signature"):strings.Index(string(good), "</ds:Signature>")+len("</ds:Signature>")]), "", 1))
	tampered := []byte(strings.Replace(string(good), "_nameid", "_other", 1))
	wrongDest := []byte(strings.Replace(string(good), spBaseURL+"/spid/slo", "https://evil.example/slo", 1))
	cases := []struct {
		name string
		x    []byte
		code spid.ErrorCode
	}{
		{"unsigned", unsigned, spid.CodeSignatureMissing},
		{"altered after signing", tampered, spid.CodeSignatureInvalid},
		{"destination altered", wrongDest, spid.CodeSignatureInvalid},
		{"unknown issuer", []byte(strings.Replace(string(good), idpBaseURL+"</saml:Issuer>", "https://evil.example</saml:Issuer>", 1)), spid.CodeUnknownIdP},
		{"DTD", []byte(strings.Replace(string(good), "?>", "?><!DOCTYPE x>", 1)), spid.CodeDTD},
	}
	for _, tc := range cases {
		var sr sloRecorder
		res := record(f.sloHandler(&sr), postForm(spBaseURL+"/spid/slo", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(tc.x)}}, nil))
		if code, _ := errCode(sr.err); code != tc.code || len(sr.notices) != 0 || res.Code < 400 {
			t.Errorf("%s: %d %v", tc.name, res.Code, sr.err)
		}
	}
}
