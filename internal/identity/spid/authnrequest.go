package spid

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

// LoginRequest is what the web layer asks for when the user picks an IdP on
// the SPID button.
type LoginRequest struct {
	IdPEntityID string
	Level       Level
	// Binding defaults to HTTP-POST. If the IdP does not offer the chosen
	// binding the other one is used.
	Binding Binding
	// AttributeIndex selects a configured AttributeService.
	AttributeIndex int
	// ReturnTo is a local path ("/processes/42") to come back to; it is kept
	// server-side and handed back in Assertion.ReturnTo, never sent to the IdP.
	ReturnTo string
	// ScriptURL, if set, is included in the POST page as an external script
	// that submits forms marked data-autosubmit.
	ScriptURL string
}

// StartLogin sends the browser to the IdP: it stores the request state,
// sets the browser-binding cookie and writes either an HTTP-POST form page
// or a 302 to the HTTP-Redirect URL. On error nothing has been written.
func (sp *ServiceProvider) StartLogin(w http.ResponseWriter, r *http.Request, lr LoginRequest) error {
	if !lr.Level.Valid() {
		return failf(CodeInvalid, "Level", "unknown SPID level %d", lr.Level)
	}
	if !localPath(lr.ReturnTo) {
		return failf(CodeInvalid, "ReturnTo", "must be a local path")
	}
	if _, ok := sp.cfg.attributeService(lr.AttributeIndex); !ok {
		return failf(CodeInvalid, "AttributeIndex", "no AttributeService with index %d", lr.AttributeIndex)
	}
	idp, err := sp.idps.IdP(lr.IdPEntityID)
	if err != nil {
		return &Error{Code: CodeUnknownIdP, Field: "IdPEntityID", Err: err}
	}
	binding, endpoint := pickEndpoint(idp.SSO, lr.Binding)
	if endpoint == "" {
		return failf(CodeUnknownIdP, "IdPEntityID", "IdP %s has no SSO endpoint", idp.EntityID)
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

	req := sp.authnRequest(id, now, endpoint, lr)
	if binding == BindingPOST {
		if err := samlxml.Sign(req, sp.keys, samlxml.IndexAfter(req, samlxml.NSAssertion, "Issuer")); err != nil {
			return internal(err)
		}
	}
	xmlBytes, err := samlxml.Serialize(samlxml.NewDocument(req))
	if err != nil {
		return internal(err)
	}

	st := RequestState{
		ID:             id,
		Purpose:        PurposeLogin,
		IdPEntityID:    idp.EntityID,
		Level:          lr.Level,
		AttributeIndex: lr.AttributeIndex,
		RelayState:     relayState,
		BrowserBinding: bindingHash(cookie),
		ReturnTo:       lr.ReturnTo,
		IssuedAt:       now,
		ExpiresAt:      now.Add(sp.cfg.RequestTTL),
		RequestXML:     xmlBytes,
	}
	if err := sp.requests.Save(r.Context(), st); err != nil {
		return internal(fmt.Errorf("save request: %w", err))
	}

	var location string
	if binding == BindingRedirect {
		if location, err = samlxml.RedirectURL(endpoint, "SAMLRequest", xmlBytes, relayState, sp.keys); err != nil {
			return internal(err)
		}
	}
	sp.setBindingCookie(w, cookie)
	w.Header().Set("Cache-Control", "no-cache, no-store")
	if binding == BindingRedirect {
		w.Header().Set("Location", location)
		w.WriteHeader(http.StatusFound)
		return nil
	}
	return samlxml.WritePostForm(w, samlxml.PostForm{
		Action:    endpoint,
		Fields:    []samlxml.FormField{{Name: "SAMLRequest", Value: base64.StdEncoding.EncodeToString(xmlBytes)}, {Name: "RelayState", Value: relayState}},
		Title:     "SPID",
		Message:   "Stai per essere reindirizzato al tuo gestore di identità SPID.",
		Button:    "Prosegui con SPID",
		ScriptURL: lr.ScriptURL,
	})
}

func (sp *ServiceProvider) authnRequest(id string, now time.Time, destination string, lr LoginRequest) *etree.Element {
	req := etree.NewElement("samlp:AuthnRequest")
	req.CreateAttr("xmlns:samlp", samlxml.NSProtocol)
	req.CreateAttr("xmlns:saml", samlxml.NSAssertion)
	req.CreateAttr("ID", id)
	req.CreateAttr("Version", "2.0")
	req.CreateAttr("IssueInstant", now.Format(samlxml.TimeLayout))
	req.CreateAttr("Destination", destination)
	if lr.Level >= SpidL2 {
		// AgID: L2 and L3 must not reuse an IdP session.
		req.CreateAttr("ForceAuthn", "true")
	}
	req.CreateAttr("AssertionConsumerServiceIndex", "0")
	req.CreateAttr("AttributeConsumingServiceIndex", strconv.Itoa(lr.AttributeIndex))

	iss := req.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", samlxml.NameIDEntity)
	iss.CreateAttr("NameQualifier", sp.cfg.EntityID)
	iss.SetText(sp.cfg.EntityID)

	// No AllowCreate: AgID forbids it.
	req.CreateElement("samlp:NameIDPolicy").CreateAttr("Format", samlxml.NameIDTransient)

	rac := req.CreateElement("samlp:RequestedAuthnContext")
	rac.CreateAttr("Comparison", "minimum")
	rac.CreateElement("saml:AuthnContextClassRef").SetText(lr.Level.URI())
	return req
}

func pickEndpoint(endpoints map[Binding]string, want Binding) (Binding, string) {
	if want == "" {
		want = BindingPOST
	}
	if u := endpoints[want]; u != "" {
		return want, u
	}
	for _, b := range []Binding{BindingPOST, BindingRedirect} {
		if u := endpoints[b]; u != "" {
			return b, u
		}
	}
	return "", ""
}

// localPath accepts "" or an absolute path on this host; "//evil" and
// "/\evil" are protocol-relative URLs to browsers and are refused.
func localPath(p string) bool {
	if p == "" {
		return true
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return false
	}
	return !strings.ContainsAny(p, "\r\n\t\x00")
}

// bindingCookie reuses the browser's binding cookie when it has a valid
// one, so that two tabs logging in at once do not invalidate each other.
func (sp *ServiceProvider) bindingCookie(r *http.Request) (string, error) {
	if c, err := r.Cookie(sp.cfg.CookieName); err == nil && validCookieValue(c.Value) {
		return c.Value, nil
	}
	return samlxml.RandomToken(sp.rand, 32)
}

func validCookieValue(v string) bool {
	if len(v) != 64 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

func (sp *ServiceProvider) setBindingCookie(w http.ResponseWriter, value string) {
	c := &http.Cookie{
		Name:     sp.cfg.CookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   int(sp.cfg.RequestTTL.Seconds()),
		HttpOnly: true,
		Secure:   sp.secure,
		SameSite: http.SameSiteLaxMode,
	}
	if sp.secure {
		// The IdP posts the response cross-site: only SameSite=None cookies
		// travel with that POST, and browsers require Secure for them.
		c.SameSite = http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
}

func bindingHash(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

// errorAs is errors.As for *Error, returning nil when err is not one.
func errorAs(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
