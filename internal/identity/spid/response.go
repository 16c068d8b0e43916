package spid

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

// Assertion is a successful SPID login, built only from the signed,
// verified Assertion.
type Assertion struct {
	// FiscalNumber is the codice fiscale without the "TINIT-" prefix, upper-case.
	FiscalNumber string
	Name         string
	FamilyName   string
	DateOfBirth  time.Time // midnight UTC
	Email        string    // empty unless requested
	Level        Level
	IdPEntityID  string
	// NameID, NameQualifier and SessionIndex identify the IdP session;
	// keep them in the local session for single logout.
	NameID        string
	NameQualifier string
	SessionIndex  string
	AssertionID   string
	ResponseID    string
	RequestID     string
	IssueInstant  time.Time
	// ReturnTo is LoginRequest.ReturnTo, from our own store.
	ReturnTo string
}

var (
	fiscalNumberRE = regexp.MustCompile(`^TINIT-([A-Z0-9]{16})$`)
	dateRE         = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	anomalyRE      = regexp.MustCompile(`ErrorCode nr(\d+)`)
)

// ValidateResponse reads an HTTP-POST binding response from r and runs the
// whole AgID checklist. Every failure is an *Error. The request it answers is
// consumed whatever the outcome, so a response can be presented only once.
func (sp *ServiceProvider) ValidateResponse(ctx context.Context, r *http.Request) (*Assertion, error) {
	if r.Method != http.MethodPost {
		return nil, fail(CodeMethodNotAllowed, "")
	}
	_, samlResponse, relayState, err := readPostMessage(r, "SAMLResponse")
	if err != nil {
		return nil, err
	}
	cookie := ""
	if c, err := r.Cookie(sp.cfg.CookieName); err == nil {
		cookie = c.Value
	}
	return sp.ValidateResponseXML(ctx, samlResponse, relayState, cookie)
}

// readPostMessage extracts a base64 SAML message (the first of params
// present) and RelayState from a bounded form body.
func readPostMessage(r *http.Request, params ...string) (string, []byte, string, *Error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return "", nil, "", failf(CodeMalformed, "Content-Type", "unexpected %q", ct)
		}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, MaxResponseBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", nil, "", fail(CodeTooLarge, params[0])
		}
		return "", nil, "", &Error{Code: CodeMalformed, Field: "body", Err: err}
	}
	param := params[0]
	for _, p := range params {
		if _, ok := r.PostForm[p]; ok {
			param = p
			break
		}
	}
	vals := r.PostForm[param]
	if len(vals) == 0 {
		return param, nil, "", fail(CodeMissing, param)
	}
	if len(vals) > 1 || len(r.PostForm["RelayState"]) > 1 {
		return param, nil, "", failf(CodeMalformed, param, "repeated parameter")
	}
	if strings.TrimSpace(vals[0]) == "" {
		return param, nil, "", fail(CodeEmpty, param)
	}
	raw, err := base64.StdEncoding.DecodeString(stripSpace(vals[0]))
	if err != nil {
		return param, nil, "", &Error{Code: CodeMalformed, Field: param, Err: err}
	}
	return param, raw, r.PostForm.Get("RelayState"), nil
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// ValidateResponseXML is ValidateResponse after transport decoding: raw is
// the Response document, relayState the RelayState form value and cookie the
// value of the browser-binding cookie ("" if absent).
func (sp *ServiceProvider) ValidateResponseXML(ctx context.Context, raw []byte, relayState, cookie string) (*Assertion, error) {
	v := responseValidation{sp: sp, ctx: ctx, raw: raw, now: sp.now().UTC()}
	a, verr := v.run(relayState, cookie)
	if v.state == nil {
		// Nothing of ours to pair it with: not a logged authentication.
		return nil, verr
	}
	if err := v.log(verr); err != nil && verr == nil {
		// AgID requires the pair to be kept; a login we cannot record does not happen.
		return nil, internal(fmt.Errorf("authentication log: %w", err))
	}
	if verr != nil {
		return nil, verr
	}
	return a, nil
}

type responseValidation struct {
	sp         *ServiceProvider
	ctx        context.Context
	raw        []byte
	now        time.Time
	state      *RequestState
	responseID string
}

func (v *responseValidation) log(verr *Error) error {
	if v.sp.authLog == nil {
		return nil
	}
	outcome := "ok"
	if verr != nil {
		outcome = string(verr.Code)
	}
	return v.sp.authLog.Append(v.ctx, Record{
		RequestID:   v.state.ID,
		ResponseID:  v.responseID,
		IdPEntityID: v.state.IdPEntityID,
		Outcome:     outcome,
		RequestXML:  v.state.RequestXML,
		ResponseXML: v.raw,
		RequestedAt: v.state.IssuedAt,
		RespondedAt: v.now,
	})
}

func parseError(err error) *Error {
	switch {
	case errors.Is(err, samlxml.ErrDTD):
		return &Error{Code: CodeDTD, Field: "document", Err: err}
	default:
		return &Error{Code: CodeMalformed, Field: "document", Err: err}
	}
}

func signatureError(field string, err error) *Error {
	switch {
	case errors.Is(err, samlxml.ErrNoSignature):
		return &Error{Code: CodeSignatureMissing, Field: field, Err: err}
	case errors.Is(err, samlxml.ErrUnknownCert):
		return &Error{Code: CodeUnknownCert, Field: field, Err: err}
	default:
		return &Error{Code: CodeSignatureInvalid, Field: field, Err: err}
	}
}

func (v *responseValidation) run(relayState, cookie string) (*Assertion, *Error) {
	sp := v.sp
	skew := sp.cfg.ClockSkew
	doc, err := samlxml.Parse(v.raw)
	if err != nil {
		return nil, parseError(err)
	}
	resp := doc.Root()
	if !samlxml.Is(resp, samlxml.NSProtocol, "Response") {
		return nil, failf(CodeInvalid, "Response", "root element is %s", resp.FullTag())
	}
	// Wrapping attacks need a second Response or Assertion somewhere in the
	// document. Count them namespace-blind, before anything is trusted.
	if samlxml.CountDescendants(resp, "Response") != 1 {
		return nil, failf(CodeWrapping, "Response", "more than one Response element")
	}
	nAssertions := samlxml.CountDescendants(resp, "Assertion")
	nEncrypted := samlxml.CountDescendants(resp, "EncryptedAssertion")

	id, e := requiredAttr(resp, "ID", "Response/@ID")
	if e != nil {
		return nil, e
	}
	if !samlxml.IsNCName(id) {
		return nil, fail(CodeInvalid, "Response/@ID")
	}
	v.responseID = id
	if e := checkVersion(resp, "Response/@Version"); e != nil {
		return nil, e
	}
	issueInstant, e := requiredTime(resp, "IssueInstant", "Response/@IssueInstant")
	if e != nil {
		return nil, e
	}
	inResponseTo, e := requiredAttr(resp, "InResponseTo", "Response/@InResponseTo")
	if e != nil {
		return nil, e
	}

	st, err := sp.requests.Consume(v.ctx, inResponseTo)
	if errors.Is(err, ErrRequestNotFound) {
		return nil, &Error{Code: CodeUnknownRequest, Field: "Response/@InResponseTo", Err: err}
	}
	if err != nil {
		return nil, internal(fmt.Errorf("consume request: %w", err))
	}
	if st.Purpose != PurposeLogin {
		return nil, failf(CodeUnknownRequest, "Response/@InResponseTo", "request %s is not a login", st.ID)
	}
	v.state = &st
	if cookie == "" || subtle.ConstantTimeCompare([]byte(bindingHash(cookie)), []byte(st.BrowserBinding)) != 1 {
		return nil, fail(CodeBrowserMismatch, "cookie")
	}
	if subtle.ConstantTimeCompare([]byte(relayState), []byte(st.RelayState)) != 1 {
		return nil, fail(CodeRelayState, "RelayState")
	}
	idp, err := sp.idps.IdP(st.IdPEntityID)
	if err != nil {
		return nil, &Error{Code: CodeUnknownIdP, Field: "Response/Issuer", Err: err}
	}

	// The Response signature is optional in SPID, but when present it must
	// verify, and from then on we read the verified copy.
	if len(samlxml.Children(resp, samlxml.NSDSig, "Signature")) > 0 {
		verified, err := samlxml.Verify(resp, idp.Certificates, v.now)
		if err != nil {
			return nil, signatureError("Response/Signature", err)
		}
		resp = verified
	}

	if issueInstant.Before(st.IssuedAt.Add(-skew)) {
		return nil, fail(CodeTooEarly, "Response/@IssueInstant")
	}
	if issueInstant.After(v.now.Add(skew)) {
		return nil, fail(CodeFuture, "Response/@IssueInstant")
	}
	dest, e := requiredAttr(resp, "Destination", "Response/@Destination")
	if e != nil {
		return nil, e
	}
	if dest != sp.cfg.ACSURL {
		return nil, failf(CodeInvalid, "Response/@Destination", "%q is not our ACS", dest)
	}
	if e := checkIssuer(resp, idp.EntityID, "Response/Issuer", false); e != nil {
		return nil, e
	}
	if e := checkStatus(resp); e != nil {
		return nil, e
	}

	if nEncrypted > 0 {
		return nil, fail(CodeUnsupported, "EncryptedAssertion")
	}
	if nAssertions == 0 {
		return nil, fail(CodeMissing, "Assertion")
	}
	if nAssertions > 1 {
		return nil, failf(CodeWrapping, "Assertion", "%d Assertion elements", nAssertions)
	}
	asEl, n := samlxml.Child(resp, samlxml.NSAssertion, "Assertion")
	if n != 1 {
		return nil, failf(CodeWrapping, "Assertion", "the Assertion is not a direct child of Response")
	}
	// The ID is what the signature must reference: check it before verifying
	// so that a missing ID is reported as such.
	if _, e := requiredAttr(asEl, "ID", "Assertion/@ID"); e != nil {
		return nil, e
	}
	as, err := samlxml.Verify(asEl, idp.Certificates, v.now)
	if err != nil {
		return nil, signatureError("Assertion/Signature", err)
	}
	return v.assertion(as, idp, st, id)
}

func (v *responseValidation) assertion(as *etree.Element, idp IdP, st RequestState, responseID string) (*Assertion, *Error) {
	sp := v.sp
	skew := sp.cfg.ClockSkew
	now := v.now
	if !samlxml.Is(as, samlxml.NSAssertion, "Assertion") {
		return nil, fail(CodeWrapping, "Assertion")
	}
	out := &Assertion{IdPEntityID: idp.EntityID, ResponseID: responseID, RequestID: st.ID, ReturnTo: st.ReturnTo}

	id, e := requiredAttr(as, "ID", "Assertion/@ID")
	if e != nil {
		return nil, e
	}
	if !samlxml.IsNCName(id) {
		return nil, fail(CodeInvalid, "Assertion/@ID")
	}
	out.AssertionID = id
	if e := checkVersion(as, "Assertion/@Version"); e != nil {
		return nil, e
	}
	ii, e := requiredTime(as, "IssueInstant", "Assertion/@IssueInstant")
	if e != nil {
		return nil, e
	}
	if ii.Before(st.IssuedAt.Add(-skew)) {
		return nil, fail(CodeTooEarly, "Assertion/@IssueInstant")
	}
	if ii.After(now.Add(skew)) {
		return nil, fail(CodeFuture, "Assertion/@IssueInstant")
	}
	out.IssueInstant = ii
	if e := checkIssuer(as, idp.EntityID, "Assertion/Issuer", true); e != nil {
		return nil, e
	}

	// Subject
	subj, e := requiredChild(as, samlxml.NSAssertion, "Subject", "Assertion/Subject")
	if e != nil {
		return nil, e
	}
	nameID, e := requiredChild(subj, samlxml.NSAssertion, "NameID", "Assertion/Subject/NameID")
	if e != nil {
		return nil, e
	}
	if out.NameID, e = requiredText(nameID, "Assertion/Subject/NameID"); e != nil {
		return nil, e
	}
	format, e := requiredAttr(nameID, "Format", "Assertion/Subject/NameID/@Format")
	if e != nil {
		return nil, e
	}
	if format != samlxml.NameIDTransient {
		return nil, fail(CodeInvalid, "Assertion/Subject/NameID/@Format")
	}
	if out.NameQualifier, e = requiredAttr(nameID, "NameQualifier", "Assertion/Subject/NameID/@NameQualifier"); e != nil {
		return nil, e
	}
	sc, e := requiredChild(subj, samlxml.NSAssertion, "SubjectConfirmation", "Assertion/Subject/SubjectConfirmation")
	if e != nil {
		return nil, e
	}
	method, e := requiredAttr(sc, "Method", "Assertion/Subject/SubjectConfirmation/@Method")
	if e != nil {
		return nil, e
	}
	if method != samlxml.ConfirmationBearer {
		return nil, fail(CodeInvalid, "Assertion/Subject/SubjectConfirmation/@Method")
	}
	const scdPath = "Assertion/Subject/SubjectConfirmation/SubjectConfirmationData"
	scd, e := requiredChild(sc, samlxml.NSAssertion, "SubjectConfirmationData", scdPath)
	if e != nil {
		return nil, e
	}
	if len(scd.Attr) == 0 {
		return nil, fail(CodeEmpty, scdPath)
	}
	recipient, e := requiredAttr(scd, "Recipient", scdPath+"/@Recipient")
	if e != nil {
		return nil, e
	}
	if recipient != sp.cfg.ACSURL {
		return nil, fail(CodeInvalid, scdPath+"/@Recipient")
	}
	irt, e := requiredAttr(scd, "InResponseTo", scdPath+"/@InResponseTo")
	if e != nil {
		return nil, e
	}
	if irt != st.ID {
		return nil, fail(CodeInvalid, scdPath+"/@InResponseTo")
	}
	scdNotOnOrAfter, e := requiredTime(scd, "NotOnOrAfter", scdPath+"/@NotOnOrAfter")
	if e != nil {
		return nil, e
	}
	if !now.Before(scdNotOnOrAfter.Add(skew)) {
		return nil, fail(CodeExpired, scdPath+"/@NotOnOrAfter")
	}

	// Conditions
	cond, e := requiredChild(as, samlxml.NSAssertion, "Conditions", "Assertion/Conditions")
	if e != nil {
		return nil, e
	}
	if len(cond.Attr) == 0 && len(cond.ChildElements()) == 0 {
		return nil, fail(CodeEmpty, "Assertion/Conditions")
	}
	notBefore, e := requiredTime(cond, "NotBefore", "Assertion/Conditions/@NotBefore")
	if e != nil {
		return nil, e
	}
	if notBefore.After(now.Add(skew)) {
		return nil, fail(CodeFuture, "Assertion/Conditions/@NotBefore")
	}
	notOnOrAfter, e := requiredTime(cond, "NotOnOrAfter", "Assertion/Conditions/@NotOnOrAfter")
	if e != nil {
		return nil, e
	}
	if !now.Before(notOnOrAfter.Add(skew)) {
		return nil, fail(CodeExpired, "Assertion/Conditions/@NotOnOrAfter")
	}
	ars := samlxml.Children(cond, samlxml.NSAssertion, "AudienceRestriction")
	if len(ars) == 0 {
		return nil, fail(CodeMissing, "Assertion/Conditions/AudienceRestriction")
	}
	for _, ar := range ars {
		auds := samlxml.Children(ar, samlxml.NSAssertion, "Audience")
		if len(ar.ChildElements()) == 0 {
			return nil, fail(CodeEmpty, "Assertion/Conditions/AudienceRestriction")
		}
		if len(auds) == 0 {
			return nil, fail(CodeMissing, "Assertion/Conditions/AudienceRestriction/Audience")
		}
		ok := false
		for _, a := range auds {
			text := strings.TrimSpace(samlxml.Text(a))
			if text == "" {
				return nil, fail(CodeEmpty, "Assertion/Conditions/AudienceRestriction/Audience")
			}
			ok = ok || text == sp.cfg.EntityID
		}
		if !ok {
			return nil, fail(CodeInvalid, "Assertion/Conditions/AudienceRestriction/Audience")
		}
	}

	// AuthnStatement
	stmt, e := requiredChild(as, samlxml.NSAssertion, "AuthnStatement", "Assertion/AuthnStatement")
	if e != nil {
		return nil, e
	}
	out.SessionIndex, _ = samlxml.Attr(stmt, "SessionIndex")
	actx, e := requiredChild(stmt, samlxml.NSAssertion, "AuthnContext", "Assertion/AuthnStatement/AuthnContext")
	if e != nil {
		return nil, e
	}
	ref, e := requiredChild(actx, samlxml.NSAssertion, "AuthnContextClassRef", "Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef")
	if e != nil {
		return nil, e
	}
	refText, e := requiredText(ref, "Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef")
	if e != nil {
		return nil, e
	}
	level, ok := ParseLevel(refText)
	if !ok {
		return nil, failf(CodeInvalid, "Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef", "%q is not a SPID level", refText)
	}
	if level < st.Level {
		return nil, failf(CodeLevelTooLow, "Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef", "got %s, requested %s", level, st.Level)
	}
	out.Level = level

	if e := v.attributes(as, st, out); e != nil {
		return nil, e
	}
	return out, nil
}

func (v *responseValidation) attributes(as *etree.Element, st RequestState, out *Assertion) *Error {
	stmts := samlxml.Children(as, samlxml.NSAssertion, "AttributeStatement")
	if len(stmts) == 0 {
		return fail(CodeMissing, "Assertion/AttributeStatement")
	}
	values := map[string][]string{}
	for _, s := range stmts {
		if len(s.ChildElements()) == 0 {
			return fail(CodeEmpty, "Assertion/AttributeStatement")
		}
		for _, a := range samlxml.Children(s, samlxml.NSAssertion, "Attribute") {
			name, e := requiredAttr(a, "Name", "Assertion/AttributeStatement/Attribute/@Name")
			if e != nil {
				return e
			}
			if _, dup := values[name]; dup {
				return failf(CodeInvalid, attrField(name), "attribute sent twice")
			}
			vals := []string{}
			for _, av := range samlxml.Children(a, samlxml.NSAssertion, "AttributeValue") {
				vals = append(vals, strings.TrimSpace(samlxml.Text(av)))
			}
			values[name] = vals
		}
	}
	svc, _ := v.sp.cfg.attributeService(st.AttributeIndex)
	for _, name := range svc.Attributes {
		vals, ok := values[name]
		if !ok {
			return fail(CodeMissing, attrField(name))
		}
		if len(vals) == 0 || vals[0] == "" {
			return fail(CodeEmpty, attrField(name))
		}
		if len(vals) > 1 {
			return failf(CodeInvalid, attrField(name), "more than one value")
		}
		val := vals[0]
		switch name {
		case AttrFiscalNumber:
			m := fiscalNumberRE.FindStringSubmatch(strings.ToUpper(val))
			if m == nil {
				return fail(CodeInvalid, attrField(name))
			}
			out.FiscalNumber = m[1]
		case AttrName:
			out.Name = val
		case AttrFamilyName:
			out.FamilyName = val
		case AttrDateOfBirth:
			if !dateRE.MatchString(val) {
				return fail(CodeInvalid, attrField(name))
			}
			d, err := time.Parse(time.DateOnly, val)
			if err != nil || d.After(v.now) {
				return fail(CodeInvalid, attrField(name))
			}
			out.DateOfBirth = d
		case AttrEmail:
			if !strings.Contains(val, "@") {
				return fail(CodeInvalid, attrField(name))
			}
			out.Email = val
		}
	}
	return nil
}

func attrField(name string) string { return "Assertion/AttributeStatement/Attribute[" + name + "]" }

func requiredAttr(el *etree.Element, name, field string) (string, *Error) {
	v, ok := samlxml.Attr(el, name)
	if !ok {
		return "", fail(CodeMissing, field)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fail(CodeEmpty, field)
	}
	return v, nil
}

func requiredTime(el *etree.Element, name, field string) (time.Time, *Error) {
	v, e := requiredAttr(el, name, field)
	if e != nil {
		return time.Time{}, e
	}
	t, ok := samlxml.ParseTime(v)
	if !ok {
		return time.Time{}, failf(CodeInvalid, field, "%q is not a UTC xs:dateTime", v)
	}
	return t, nil
}

// requiredChild returns the only child {ns}tag. An element that is present
// but has neither attributes nor content ("<saml:Subject/>") is reported as
// CodeEmpty so that "missing" and "not filled in" stay distinguishable.
func requiredChild(el *etree.Element, ns, tag, field string) (*etree.Element, *Error) {
	c, n := samlxml.Child(el, ns, tag)
	if n == 0 {
		return nil, fail(CodeMissing, field)
	}
	if n > 1 {
		return nil, failf(CodeInvalid, field, "%d elements, expected one", n)
	}
	if len(c.Attr) == 0 && len(c.ChildElements()) == 0 && strings.TrimSpace(samlxml.Text(c)) == "" {
		return nil, fail(CodeEmpty, field)
	}
	return c, nil
}

func requiredText(el *etree.Element, field string) (string, *Error) {
	t := strings.TrimSpace(samlxml.Text(el))
	if t == "" {
		return "", fail(CodeEmpty, field)
	}
	return t, nil
}

func checkVersion(el *etree.Element, field string) *Error {
	v, e := requiredAttr(el, "Version", field)
	if e != nil {
		return e
	}
	if v != "2.0" {
		return fail(CodeInvalid, field)
	}
	return nil
}

// checkIssuer checks an Issuer. SPID lets the Response's Issuer omit Format,
// but the Assertion's must carry it.
func checkIssuer(el *etree.Element, entityID, field string, formatRequired bool) *Error {
	iss, n := samlxml.Child(el, samlxml.NSAssertion, "Issuer")
	if n == 0 {
		return fail(CodeMissing, field)
	}
	if n > 1 {
		return failf(CodeInvalid, field, "%d Issuer elements", n)
	}
	text, e := requiredText(iss, field)
	if e != nil {
		return e
	}
	if text != entityID {
		return failf(CodeInvalid, field, "issuer %q is not the IdP we asked", text)
	}
	format, ok := samlxml.Attr(iss, "Format")
	switch {
	case !ok && formatRequired:
		return fail(CodeMissing, field+"/@Format")
	case ok && strings.TrimSpace(format) == "":
		return fail(CodeEmpty, field+"/@Format")
	case ok && format != samlxml.NameIDEntity:
		return fail(CodeInvalid, field+"/@Format")
	}
	return nil
}

// checkStatus returns nil for Success and a typed error otherwise, mapping
// SPID's "ErrorCode nrNN" StatusMessage to a specific code.
func checkStatus(resp *etree.Element) *Error {
	status, e := requiredChild(resp, samlxml.NSProtocol, "Status", "Response/Status")
	if e != nil {
		return e
	}
	code, e := requiredChild(status, samlxml.NSProtocol, "StatusCode", "Response/Status/StatusCode")
	if e != nil {
		return e
	}
	value, e := requiredAttr(code, "Value", "Response/Status/StatusCode/@Value")
	if e != nil {
		return e
	}
	if value == samlxml.StatusSuccess {
		return nil
	}
	msg := ""
	if m, _ := samlxml.Child(status, samlxml.NSProtocol, "StatusMessage"); m != nil {
		msg = strings.TrimSpace(samlxml.Text(m))
	}
	if m := anomalyRE.FindStringSubmatch(msg); m != nil {
		if c, ok := anomalyCode(m[1]); ok {
			return failf(c, "Response/Status", "%s", msg)
		}
	}
	sub := ""
	if s, _ := samlxml.Child(code, samlxml.NSProtocol, "StatusCode"); s != nil {
		sub, _ = samlxml.Attr(s, "Value")
	}
	return failf(CodeStatus, "Response/Status", "status %s %s %q", value, sub, msg)
}
