package spid_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
)

// conformanceCase is one hostile or malformed Response, delivered through
// the real ACS handler. The default is a correct SpidL2 login over HTTP-POST
// answered by the test IdP, so each case differs from a passing login in
// exactly what it names.
type conformanceCase struct {
	name  string
	level spid.Level // requested; default SpidL2
	opts  func(f *fixture) testidp.ResponseOptions
	// raw rewrites the serialized Response before it is base64-encoded.
	raw func(xml []byte) []byte
	// deliver replaces the whole delivery (transport, cookies, replays).
	deliver func(f *fixture, pl *pendingLogin, xml []byte) int

	status int
	code   spid.ErrorCode
	field  string
}

const (
	hourBefore = "2026-03-15T09:00:00Z"
	hourAfter  = "2026-03-15T11:00:00Z"
	tenMinAgo  = "2026-03-15T09:50:00Z"
)

func assertionOpts(ms ...mutation) func(*fixture) testidp.ResponseOptions {
	return func(*fixture) testidp.ResponseOptions {
		return testidp.ResponseOptions{MutateAssertion: chain(ms...)}
	}
}

func responseOpts(ms ...mutation) func(*fixture) testidp.ResponseOptions {
	return func(*fixture) testidp.ResponseOptions {
		return testidp.ResponseOptions{MutateResponse: chain(ms...)}
	}
}

func attrOpts(name, value string) func(*fixture) testidp.ResponseOptions {
	return func(*fixture) testidp.ResponseOptions {
		return testidp.ResponseOptions{Attributes: map[string]string{name: value}}
	}
}

func statusOpts(status, sub, msg string) func(*fixture) testidp.ResponseOptions {
	return func(*fixture) testidp.ResponseOptions {
		return testidp.ResponseOptions{Status: status, SubStatus: sub, StatusMessage: msg}
	}
}

func docOpts(signResponse bool, m func(*etree.Document)) func(*fixture) testidp.ResponseOptions {
	return func(*fixture) testidp.ResponseOptions {
		return testidp.ResponseOptions{SignResponse: &signResponse, MutateDocument: m}
	}
}

func postRaw(form url.Values) func(*fixture, *pendingLogin, []byte) int {
	return func(f *fixture, pl *pendingLogin, _ []byte) int {
		return f.postACS(form, pl.cookie).Code
	}
}

const (
	statusResponder   = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	statusRequester   = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	statusAuthnFailed = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
	nsDSig            = "http://www.w3.org/2000/09/xmldsig#"
)

func conformanceCases() []conformanceCase {
	const (
		s400 = http.StatusBadRequest
		s403 = http.StatusForbidden
	)
	const (
		subj = "saml:Subject"
		nid  = "saml:Subject/saml:NameID"
		sc   = "saml:Subject/saml:SubjectConfirmation"
		scd  = "saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData"
		cond = "saml:Conditions"
		ar   = "saml:Conditions/saml:AudienceRestriction"
		aud  = "saml:Conditions/saml:AudienceRestriction/saml:Audience"
		as   = "saml:AuthnStatement"
		actx = "saml:AuthnStatement/saml:AuthnContext"
		ref  = "saml:AuthnStatement/saml:AuthnContext/saml:AuthnContextClassRef"
		ast  = "saml:AttributeStatement"
	)
	const (
		fScd = "Assertion/Subject/SubjectConfirmation/SubjectConfirmationData"
		fRef = "Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef"
	)
	cases := []conformanceCase{
		// Transport and parsing.
		{name: "GET instead of POST", deliver: func(f *fixture, pl *pendingLogin, _ []byte) int {
			r := httpRequest(http.MethodGet, spACSURL, "")
			rec := record(f.acs, r)
			return rec.Code
		}, status: http.StatusMethodNotAllowed, code: spid.CodeMethodNotAllowed},
		{name: "SAMLResponse missing", deliver: postRaw(url.Values{"RelayState": {"x"}}), status: s400, code: spid.CodeMissing, field: "SAMLResponse"},
		{name: "SAMLResponse empty", deliver: postRaw(url.Values{"SAMLResponse": {""}}), status: s400, code: spid.CodeEmpty, field: "SAMLResponse"},
		{name: "SAMLResponse not base64", deliver: postRaw(url.Values{"SAMLResponse": {"%%%not*base64"}}), status: s400, code: spid.CodeMalformed, field: "SAMLResponse"},
		{name: "SAMLResponse repeated", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			b := base64.StdEncoding.EncodeToString(x)
			return f.postACS(url.Values{"SAMLResponse": {b, b}, "RelayState": {pl.relayState}}, pl.cookie).Code
		}, status: s400, code: spid.CodeMalformed, field: "SAMLResponse"},
		{name: "body over 256 KiB", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			big := base64.StdEncoding.EncodeToString(append(x, bytes.Repeat([]byte(" "), 300<<10)...))
			return f.postACS(url.Values{"SAMLResponse": {big}, "RelayState": {pl.relayState}}, pl.cookie).Code
		}, status: http.StatusRequestEntityTooLarge, code: spid.CodeTooLarge},
		{name: "multipart body", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			r := httpRequest(http.MethodPost, spACSURL, "--b\r\n")
			r.Header.Set("Content-Type", "multipart/form-data; boundary=b")
			return record(f.acs, r).Code
		}, status: s400, code: spid.CodeMalformed, field: "Content-Type"},
		{name: "not XML", raw: func([]byte) []byte { return []byte("this is not xml") }, status: s400, code: spid.CodeMalformed, field: "document"},
		{name: "truncated XML", raw: func(x []byte) []byte { return x[:len(x)/2] }, status: s400, code: spid.CodeMalformed, field: "document"},
		{name: "two root elements", raw: func(x []byte) []byte { return append(x, []byte("<samlp:Response/>")...) }, status: s400, code: spid.CodeMalformed, field: "document"},
		{name: "non-UTF-8 bytes", raw: func(x []byte) []byte { return bytes.Replace(x, []byte("Rossini"), []byte("Ross\xe8ni"), 1) }, status: s400, code: spid.CodeMalformed, field: "document"},
		{name: "declared ISO-8859-1 encoding", raw: func(x []byte) []byte {
			return bytes.Replace(x, []byte(`encoding="UTF-8"`), []byte(`encoding="ISO-8859-1"`), 1)
		}, status: s400, code: spid.CodeMalformed, field: "document"},
		{name: "DTD with internal entity (billion laughs)", raw: func(x []byte) []byte {
			return insertAfterDecl(x, `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>`)
		}, status: s400, code: spid.CodeDTD, field: "document"},
		{name: "XXE external entity", raw: func(x []byte) []byte {
			x = insertAfterDecl(x, `<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`)
			return bytes.Replace(x, []byte("Rossini"), []byte("&xxe;"), 1)
		}, status: s400, code: spid.CodeDTD, field: "document"},
		{name: "bare DOCTYPE", raw: func(x []byte) []byte { return insertAfterDecl(x, `<!DOCTYPE html>`) }, status: s400, code: spid.CodeDTD, field: "document"},
		{name: "name that does not survive a round trip", raw: func(x []byte) []byte {
			return bytes.Replace(x, []byte("<samlp:Status>"), []byte(`<samlp:Status ::evil="1">`), 1)
		}, status: s400, code: spid.CodeMalformed, field: "document"},
		{name: "root is not a Response", raw: func(x []byte) []byte {
			return bytes.ReplaceAll(x, []byte("samlp:Response"), []byte("samlp:ArtifactResponse"))
		}, status: s400, code: spid.CodeInvalid, field: "Response"},
		{name: "Response in a foreign namespace", raw: func(x []byte) []byte {
			return bytes.Replace(x, []byte(`xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`), []byte(`xmlns:samlp="urn:evil"`), 1)
		}, status: s400, code: spid.CodeInvalid, field: "Response"},

		// Response attributes.
		{name: "Response ID missing", opts: responseOpts(delAttr("", "ID")), status: s400, code: spid.CodeMissing, field: "Response/@ID"},
		{name: "Response ID empty", opts: responseOpts(setAttr("", "ID", "")), status: s400, code: spid.CodeEmpty, field: "Response/@ID"},
		{name: "Response ID not an NCName", opts: responseOpts(setAttr("", "ID", "123abc")), status: s400, code: spid.CodeInvalid, field: "Response/@ID"},
		{name: "Response Version missing", opts: responseOpts(delAttr("", "Version")), status: s400, code: spid.CodeMissing, field: "Response/@Version"},
		{name: "Response Version empty", opts: responseOpts(setAttr("", "Version", "")), status: s400, code: spid.CodeEmpty, field: "Response/@Version"},
		{name: "Response Version 1.1", opts: responseOpts(setAttr("", "Version", "1.1")), status: s400, code: spid.CodeInvalid, field: "Response/@Version"},
		{name: "Response IssueInstant missing", opts: responseOpts(delAttr("", "IssueInstant")), status: s400, code: spid.CodeMissing, field: "Response/@IssueInstant"},
		{name: "Response IssueInstant empty", opts: responseOpts(setAttr("", "IssueInstant", "")), status: s400, code: spid.CodeEmpty, field: "Response/@IssueInstant"},
		{name: "Response IssueInstant malformed", opts: responseOpts(setAttr("", "IssueInstant", "15/03/2026 10:00")), status: s400, code: spid.CodeInvalid, field: "Response/@IssueInstant"},
		{name: "Response IssueInstant not UTC", opts: responseOpts(setAttr("", "IssueInstant", "2026-03-15T11:00:00+01:00")), status: s400, code: spid.CodeInvalid, field: "Response/@IssueInstant"},
		{name: "Response IssueInstant before the request", opts: responseOpts(setAttr("", "IssueInstant", hourBefore)), status: s400, code: spid.CodeTooEarly, field: "Response/@IssueInstant"},
		{name: "Response IssueInstant in the future", opts: responseOpts(setAttr("", "IssueInstant", hourAfter)), status: s400, code: spid.CodeFuture, field: "Response/@IssueInstant"},
		{name: "Response InResponseTo missing", opts: responseOpts(delAttr("", "InResponseTo")), status: s400, code: spid.CodeMissing, field: "Response/@InResponseTo"},
		{name: "Response InResponseTo empty", opts: responseOpts(setAttr("", "InResponseTo", "")), status: s400, code: spid.CodeEmpty, field: "Response/@InResponseTo"},
		{name: "Response InResponseTo unknown", opts: responseOpts(setAttr("", "InResponseTo", "_0123456789abcdef")), status: s403, code: spid.CodeUnknownRequest, field: "Response/@InResponseTo"},
		{name: "Response Destination missing", opts: responseOpts(delAttr("", "Destination")), status: s400, code: spid.CodeMissing, field: "Response/@Destination"},
		{name: "Response Destination empty", opts: responseOpts(setAttr("", "Destination", "")), status: s400, code: spid.CodeEmpty, field: "Response/@Destination"},
		{name: "Response Destination another URL", opts: responseOpts(setAttr("", "Destination", "https://evil.example/acs")), status: s400, code: spid.CodeInvalid, field: "Response/@Destination"},

		// Response Issuer and Status.
		{name: "Response Issuer missing", opts: responseOpts(delElem("saml:Issuer")), status: s400, code: spid.CodeMissing, field: "Response/Issuer"},
		{name: "Response Issuer empty", opts: responseOpts(setText("saml:Issuer", "")), status: s400, code: spid.CodeEmpty, field: "Response/Issuer"},
		{name: "Response Issuer another IdP", opts: responseOpts(setText("saml:Issuer", otherIdPURL)), status: s400, code: spid.CodeInvalid, field: "Response/Issuer"},
		{name: "Response Issuer Format empty", opts: responseOpts(setAttr("saml:Issuer", "Format", "")), status: s400, code: spid.CodeEmpty, field: "Response/Issuer/@Format"},
		{name: "Response Issuer Format not entity", opts: responseOpts(setAttr("saml:Issuer", "Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient")), status: s400, code: spid.CodeInvalid, field: "Response/Issuer/@Format"},
		{name: "Status missing", opts: responseOpts(delElem("samlp:Status")), status: s400, code: spid.CodeMissing, field: "Response/Status"},
		{name: "Status empty", opts: responseOpts(emptyElem("samlp:Status")), status: s400, code: spid.CodeEmpty, field: "Response/Status"},
		{name: "StatusCode missing", opts: responseOpts(delElem("samlp:Status/samlp:StatusCode"), func(r *etree.Element) {
			r.FindElement("samlp:Status").CreateElement("samlp:StatusMessage").SetText("ok")
		}), status: s400, code: spid.CodeMissing, field: "Response/Status/StatusCode"},
		{name: "StatusCode Value missing", opts: responseOpts(delAttr("samlp:Status/samlp:StatusCode", "Value"), func(r *etree.Element) {
			r.FindElement("samlp:Status/samlp:StatusCode").CreateElement("samlp:StatusCode").CreateAttr("Value", statusAuthnFailed)
		}), status: s400, code: spid.CodeMissing, field: "Response/Status/StatusCode/@Value"},
		{name: "StatusCode Value empty", opts: responseOpts(setAttr("samlp:Status/samlp:StatusCode", "Value", "")), status: s400, code: spid.CodeEmpty, field: "Response/Status/StatusCode/@Value"},
		{name: "Status Requester without anomaly code", opts: statusOpts(statusRequester, "", ""), status: s403, code: spid.CodeStatus, field: "Response/Status"},
		{name: "Status unknown anomaly nr99", opts: statusOpts(statusResponder, statusAuthnFailed, "ErrorCode nr99"), status: s403, code: spid.CodeStatus, field: "Response/Status"},
		{name: "anomaly nr19 too many attempts", opts: statusOpts(statusResponder, statusAuthnFailed, "ErrorCode nr19"), status: s403, code: spid.CodeTooManyAttempts, field: "Response/Status"},
		{name: "anomaly nr20 level not available", opts: statusOpts(statusResponder, statusAuthnFailed, "ErrorCode nr20"), status: s403, code: spid.CodeLevelNotAvailable, field: "Response/Status"},
		{name: "anomaly nr21 timeout", opts: statusOpts(statusResponder, statusAuthnFailed, "ErrorCode nr21"), status: s403, code: spid.CodeTimeout, field: "Response/Status"},
		{name: "anomaly nr22 consent denied", opts: statusOpts(statusResponder, statusAuthnFailed, "ErrorCode nr22"), status: s403, code: spid.CodeConsentDenied, field: "Response/Status"},
		{name: "anomaly nr23 identity suspended", opts: statusOpts(statusResponder, statusAuthnFailed, "ErrorCode nr23"), status: s403, code: spid.CodeIdentitySuspended, field: "Response/Status"},
		{name: "anomaly nr25 user cancelled", opts: statusOpts(statusResponder, statusAuthnFailed, "ErrorCode nr25"), status: s403, code: spid.CodeUserCancelled, field: "Response/Status"},
		{name: "anomaly nr30 wrong identity type", opts: statusOpts(statusResponder, statusAuthnFailed, "ErrorCode nr30"), status: s403, code: spid.CodeWrongIdentityType, field: "Response/Status"},

		// Assertion presence.
		{name: "Assertion missing", opts: responseOpts(delElem("saml:Assertion")), status: s400, code: spid.CodeMissing, field: "Assertion"},
		{name: "EncryptedAssertion unsupported", opts: responseOpts(delElem("saml:Assertion"), func(r *etree.Element) {
			r.CreateElement("saml:EncryptedAssertion").CreateElement("xenc:EncryptedData").CreateAttr("xmlns:xenc", "http://www.w3.org/2001/04/xmlenc#")
		}), status: s400, code: spid.CodeUnsupported, field: "EncryptedAssertion"},
		{name: "two Assertions", opts: responseOpts(func(r *etree.Element) { r.AddChild(r.FindElement("saml:Assertion").Copy()) }), status: s403, code: spid.CodeWrapping, field: "Assertion"},

		// Signatures.
		{name: "Assertion unsigned", opts: func(*fixture) testidp.ResponseOptions {
			return testidp.ResponseOptions{UnsignedAssertion: true}
		}, status: s403, code: spid.CodeSignatureMissing, field: "Assertion/Signature"},
		{name: "Assertion unsigned inside a signed Response", opts: func(*fixture) testidp.ResponseOptions {
			t := true
			return testidp.ResponseOptions{UnsignedAssertion: true, SignResponse: &t}
		}, status: s403, code: spid.CodeSignatureMissing, field: "Assertion/Signature"},
		{name: "signed with an unknown key and certificate", opts: func(f *fixture) testidp.ResponseOptions {
			kp := keyPair(f.t, "other")
			return testidp.ResponseOptions{SignWith: &kp}
		}, status: s403, code: spid.CodeUnknownCert, field: "Assertion/Signature"},
		{name: "signed with an unknown key, KeyInfo claims the IdP certificate", opts: func(f *fixture) testidp.ResponseOptions {
			kp := keyPair(f.t, "other")
			idpCert := base64.StdEncoding.EncodeToString(f.idp.Certificate().Raw)
			return testidp.ResponseOptions{SignWith: &kp, MutateDocument: func(d *etree.Document) {
				for _, c := range d.FindElements("//ds:X509Certificate") {
					c.SetText(idpCert)
				}
			}}
		}, status: s403, code: spid.CodeSignatureInvalid, field: "Assertion/Signature"},
		{name: "signed with an unknown key, empty KeyInfo certificate", opts: func(f *fixture) testidp.ResponseOptions {
			kp := keyPair(f.t, "other")
			return testidp.ResponseOptions{SignWith: &kp, EmptyKeyInfoCert: true}
		}, status: s403, code: spid.CodeSignatureInvalid, field: "Assertion/Signature"},
		{name: "re-signed by the SP's own key (known to us, not the IdP's)", opts: func(f *fixture) testidp.ResponseOptions {
			kp := keyPair(f.t, "sp")
			return testidp.ResponseOptions{SignWith: &kp}
		}, status: s403, code: spid.CodeUnknownCert, field: "Assertion/Signature"},
		{name: "name altered after signing", opts: docOpts(false, func(d *etree.Document) {
			d.FindElement("//saml:Attribute[@Name='name']/saml:AttributeValue").SetText("Mallory")
		}), status: s403, code: spid.CodeSignatureInvalid, field: "Assertion/Signature"},
		{name: "fiscalNumber altered after signing", opts: docOpts(false, func(d *etree.Document) {
			d.FindElement("//saml:Attribute[@Name='fiscalNumber']/saml:AttributeValue").SetText("TINIT-RSSMRA80A01F205X")
		}), status: s403, code: spid.CodeSignatureInvalid, field: "Assertion/Signature"},
		{name: "AuthnContextClassRef raised after signing", level: spid.SpidL1, opts: func(*fixture) testidp.ResponseOptions {
			return testidp.ResponseOptions{Level: spid.SpidL1, MutateDocument: func(d *etree.Document) {
				d.FindElement("//saml:AuthnContextClassRef").SetText(spid.SpidL3.URI())
			}}
		}, status: s403, code: spid.CodeSignatureInvalid, field: "Assertion/Signature"},
		{name: "signature value corrupted", opts: docOpts(false, func(d *etree.Document) {
			sv := d.FindElement("//saml:Assertion/ds:Signature/ds:SignatureValue")
			sv.SetText("AAAA" + sv.Text()[4:])
		}), status: s403, code: spid.CodeSignatureInvalid, field: "Assertion/Signature"},
		{name: "signature reference points elsewhere", opts: docOpts(false, func(d *etree.Document) {
			d.FindElement("//saml:Assertion/ds:Signature/ds:SignedInfo/ds:Reference").CreateAttr("URI", "#_elsewhere")
		}), status: s403, code: spid.CodeSignatureInvalid, field: "Assertion/Signature"},
		{name: "signature method downgraded to rsa-sha1", opts: docOpts(false, func(d *etree.Document) {
			d.FindElement("//saml:Assertion/ds:Signature/ds:SignedInfo/ds:SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")
		}), status: s403, code: spid.CodeSignatureInvalid, field: "Assertion/Signature"},
		{name: "two signatures on the Assertion", opts: docOpts(false, func(d *etree.Document) {
			a := d.FindElement("//saml:Assertion")
			a.AddChild(a.FindElement("ds:Signature").Copy())
		}), status: s403, code: spid.CodeSignatureInvalid, field: "Assertion/Signature"},
		{name: "Response signed with an unknown key", opts: func(f *fixture) testidp.ResponseOptions {
			kp := keyPair(f.t, "other")
			t := true
			return testidp.ResponseOptions{SignResponse: &t, SignWith: &kp}
		}, status: s403, code: spid.CodeUnknownCert, field: "Response/Signature"},
		{name: "Response altered after signing", opts: docOpts(true, func(d *etree.Document) {
			d.Root().CreateAttr("Consent", "urn:oasis:names:tc:SAML:2.0:consent:obtained")
		}), status: s403, code: spid.CodeSignatureInvalid, field: "Response/Signature"},

		// Signature wrapping (XSW1–XSW8, after SAML Raider's catalogue) and relatives.
		{name: "XSW1 evil Response, original inside its Signature", opts: docOpts(true, xsw1), status: s403, code: spid.CodeWrapping, field: "Response"},
		{name: "XSW2 evil Response, original as detached sibling", opts: docOpts(true, xsw2), status: s403, code: spid.CodeWrapping, field: "Response"},
		{name: "XSW3 evil Assertion before the signed one", opts: docOpts(false, xsw3), status: s403, code: spid.CodeWrapping, field: "Assertion"},
		{name: "XSW4 signed Assertion nested in the evil one", opts: docOpts(false, xsw4), status: s403, code: spid.CodeWrapping, field: "Assertion"},
		{name: "XSW5 evil Assertion keeps the signature, original appended", opts: docOpts(false, xsw5), status: s403, code: spid.CodeWrapping, field: "Assertion"},
		{name: "XSW6 original Assertion inside the evil one's Signature", opts: docOpts(false, xsw6), status: s403, code: spid.CodeWrapping, field: "Assertion"},
		{name: "XSW7 signed Assertion hidden in Extensions", opts: docOpts(false, xsw7), status: s403, code: spid.CodeWrapping, field: "Assertion"},
		{name: "XSW8 original Assertion in Signature/Object", opts: docOpts(false, xsw8), status: s403, code: spid.CodeWrapping, field: "Assertion"},
		{name: "only Assertion moved into Extensions", opts: docOpts(false, func(d *etree.Document) {
			r := d.Root()
			a := r.FindElement("saml:Assertion")
			r.RemoveChild(a)
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(a)
			r.InsertChildAt(1, ext)
		}), status: s403, code: spid.CodeWrapping, field: "Assertion"},
		{name: "evil Assertion with the same ID", opts: docOpts(false, func(d *etree.Document) {
			r := d.Root()
			evil := evilCopy(r.FindElement("saml:Assertion"))
			evil.RemoveAttr("ID")
			evil.CreateAttr("ID", r.FindElement("saml:Assertion").SelectAttrValue("ID", ""))
			r.InsertChildAt(r.FindElement("saml:Assertion").Index(), evil)
		}), status: s403, code: spid.CodeWrapping, field: "Assertion"},
		{name: "evil Assertion in a foreign namespace", opts: docOpts(false, func(d *etree.Document) {
			r := d.Root()
			evil := evilCopy(r.FindElement("saml:Assertion"))
			evil.Space = "x"
			evil.CreateAttr("xmlns:x", "urn:evil")
			r.AddChild(evil)
		}), status: s403, code: spid.CodeWrapping, field: "Assertion"},

		// Assertion attributes.
		{name: "Assertion ID missing", opts: assertionOpts(delAttr("", "ID")), status: s400, code: spid.CodeMissing, field: "Assertion/@ID"},
		{name: "Assertion ID empty", opts: assertionOpts(setAttr("", "ID", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/@ID"},
		{name: "Assertion ID not an NCName", opts: assertionOpts(setAttr("", "ID", "1bad")), status: s400, code: spid.CodeInvalid, field: "Assertion/@ID"},
		{name: "Assertion Version missing", opts: assertionOpts(delAttr("", "Version")), status: s400, code: spid.CodeMissing, field: "Assertion/@Version"},
		{name: "Assertion Version empty", opts: assertionOpts(setAttr("", "Version", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/@Version"},
		{name: "Assertion Version 1.0", opts: assertionOpts(setAttr("", "Version", "1.0")), status: s400, code: spid.CodeInvalid, field: "Assertion/@Version"},
		{name: "Assertion IssueInstant missing", opts: assertionOpts(delAttr("", "IssueInstant")), status: s400, code: spid.CodeMissing, field: "Assertion/@IssueInstant"},
		{name: "Assertion IssueInstant empty", opts: assertionOpts(setAttr("", "IssueInstant", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/@IssueInstant"},
		{name: "Assertion IssueInstant malformed", opts: assertionOpts(setAttr("", "IssueInstant", "2026-03-15 10:00:00")), status: s400, code: spid.CodeInvalid, field: "Assertion/@IssueInstant"},
		{name: "Assertion IssueInstant before the request", opts: assertionOpts(setAttr("", "IssueInstant", hourBefore)), status: s400, code: spid.CodeTooEarly, field: "Assertion/@IssueInstant"},
		{name: "Assertion IssueInstant in the future", opts: assertionOpts(setAttr("", "IssueInstant", hourAfter)), status: s400, code: spid.CodeFuture, field: "Assertion/@IssueInstant"},
		{name: "Assertion Issuer missing", opts: assertionOpts(delElem("saml:Issuer")), status: s400, code: spid.CodeMissing, field: "Assertion/Issuer"},
		{name: "Assertion Issuer empty", opts: assertionOpts(setText("saml:Issuer", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/Issuer"},
		{name: "Assertion Issuer another IdP", opts: assertionOpts(setText("saml:Issuer", otherIdPURL)), status: s400, code: spid.CodeInvalid, field: "Assertion/Issuer"},
		{name: "Assertion Issuer Format missing", opts: assertionOpts(delAttr("saml:Issuer", "Format")), status: s400, code: spid.CodeMissing, field: "Assertion/Issuer/@Format"},
		{name: "Assertion Issuer Format empty", opts: assertionOpts(setAttr("saml:Issuer", "Format", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/Issuer/@Format"},
		{name: "Assertion Issuer Format not entity", opts: assertionOpts(setAttr("saml:Issuer", "Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")), status: s400, code: spid.CodeInvalid, field: "Assertion/Issuer/@Format"},

		// Subject.
		{name: "Subject missing", opts: assertionOpts(delElem(subj)), status: s400, code: spid.CodeMissing, field: "Assertion/Subject"},
		{name: "Subject empty", opts: assertionOpts(emptyElem(subj)), status: s400, code: spid.CodeEmpty, field: "Assertion/Subject"},
		{name: "NameID missing", opts: assertionOpts(delElem(nid)), status: s400, code: spid.CodeMissing, field: "Assertion/Subject/NameID"},
		{name: "NameID empty", opts: assertionOpts(emptyElem(nid)), status: s400, code: spid.CodeEmpty, field: "Assertion/Subject/NameID"},
		{name: "NameID value empty", opts: assertionOpts(setText(nid, "")), status: s400, code: spid.CodeEmpty, field: "Assertion/Subject/NameID"},
		{name: "NameID Format missing", opts: assertionOpts(delAttr(nid, "Format")), status: s400, code: spid.CodeMissing, field: "Assertion/Subject/NameID/@Format"},
		{name: "NameID Format empty", opts: assertionOpts(setAttr(nid, "Format", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/Subject/NameID/@Format"},
		{name: "NameID Format persistent", opts: assertionOpts(setAttr(nid, "Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")), status: s400, code: spid.CodeInvalid, field: "Assertion/Subject/NameID/@Format"},
		{name: "NameID NameQualifier missing", opts: assertionOpts(delAttr(nid, "NameQualifier")), status: s400, code: spid.CodeMissing, field: "Assertion/Subject/NameID/@NameQualifier"},
		{name: "NameID NameQualifier empty", opts: assertionOpts(setAttr(nid, "NameQualifier", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/Subject/NameID/@NameQualifier"},
		{name: "SubjectConfirmation missing", opts: assertionOpts(delElem(sc)), status: s400, code: spid.CodeMissing, field: "Assertion/Subject/SubjectConfirmation"},
		{name: "SubjectConfirmation empty", opts: assertionOpts(emptyElem(sc)), status: s400, code: spid.CodeEmpty, field: "Assertion/Subject/SubjectConfirmation"},
		{name: "SubjectConfirmation Method missing", opts: assertionOpts(delAttr(sc, "Method")), status: s400, code: spid.CodeMissing, field: "Assertion/Subject/SubjectConfirmation/@Method"},
		{name: "SubjectConfirmation Method empty", opts: assertionOpts(setAttr(sc, "Method", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/Subject/SubjectConfirmation/@Method"},
		{name: "SubjectConfirmation Method holder-of-key", opts: assertionOpts(setAttr(sc, "Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")), status: s400, code: spid.CodeInvalid, field: "Assertion/Subject/SubjectConfirmation/@Method"},
		{name: "SubjectConfirmationData missing", opts: assertionOpts(delElem(scd)), status: s400, code: spid.CodeMissing, field: fScd},
		{name: "SubjectConfirmationData empty", opts: assertionOpts(emptyElem(scd)), status: s400, code: spid.CodeEmpty, field: fScd},
		{name: "Recipient missing", opts: assertionOpts(delAttr(scd, "Recipient")), status: s400, code: spid.CodeMissing, field: fScd + "/@Recipient"},
		{name: "Recipient empty", opts: assertionOpts(setAttr(scd, "Recipient", "")), status: s400, code: spid.CodeEmpty, field: fScd + "/@Recipient"},
		{name: "Recipient another ACS", opts: assertionOpts(setAttr(scd, "Recipient", "https://evil.example/acs")), status: s400, code: spid.CodeInvalid, field: fScd + "/@Recipient"},
		{name: "SubjectConfirmationData InResponseTo missing", opts: assertionOpts(delAttr(scd, "InResponseTo")), status: s400, code: spid.CodeMissing, field: fScd + "/@InResponseTo"},
		{name: "SubjectConfirmationData InResponseTo empty", opts: assertionOpts(setAttr(scd, "InResponseTo", "")), status: s400, code: spid.CodeEmpty, field: fScd + "/@InResponseTo"},
		{name: "SubjectConfirmationData InResponseTo another request", opts: assertionOpts(setAttr(scd, "InResponseTo", "_another")), status: s400, code: spid.CodeInvalid, field: fScd + "/@InResponseTo"},
		{name: "SubjectConfirmationData NotOnOrAfter missing", opts: assertionOpts(delAttr(scd, "NotOnOrAfter")), status: s400, code: spid.CodeMissing, field: fScd + "/@NotOnOrAfter"},
		{name: "SubjectConfirmationData NotOnOrAfter empty", opts: assertionOpts(setAttr(scd, "NotOnOrAfter", "")), status: s400, code: spid.CodeEmpty, field: fScd + "/@NotOnOrAfter"},
		{name: "SubjectConfirmationData NotOnOrAfter malformed", opts: assertionOpts(setAttr(scd, "NotOnOrAfter", "tomorrow")), status: s400, code: spid.CodeInvalid, field: fScd + "/@NotOnOrAfter"},
		{name: "SubjectConfirmationData expired", opts: assertionOpts(setAttr(scd, "NotOnOrAfter", tenMinAgo)), status: s400, code: spid.CodeExpired, field: fScd + "/@NotOnOrAfter"},

		// Conditions.
		{name: "Conditions missing", opts: assertionOpts(delElem(cond)), status: s400, code: spid.CodeMissing, field: "Assertion/Conditions"},
		{name: "Conditions empty", opts: assertionOpts(emptyElem(cond)), status: s400, code: spid.CodeEmpty, field: "Assertion/Conditions"},
		{name: "Conditions NotBefore missing", opts: assertionOpts(delAttr(cond, "NotBefore")), status: s400, code: spid.CodeMissing, field: "Assertion/Conditions/@NotBefore"},
		{name: "Conditions NotBefore empty", opts: assertionOpts(setAttr(cond, "NotBefore", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/Conditions/@NotBefore"},
		{name: "Conditions NotBefore malformed", opts: assertionOpts(setAttr(cond, "NotBefore", "2026-03-15")), status: s400, code: spid.CodeInvalid, field: "Assertion/Conditions/@NotBefore"},
		{name: "Conditions NotBefore in the future", opts: assertionOpts(setAttr(cond, "NotBefore", hourAfter)), status: s400, code: spid.CodeFuture, field: "Assertion/Conditions/@NotBefore"},
		{name: "Conditions NotOnOrAfter missing", opts: assertionOpts(delAttr(cond, "NotOnOrAfter")), status: s400, code: spid.CodeMissing, field: "Assertion/Conditions/@NotOnOrAfter"},
		{name: "Conditions NotOnOrAfter empty", opts: assertionOpts(setAttr(cond, "NotOnOrAfter", "")), status: s400, code: spid.CodeEmpty, field: "Assertion/Conditions/@NotOnOrAfter"},
		{name: "Conditions NotOnOrAfter malformed", opts: assertionOpts(setAttr(cond, "NotOnOrAfter", "2026-13-45T99:00:00Z")), status: s400, code: spid.CodeInvalid, field: "Assertion/Conditions/@NotOnOrAfter"},
		{name: "Conditions expired", opts: assertionOpts(setAttr(cond, "NotOnOrAfter", tenMinAgo)), status: s400, code: spid.CodeExpired, field: "Assertion/Conditions/@NotOnOrAfter"},
		{name: "AudienceRestriction missing", opts: assertionOpts(delElem(ar)), status: s400, code: spid.CodeMissing, field: "Assertion/Conditions/AudienceRestriction"},
		{name: "AudienceRestriction empty", opts: assertionOpts(emptyElem(ar)), status: s400, code: spid.CodeEmpty, field: "Assertion/Conditions/AudienceRestriction"},
		{name: "Audience missing", opts: assertionOpts(delElem(aud), func(a *etree.Element) {
			a.FindElement(ar).CreateElement("saml:Other").SetText("x")
		}), status: s400, code: spid.CodeMissing, field: "Assertion/Conditions/AudienceRestriction/Audience"},
		{name: "Audience empty", opts: assertionOpts(setText(aud, "")), status: s400, code: spid.CodeEmpty, field: "Assertion/Conditions/AudienceRestriction/Audience"},
		{name: "Audience another SP", opts: assertionOpts(setText(aud, "https://other-sp.example.it")), status: s400, code: spid.CodeInvalid, field: "Assertion/Conditions/AudienceRestriction/Audience"},

		// AuthnStatement and level.
		{name: "AuthnStatement missing", opts: assertionOpts(delElem(as)), status: s400, code: spid.CodeMissing, field: "Assertion/AuthnStatement"},
		{name: "AuthnStatement empty", opts: assertionOpts(emptyElem(as)), status: s400, code: spid.CodeEmpty, field: "Assertion/AuthnStatement"},
		{name: "AuthnContext missing", opts: assertionOpts(delElem(actx)), status: s400, code: spid.CodeMissing, field: "Assertion/AuthnStatement/AuthnContext"},
		{name: "AuthnContext empty", opts: assertionOpts(emptyElem(actx)), status: s400, code: spid.CodeEmpty, field: "Assertion/AuthnStatement/AuthnContext"},
		{name: "AuthnContextClassRef missing", opts: assertionOpts(delElem(ref), func(a *etree.Element) {
			a.FindElement(actx).CreateElement("saml:AuthenticatingAuthority").SetText("x")
		}), status: s400, code: spid.CodeMissing, field: fRef},
		{name: "AuthnContextClassRef empty", opts: assertionOpts(setText(ref, "")), status: s400, code: spid.CodeEmpty, field: fRef},
		{name: "AuthnContextClassRef not SPID", opts: assertionOpts(setText(ref, "urn:oasis:names:tc:SAML:2.0:ac:classes:Password")), status: s400, code: spid.CodeInvalid, field: fRef},
		{name: "AuthnContextClassRef SpidL4", opts: assertionOpts(setText(ref, "https://www.spid.gov.it/SpidL4")), status: s400, code: spid.CodeInvalid, field: fRef},
		{name: "SpidL1 answered to SpidL2", level: spid.SpidL2, opts: levelOpts(spid.SpidL1), status: s403, code: spid.CodeLevelTooLow, field: fRef},
		{name: "SpidL1 answered to SpidL3", level: spid.SpidL3, opts: levelOpts(spid.SpidL1), status: s403, code: spid.CodeLevelTooLow, field: fRef},
		{name: "SpidL2 answered to SpidL3", level: spid.SpidL3, opts: levelOpts(spid.SpidL2), status: s403, code: spid.CodeLevelTooLow, field: fRef},

		// Attributes.
		{name: "AttributeStatement missing", opts: assertionOpts(delElem(ast)), status: s400, code: spid.CodeMissing, field: "Assertion/AttributeStatement"},
		{name: "AttributeStatement empty", opts: assertionOpts(emptyElem(ast)), status: s400, code: spid.CodeEmpty, field: "Assertion/AttributeStatement"},
		{name: "Attribute without Name", opts: assertionOpts(delAttr(attrPath("name"), "Name")), status: s400, code: spid.CodeMissing, field: "Assertion/AttributeStatement/Attribute/@Name"},
		{name: "Attribute sent twice", opts: assertionOpts(func(a *etree.Element) {
			a.FindElement(ast).AddChild(a.FindElement(attrPath("name")).Copy())
		}), status: s400, code: spid.CodeInvalid, field: "Assertion/AttributeStatement/Attribute[name]"},
		{name: "fiscalNumber missing", opts: assertionOpts(delElem(attrPath("fiscalNumber"))), status: s400, code: spid.CodeMissing, field: "Assertion/AttributeStatement/Attribute[fiscalNumber]"},
		{name: "fiscalNumber empty", opts: attrOpts("fiscalNumber", ""), status: s400, code: spid.CodeEmpty, field: "Assertion/AttributeStatement/Attribute[fiscalNumber]"},
		{name: "fiscalNumber without TINIT- prefix", opts: attrOpts("fiscalNumber", "RSSMRA80A41F205X"), status: s400, code: spid.CodeInvalid, field: "Assertion/AttributeStatement/Attribute[fiscalNumber]"},
		{name: "fiscalNumber too short", opts: attrOpts("fiscalNumber", "TINIT-RSSMRA80A41"), status: s400, code: spid.CodeInvalid, field: "Assertion/AttributeStatement/Attribute[fiscalNumber]"},
		{name: "fiscalNumber with markup", opts: attrOpts("fiscalNumber", "TINIT-<script>alert(1)</script>"), status: s400, code: spid.CodeInvalid, field: "Assertion/AttributeStatement/Attribute[fiscalNumber]"},
		{name: "fiscalNumber with two values", opts: assertionOpts(func(a *etree.Element) {
			a.FindElement(attrPath("fiscalNumber")).CreateElement("saml:AttributeValue").SetText("TINIT-XXXXXXXXXXXXXXXX")
		}), status: s400, code: spid.CodeInvalid, field: "Assertion/AttributeStatement/Attribute[fiscalNumber]"},
		{name: "name missing", opts: assertionOpts(delElem(attrPath("name"))), status: s400, code: spid.CodeMissing, field: "Assertion/AttributeStatement/Attribute[name]"},
		{name: "name empty", opts: attrOpts("name", ""), status: s400, code: spid.CodeEmpty, field: "Assertion/AttributeStatement/Attribute[name]"},
		{name: "familyName missing", opts: assertionOpts(delElem(attrPath("familyName"))), status: s400, code: spid.CodeMissing, field: "Assertion/AttributeStatement/Attribute[familyName]"},
		{name: "familyName empty", opts: attrOpts("familyName", " "), status: s400, code: spid.CodeEmpty, field: "Assertion/AttributeStatement/Attribute[familyName]"},
		{name: "dateOfBirth missing", opts: assertionOpts(delElem(attrPath("dateOfBirth"))), status: s400, code: spid.CodeMissing, field: "Assertion/AttributeStatement/Attribute[dateOfBirth]"},
		{name: "dateOfBirth Italian format", opts: attrOpts("dateOfBirth", "01/02/1984"), status: s400, code: spid.CodeInvalid, field: "Assertion/AttributeStatement/Attribute[dateOfBirth]"},
		{name: "dateOfBirth impossible date", opts: attrOpts("dateOfBirth", "1984-02-30"), status: s400, code: spid.CodeInvalid, field: "Assertion/AttributeStatement/Attribute[dateOfBirth]"},
		{name: "dateOfBirth in the future", opts: attrOpts("dateOfBirth", "2030-01-01"), status: s400, code: spid.CodeInvalid, field: "Assertion/AttributeStatement/Attribute[dateOfBirth]"},

		// Binding to our request and this browser.
		{name: "replayed Response", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			if rec := f.deliver(pl, x); rec.Code != http.StatusSeeOther {
				f.t.Fatalf("first delivery: %d", rec.Code)
			}
			return f.deliver(pl, x).Code
		}, status: s403, code: spid.CodeUnknownRequest, field: "Response/@InResponseTo"},
		{name: "Response delivered to another browser", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			other := &http.Cookie{Name: "spid_binding", Value: strings.Repeat("ab", 32)}
			return f.postACS(url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(x)}, "RelayState": {pl.relayState}}, other).Code
		}, status: s403, code: spid.CodeBrowserMismatch, field: "cookie"},
		{name: "InResponseTo of a request from another browser", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			victim := f.startLogin(spid.SpidL2, spid.BindingPOST, 0)
			evil, _ := f.idp.BuildResponse(victim.req, f.person("commuter"), testidp.ResponseOptions{})
			return f.postACS(url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(evil)}, "RelayState": {victim.relayState}}, pl.cookie).Code
		}, status: s403, code: spid.CodeBrowserMismatch, field: "cookie"},
		{name: "binding cookie missing", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			return f.postACS(url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(x)}, "RelayState": {pl.relayState}}, nil).Code
		}, status: s403, code: spid.CodeBrowserMismatch, field: "cookie"},
		{name: "RelayState tampered", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			return f.postACS(url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(x)}, "RelayState": {"/admin"}}, pl.cookie).Code
		}, status: s403, code: spid.CodeRelayState, field: "RelayState"},
		{name: "RelayState missing", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			return f.postACS(url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(x)}}, pl.cookie).Code
		}, status: s403, code: spid.CodeRelayState, field: "RelayState"},
		{name: "request expired while the user was at the IdP", deliver: func(f *fixture, pl *pendingLogin, x []byte) int {
			f.clock.Advance(16 * time.Minute)
			return f.deliver(pl, x).Code
		}, status: s403, code: spid.CodeUnknownRequest, field: "Response/@InResponseTo"},
	}
	return cases
}

func levelOpts(l spid.Level) func(*fixture) testidp.ResponseOptions {
	return func(*fixture) testidp.ResponseOptions { return testidp.ResponseOptions{Level: l} }
}

func insertAfterDecl(x []byte, s string) []byte {
	i := bytes.Index(x, []byte("?>"))
	return append(append(append([]byte{}, x[:i+2]...), []byte(s)...), x[i+2:]...)
}

// evilCopy returns an unsigned copy of a signed assertion with another
// identity in it, as an attacker holding one genuine assertion would forge.
func evilCopy(a *etree.Element) *etree.Element {
	evil := a.Copy()
	if sig := evil.FindElement("ds:Signature"); sig != nil {
		evil.RemoveChild(sig)
	}
	evil.RemoveAttr("ID")
	evil.CreateAttr("ID", "_evil")
	evil.FindElement(attrPath("fiscalNumber") + "/saml:AttributeValue").SetText("TINIT-VLNVTM80A01F205X")
	return evil
}

func xsw1(d *etree.Document) {
	r := d.Root()
	orig := r.Copy()
	orig.RemoveChild(orig.FindElement("ds:Signature"))
	r.RemoveAttr("ID")
	r.CreateAttr("ID", "_evilresponse")
	r.FindElement("ds:Signature").AddChild(orig)
}

func xsw2(d *etree.Document) {
	r := d.Root()
	orig := r.Copy()
	orig.RemoveChild(orig.FindElement("ds:Signature"))
	r.RemoveAttr("ID")
	r.CreateAttr("ID", "_evilresponse")
	r.InsertChildAt(r.FindElement("ds:Signature").Index(), orig)
}

func xsw3(d *etree.Document) {
	r := d.Root()
	a := r.FindElement("saml:Assertion")
	r.InsertChildAt(a.Index(), evilCopy(a))
}

func xsw4(d *etree.Document) {
	r := d.Root()
	a := r.FindElement("saml:Assertion")
	evil := evilCopy(a)
	r.RemoveChild(a)
	evil.AddChild(a)
	r.AddChild(evil)
}

func xsw5(d *etree.Document) {
	r := d.Root()
	a := r.FindElement("saml:Assertion")
	orig := a.Copy()
	orig.RemoveChild(orig.FindElement("ds:Signature"))
	a.FindElement(attrPath("fiscalNumber") + "/saml:AttributeValue").SetText("TINIT-VLNVTM80A01F205X")
	r.AddChild(orig)
}

func xsw6(d *etree.Document) {
	r := d.Root()
	a := r.FindElement("saml:Assertion")
	orig := a.Copy()
	orig.RemoveChild(orig.FindElement("ds:Signature"))
	a.RemoveAttr("ID")
	a.CreateAttr("ID", "_evil")
	a.FindElement(attrPath("fiscalNumber") + "/saml:AttributeValue").SetText("TINIT-VLNVTM80A01F205X")
	a.FindElement("ds:Signature").AddChild(orig)
}

func xsw7(d *etree.Document) {
	r := d.Root()
	a := r.FindElement("saml:Assertion")
	ext := etree.NewElement("samlp:Extensions")
	r.InsertChildAt(a.Index(), ext)
	r.RemoveChild(a)
	ext.AddChild(a)
	r.AddChild(evilCopy(a))
}

func xsw8(d *etree.Document) {
	r := d.Root()
	a := r.FindElement("saml:Assertion")
	orig := a.Copy()
	orig.RemoveChild(orig.FindElement("ds:Signature"))
	a.RemoveAttr("ID")
	a.CreateAttr("ID", "_evil")
	a.FindElement(attrPath("fiscalNumber") + "/saml:AttributeValue").SetText("TINIT-VLNVTM80A01F205X")
	obj := a.FindElement("ds:Signature").CreateElement("ds:Object")
	obj.AddChild(orig)
}

// TestConformanceTable runs every case through the real ACS handler on the
// SQL request store and authentication log, once per engine. The cases of
// one engine share one migrated database, as the instances of a deployment
// do: the replay and cross-browser cases then show that single use and the
// browser binding hold in the database, not in process memory.
func TestConformanceTable(t *testing.T) {
	cases := conformanceCases()
	if len(cases) < 100 {
		t.Fatalf("conformance table has %d cases, want at least 100", len(cases))
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		// The table guards itself: with every case's tampering removed, the
		// same fixture logs in. Otherwise a case could pass because the
		// baseline is broken rather than because the check works.
		t.Run("baseline logs in", func(t *testing.T) {
			for _, level := range []spid.Level{spid.SpidL1, spid.SpidL2, spid.SpidL3} {
				f := newFixture(t, d)
				pl := f.startLogin(level, spid.BindingPOST, 0)
				rec := f.deliver(pl, f.buildResponse(pl, testidp.ResponseOptions{}))
				if a, err := f.result(); rec.Code != http.StatusSeeOther || err != nil || a == nil {
					t.Fatalf("%s: baseline login failed: %d %v", level, rec.Code, err)
				}
			}
		})
		t.Logf("%d hostile or malformed Response cases", len(cases))
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				runConformanceCase(t, newFixture(t, d), tc)
			})
		}
	})
}

func runConformanceCase(t *testing.T, f *fixture, tc conformanceCase) {
	level := tc.level
	if level == 0 {
		level = spid.SpidL2
	}
	pl := f.startLogin(level, spid.BindingPOST, 0)
	var opts testidp.ResponseOptions
	if tc.opts != nil {
		opts = tc.opts(f)
	}
	x := f.buildResponse(pl, opts)
	if tc.raw != nil {
		x = tc.raw(x)
	}
	var status int
	if tc.deliver != nil {
		status = tc.deliver(f, pl, x)
	} else {
		status = f.deliver(pl, x).Code
	}
	a, err := f.result()
	if a != nil || err == nil {
		t.Fatalf("login accepted (status %d): %+v", status, a)
	}
	code, field := errCode(err)
	if status != tc.status || code != tc.code || (tc.field != "" && field != tc.field) {
		t.Fatalf("got %d %s %q (%v), want %d %s %q", status, code, field, err, tc.status, tc.code, tc.field)
	}
}

func httpRequest(method, target, body string) *http.Request {
	r, _ := http.NewRequest(method, target, strings.NewReader(body))
	return r
}
