package spid

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

// LogoutSession identifies the IdP session to end; the web layer keeps
// these fields from the Assertion in its local session.
type LogoutSession struct {
	IdPEntityID   string
	NameID        string
	NameQualifier string
	SessionIndex  string
}

// LogoutRequest asks StartLogout to end an IdP session.
type LogoutRequest struct {
	Session   LogoutSession
	Binding   Binding // default HTTP-POST
	ReturnTo  string  // local path, handed back in LogoutResult
	ScriptURL string
}

// StartLogout sends the browser to the IdP with a signed LogoutRequest
// (SP-initiated single logout). End the local session before calling it:
// the IdP may never answer.
func (sp *ServiceProvider) StartLogout(w http.ResponseWriter, r *http.Request, lr LogoutRequest) error {
	if !localPath(lr.ReturnTo) {
		return failf(CodeInvalid, "ReturnTo", "must be a local path")
	}
	if lr.Session.NameID == "" {
		return fail(CodeMissing, "Session.NameID")
	}
	idp, err := sp.idps.IdP(lr.Session.IdPEntityID)
	if err != nil {
		return &Error{Code: CodeUnknownIdP, Field: "Session.IdPEntityID", Err: err}
	}
	slo := map[Binding]string{}
	for b, ep := range idp.SLO {
		slo[b] = ep.Location
	}
	binding, endpoint := pickEndpoint(slo, lr.Binding)
	if endpoint == "" {
		return failf(CodeUnknownIdP, "Session.IdPEntityID", "IdP %s has no SLO endpoint", idp.EntityID)
	}
	id, err := samlxml.NewID(sp.rand)
	if err != nil {
		return internal(err)
	}
	relayState, err := samlxml.RandomToken(sp.rand, 16)
	if err != nil {
		return internal(err)
	}
	cookie, err := sp.bindingCookie(r)
	if err != nil {
		return internal(err)
	}
	now := sp.now().UTC().Truncate(1e9)

	req := sp.newMessage("samlp:LogoutRequest", id, now, endpoint)
	nameID := req.CreateElement("saml:NameID")
	nameID.CreateAttr("Format", samlxml.NameIDTransient)
	nq := lr.Session.NameQualifier
	if nq == "" {
		nq = idp.EntityID
	}
	nameID.CreateAttr("NameQualifier", nq)
	nameID.SetText(lr.Session.NameID)
	if lr.Session.SessionIndex != "" {
		req.CreateElement("samlp:SessionIndex").SetText(lr.Session.SessionIndex)
	}
	xmlBytes, err := sp.encode(req, binding)
	if err != nil {
		return internal(err)
	}
	st := RequestState{
		ID: id, Purpose: PurposeLogout, IdPEntityID: idp.EntityID, RelayState: relayState,
		BrowserBinding: bindingHash(cookie), ReturnTo: lr.ReturnTo, IssuedAt: now,
		ExpiresAt: now.Add(sp.cfg.RequestTTL), RequestXML: xmlBytes,
	}
	if err := sp.requests.Save(r.Context(), st); err != nil {
		return internal(fmt.Errorf("save logout request: %w", err))
	}
	sp.setBindingCookie(w, cookie)
	return sp.send(w, binding, endpoint, "SAMLRequest", xmlBytes, relayState, lr.ScriptURL)
}

// newMessage starts a protocol message with the common attributes and Issuer.
func (sp *ServiceProvider) newMessage(tag, id string, now time.Time, destination string) *etree.Element {
	m := etree.NewElement(tag)
	m.CreateAttr("xmlns:samlp", samlxml.NSProtocol)
	m.CreateAttr("xmlns:saml", samlxml.NSAssertion)
	m.CreateAttr("ID", id)
	m.CreateAttr("Version", "2.0")
	m.CreateAttr("IssueInstant", now.Format(samlxml.TimeLayout))
	m.CreateAttr("Destination", destination)
	iss := m.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", samlxml.NameIDEntity)
	iss.CreateAttr("NameQualifier", sp.cfg.EntityID)
	iss.SetText(sp.cfg.EntityID)
	return m
}

// encode signs the message for the POST binding (the Redirect binding signs
// the query instead) and serialises it.
func (sp *ServiceProvider) encode(m *etree.Element, binding Binding) ([]byte, error) {
	if binding == BindingPOST {
		if err := samlxml.Sign(m, sp.keys, samlxml.IndexAfter(m, samlxml.NSAssertion, "Issuer")); err != nil {
			return nil, err
		}
	}
	return samlxml.Serialize(samlxml.NewDocument(m))
}

func (sp *ServiceProvider) send(w http.ResponseWriter, binding Binding, endpoint, param string, msg []byte, relayState, scriptURL string) error {
	w.Header().Set("Cache-Control", "no-cache, no-store")
	if binding == BindingRedirect {
		loc, err := samlxml.RedirectURL(endpoint, param, msg, relayState, sp.keys)
		if err != nil {
			return internal(err)
		}
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusFound)
		return nil
	}
	fields := []samlxml.FormField{{Name: param, Value: base64.StdEncoding.EncodeToString(msg)}}
	if relayState != "" {
		fields = append(fields, samlxml.FormField{Name: "RelayState", Value: relayState})
	}
	return samlxml.WritePostForm(w, samlxml.PostForm{Action: endpoint, Fields: fields, ScriptURL: scriptURL})
}

// LogoutNotice is an IdP-initiated logout: end every local session that
// came from this IdP session.
type LogoutNotice struct {
	IdPEntityID  string
	NameID       string
	SessionIndex string
}

// LogoutResult is the IdP's answer to our LogoutRequest.
type LogoutResult struct {
	Success  bool // false: the IdP could not end every session (PartialLogout)
	ReturnTo string
}

// SLOHandler is the single logout endpoint (GET and POST /spid/slo). It
// receives both the IdP's answers to our LogoutRequests and IdP-initiated
// LogoutRequests.
type SLOHandler struct {
	SP *ServiceProvider
	// OnIdPLogout ends the local sessions of an IdP-initiated logout. If it
	// fails the IdP is told PartialLogout.
	OnIdPLogout func(ctx context.Context, n LogoutNotice) error
	// OnLogoutComplete renders the end of an SP-initiated logout.
	OnLogoutComplete func(w http.ResponseWriter, r *http.Request, res LogoutResult)
	// OnError renders failures; nil uses DefaultErrorPage.
	OnError   func(w http.ResponseWriter, r *http.Request, err error)
	ScriptURL string
}

func (h SLOHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		if h.OnError != nil {
			h.OnError(w, r, err)
			return
		}
		DefaultErrorPage(w, r, err)
	}
}

// sloMessage is a received, signature-verified logout message.
type sloMessage struct {
	el         *etree.Element // verified
	binding    Binding
	relayState string
	idp        IdP
}

func (h SLOHandler) serve(w http.ResponseWriter, r *http.Request) error {
	sp := h.SP
	var msg sloMessage
	var err *Error
	switch r.Method {
	case http.MethodGet:
		msg, err = sp.receiveRedirect(r)
	case http.MethodPost:
		msg, err = sp.receivePost(r)
	default:
		return fail(CodeMethodNotAllowed, "")
	}
	if err != nil {
		return err
	}
	switch {
	case samlxml.Is(msg.el, samlxml.NSProtocol, "LogoutResponse"):
		res, err := sp.logoutResponse(r, msg)
		if err != nil {
			return err
		}
		if h.OnLogoutComplete != nil {
			h.OnLogoutComplete(w, r, res)
		} else {
			http.Redirect(w, r, "/", http.StatusSeeOther)
		}
		return nil
	case samlxml.Is(msg.el, samlxml.NSProtocol, "LogoutRequest"):
		return h.idpLogout(w, r, msg)
	}
	return failf(CodeInvalid, "document", "not a logout message")
}

// issuerIdP finds the IdP named by a message's Issuer, before the message is
// trusted: it only selects which certificates the signature must match.
func (sp *ServiceProvider) issuerIdP(el *etree.Element, field string) (IdP, *Error) {
	iss, n := samlxml.Child(el, samlxml.NSAssertion, "Issuer")
	if n != 1 {
		return IdP{}, fail(CodeMissing, field)
	}
	idp, err := sp.idps.IdP(strings.TrimSpace(samlxml.Text(iss)))
	if err != nil {
		return IdP{}, &Error{Code: CodeUnknownIdP, Field: field, Err: err}
	}
	return idp, nil
}

func (sp *ServiceProvider) receivePost(r *http.Request) (sloMessage, *Error) {
	_, raw, relayState, e := readPostMessage(r, "SAMLRequest", "SAMLResponse")
	if e != nil {
		return sloMessage{}, e
	}
	doc, err := samlxml.Parse(raw)
	if err != nil {
		return sloMessage{}, parseError(err)
	}
	idp, e := sp.issuerIdP(doc.Root(), "Issuer")
	if e != nil {
		return sloMessage{}, e
	}
	verified, err := samlxml.Verify(doc.Root(), idp.Certificates, sp.now())
	if err != nil {
		return sloMessage{}, signatureError("Signature", err)
	}
	return sloMessage{el: verified, binding: BindingPOST, relayState: relayState, idp: idp}, nil
}

func (sp *ServiceProvider) receiveRedirect(r *http.Request) (sloMessage, *Error) {
	if len(r.URL.RawQuery) > MaxResponseBytes {
		return sloMessage{}, fail(CodeTooLarge, "query")
	}
	var idp IdP
	var doc *etree.Document
	m, err := samlxml.ParseRedirect(r.URL.RawQuery, func(x []byte) ([]*x509.Certificate, error) {
		d, err := samlxml.Parse(x)
		if err != nil {
			return nil, parseError(err)
		}
		i, e := sp.issuerIdP(d.Root(), "Issuer")
		if e != nil {
			return nil, e
		}
		idp, doc = i, d
		return i.Certificates, nil
	})
	if err != nil {
		if e := errorAs(err); e != nil {
			return sloMessage{}, e
		}
		if errors.Is(err, samlxml.ErrRedirectMalformed) {
			return sloMessage{}, &Error{Code: CodeMalformed, Field: "query", Err: err}
		}
		if errors.Is(err, samlxml.ErrRedirectUnsigned) {
			return sloMessage{}, &Error{Code: CodeSignatureMissing, Field: "Signature", Err: err}
		}
		return sloMessage{}, &Error{Code: CodeSignatureInvalid, Field: "Signature", Err: err}
	}
	// With the Redirect binding the query is signed, so the XML itself must
	// not carry an enveloped signature we would otherwise ignore.
	if len(samlxml.Children(doc.Root(), samlxml.NSDSig, "Signature")) > 0 {
		return sloMessage{}, failf(CodeInvalid, "Signature", "enveloped signature in a Redirect message")
	}
	return sloMessage{el: doc.Root(), binding: BindingRedirect, relayState: m.RelayState, idp: idp}, nil
}

// checkLogoutCommon runs the checks shared by both logout messages.
func (sp *ServiceProvider) checkLogoutCommon(el *etree.Element, idp IdP, name string) (string, *Error) {
	id, e := requiredAttr(el, "ID", name+"/@ID")
	if e != nil {
		return "", e
	}
	if e := checkVersion(el, name+"/@Version"); e != nil {
		return "", e
	}
	ii, e := requiredTime(el, "IssueInstant", name+"/@IssueInstant")
	if e != nil {
		return "", e
	}
	now := sp.now()
	if ii.After(now.Add(sp.cfg.ClockSkew)) {
		return "", fail(CodeFuture, name+"/@IssueInstant")
	}
	if ii.Before(now.Add(-sp.cfg.RequestTTL)) {
		return "", fail(CodeExpired, name+"/@IssueInstant")
	}
	dest, e := requiredAttr(el, "Destination", name+"/@Destination")
	if e != nil {
		return "", e
	}
	if dest != sp.cfg.SLOURL {
		return "", fail(CodeInvalid, name+"/@Destination")
	}
	if e := checkIssuer(el, idp.EntityID, name+"/Issuer", false); e != nil {
		return "", e
	}
	return id, nil
}

func (sp *ServiceProvider) logoutResponse(r *http.Request, msg sloMessage) (LogoutResult, *Error) {
	el := msg.el
	if _, e := sp.checkLogoutCommon(el, msg.idp, "LogoutResponse"); e != nil {
		return LogoutResult{}, e
	}
	irt, e := requiredAttr(el, "InResponseTo", "LogoutResponse/@InResponseTo")
	if e != nil {
		return LogoutResult{}, e
	}
	st, err := sp.requests.Consume(r.Context(), irt)
	if errors.Is(err, ErrRequestNotFound) || (err == nil && st.Purpose != PurposeLogout) {
		return LogoutResult{}, fail(CodeUnknownRequest, "LogoutResponse/@InResponseTo")
	}
	if err != nil {
		return LogoutResult{}, internal(err)
	}
	if st.IdPEntityID != msg.idp.EntityID {
		return LogoutResult{}, fail(CodeInvalid, "LogoutResponse/Issuer")
	}
	cookie := ""
	if c, err := r.Cookie(sp.cfg.CookieName); err == nil {
		cookie = c.Value
	}
	if cookie == "" || subtle.ConstantTimeCompare([]byte(bindingHash(cookie)), []byte(st.BrowserBinding)) != 1 {
		return LogoutResult{}, fail(CodeBrowserMismatch, "cookie")
	}
	if subtle.ConstantTimeCompare([]byte(msg.relayState), []byte(st.RelayState)) != 1 {
		return LogoutResult{}, fail(CodeRelayState, "RelayState")
	}
	res := LogoutResult{ReturnTo: st.ReturnTo}
	if se := checkStatus(el); se == nil {
		res.Success = true
	} else if se.Code == CodeMissing || se.Code == CodeEmpty {
		return LogoutResult{}, se
	}
	return res, nil
}

func (h SLOHandler) idpLogout(w http.ResponseWriter, r *http.Request, msg sloMessage) error {
	sp := h.SP
	el := msg.el
	id, e := sp.checkLogoutCommon(el, msg.idp, "LogoutRequest")
	if e != nil {
		return e
	}
	if noa, ok := samlxml.Attr(el, "NotOnOrAfter"); ok {
		t, ok := samlxml.ParseTime(noa)
		if !ok {
			return fail(CodeInvalid, "LogoutRequest/@NotOnOrAfter")
		}
		if !sp.now().Before(t.Add(sp.cfg.ClockSkew)) {
			return fail(CodeExpired, "LogoutRequest/@NotOnOrAfter")
		}
	}
	nameID, e := requiredChild(el, samlxml.NSAssertion, "NameID", "LogoutRequest/NameID")
	if e != nil {
		return e
	}
	notice := LogoutNotice{IdPEntityID: msg.idp.EntityID}
	if notice.NameID, e = requiredText(nameID, "LogoutRequest/NameID"); e != nil {
		return e
	}
	if si, _ := samlxml.Child(el, samlxml.NSProtocol, "SessionIndex"); si != nil {
		notice.SessionIndex = strings.TrimSpace(samlxml.Text(si))
	}

	status := samlxml.StatusSuccess
	if h.OnIdPLogout != nil {
		if err := h.OnIdPLogout(r.Context(), notice); err != nil {
			status = samlxml.StatusResponder
		}
	}

	ep, ok := msg.idp.SLO[msg.binding]
	if !ok {
		for _, b := range []Binding{BindingPOST, BindingRedirect} {
			if ep, ok = msg.idp.SLO[b]; ok {
				msg.binding = b
				break
			}
		}
	}
	if !ok {
		return failf(CodeUnknownIdP, "LogoutRequest/Issuer", "IdP has no SLO endpoint")
	}
	dest := ep.ResponseLocation
	if dest == "" {
		dest = ep.Location
	}
	respID, err := samlxml.NewID(sp.rand)
	if err != nil {
		return internal(err)
	}
	resp := sp.newMessage("samlp:LogoutResponse", respID, sp.now().UTC(), dest)
	resp.CreateAttr("InResponseTo", id)
	sc := resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode")
	sc.CreateAttr("Value", status)
	if status != samlxml.StatusSuccess {
		sc.CreateElement("samlp:StatusCode").CreateAttr("Value", samlxml.StatusPartialLogout)
	}
	xmlBytes, err := sp.encode(resp, msg.binding)
	if err != nil {
		return internal(err)
	}
	return sp.send(w, msg.binding, dest, "SAMLResponse", xmlBytes, msg.relayState, h.ScriptURL)
}
