package spidlogin

import (
	"context"
	_ "embed"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed static/spid-button.js
var buttonJS []byte

// IdPDirectory is what the pages need from the IdP registry.
type IdPDirectory interface {
	spid.IdPProvider
	Button(rnd io.Reader) ([]spid.ButtonEntry, error)
}

// OtherProvider is another strong login shown under the SPID button (the
// municipality's OpenID Connect login): a form posting to Action.
type OtherProvider struct {
	Name   string
	Action string
	// Origin is where the provider's login page lives: the form's redirect
	// goes there, so the page's form-action must allow it.
	Origin string
}

// Handlers are the SPID pages and endpoints.
type Handlers struct {
	S     *web.Server
	Flow  *Flow
	SP    *spid.ServiceProvider
	IdPs  IdPDirectory
	Rand  io.Reader
	Log   *slog.Logger
	Users *identity.Service
	// DefaultLevel is asked for when the page does not say (SpidL2).
	DefaultLevel spid.Level
	// AttributeIndex selects the AttributeConsumingService requested.
	AttributeIndex int
	// ScriptURL submits the HTTP-POST binding forms when JavaScript runs.
	ScriptURL string
	Others    []OtherProvider
}

// Routes registers the SPID endpoints. Call BypassCrossOriginCheck for the
// POST endpoints the IdP posts to (see BypassPatterns) before the server's
// Handler is built.
func (h *Handlers) Routes() {
	s := h.S
	for _, p := range BypassPatterns {
		s.BypassCrossOriginCheck(p)
	}
	s.HandleHTTP("GET /spid/metadata", h.SP.MetadataHandler())
	s.HandleHTTP("GET /spid/button.js", http.HandlerFunc(serveButtonJS))
	s.Handle("GET /login/spid", h.buttonPage)
	s.Handle("POST /login/spid", h.start)
	s.Handle("GET /account/spid", web.RequireUser(h.accountPage))
	s.HandleHTTP("POST /spid/acs", spid.ACSHandler{SP: h.SP, OnLogin: h.onLogin, OnError: h.onError})
	slo := spid.SLOHandler{SP: h.SP, OnIdPLogout: h.onIdPLogout, OnLogoutComplete: h.onLogoutComplete, OnError: h.onError, ScriptURL: h.ScriptURL}
	s.HandleHTTP("GET /spid/slo", slo)
	s.HandleHTTP("POST /spid/slo", slo)
	s.Handle("POST /logout/spid", h.logout)
}

// BypassPatterns are the endpoints identity providers post to from their
// own origin; each message carries its own proof (a signature, a request ID
// bound to this browser).
var BypassPatterns = []string{"POST /spid/acs", "POST /spid/slo"}

func serveButtonJS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(buttonJS)
}

// buttonView is what button.html shows.
type buttonView struct {
	IdPs   []spid.ButtonEntry
	Next   string
	Level  int
	Others []OtherProvider
	Error  string
	// Linking: the page is the account's "Collega SPID".
	Linking bool
	Linked  bool
}

func (h *Handlers) level(v string) spid.Level {
	if n, err := strconv.Atoi(v); err == nil && spid.Level(n).Valid() {
		return spid.Level(n)
	}
	if h.DefaultLevel.Valid() {
		return h.DefaultLevel
	}
	return spid.SpidL2
}

func (h *Handlers) view(r *http.Request, next string, level spid.Level) (buttonView, error) {
	idps, err := h.IdPs.Button(h.Rand)
	if err != nil {
		return buttonView{}, err
	}
	return buttonView{IdPs: idps, Next: web.SafeNext(next, ""), Level: int(level), Others: h.Others}, nil
}

// buttonPage is the SPID button: "Entra con SPID" and the IdPs, shuffled.
func (h *Handlers) buttonPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v, err := h.view(r, q.Get("next"), h.level(q.Get("level")))
	if err != nil {
		return err
	}
	h.allowIdPForms(w, v.IdPs)
	return h.S.Render(w, r, "spidlogin/button.html", v)
}

// accountPage is "Collega SPID": a signed-in participant links the SPID
// identity to the account.
func (h *Handlers) accountPage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.view(r, "/account/spid", h.level(r.URL.Query().Get("level")))
	if err != nil {
		return err
	}
	v.Linking = true
	if _, err := h.Flow.Verify.Identity(r.Context(), web.ViewerFrom(r.Context()).ID); err == nil {
		v.Linked = true
	} else if !errors.Is(err, kernel.ErrNotFound) {
		return err
	}
	h.allowIdPForms(w, v.IdPs)
	return h.S.Render(w, r, "spidlogin/button.html", v)
}

// allowIdPForms lets this page's forms (and the redirects they lead to)
// reach the IdPs: the Redirect binding answers the POST with a 302 to the
// IdP, which browsers check against the form-action of this page.
func (h *Handlers) allowIdPForms(w http.ResponseWriter, entries []spid.ButtonEntry) {
	var origins []string
	for _, e := range entries {
		if idp, err := h.IdPs.IdP(e.EntityID); err == nil {
			for _, u := range idp.SSO {
				origins = append(origins, u)
			}
		}
	}
	for _, o := range h.Others {
		origins = append(origins, o.Origin)
	}
	AllowFormAction(w, origins...)
}

// start sends the browser to the chosen IdP.
func (h *Handlers) start(w http.ResponseWriter, r *http.Request) error {
	form, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	if ok, err := h.Flow.AllowStart(w, r); !ok {
		return err
	}
	next, level := web.SafeNext(form.Get("next"), ""), h.level(form.Get("level"))
	entity := form.Get("idp")
	idp, err := h.IdPs.IdP(entity)
	if err != nil {
		v, verr := h.view(r, next, level)
		if verr != nil {
			return verr
		}
		v.Error = "spidlogin.button.error.idp"
		h.allowIdPForms(w, v.IdPs)
		return h.S.RenderStatus(w, r, http.StatusUnprocessableEntity, "spidlogin/button.html", v)
	}
	ssoOrigins := make([]string, 0, len(idp.SSO))
	for _, u := range idp.SSO {
		ssoOrigins = append(ssoOrigins, u)
	}
	AllowFormAction(w, ssoOrigins...)
	err = h.SP.StartLogin(w, r, spid.LoginRequest{
		IdPEntityID: idp.EntityID, Level: level, AttributeIndex: h.AttributeIndex, ReturnTo: next, ScriptURL: h.ScriptURL,
	})
	if err != nil {
		// StartLogin writes nothing when it fails.
		h.onError(w, r, err)
	}
	return nil
}

// onLogin hands a valid assertion to the shared strong-login flow.
func (h *Handlers) onLogin(w http.ResponseWriter, r *http.Request, a *spid.Assertion) error {
	return h.Flow.Arrive(w, r, Arrival{
		Method:   verification.MethodSPID,
		Level:    a.Level.String(),
		Provider: a.IdPEntityID,
		Person: verification.PersonalData{
			FiscalCode: a.FiscalNumber, GivenName: a.Name, FamilyName: a.FamilyName, BirthDate: a.DateOfBirth, Email: a.Email,
		},
		SAML:     &SAMLSession{IdPEntityID: a.IdPEntityID, NameID: a.NameID, NameQualifier: a.NameQualifier, SessionIndex: a.SessionIndex},
		ReturnTo: a.ReturnTo,
	})
}

// ErrorKey is the message explaining a SPID failure to the person.
func ErrorKey(err error) string {
	var e *spid.Error
	if !errors.As(err, &e) {
		return "spidlogin.error.internal"
	}
	switch e.Code {
	case spid.CodeTooManyAttempts:
		return "spidlogin.error.nr19"
	case spid.CodeLevelNotAvailable:
		return "spidlogin.error.nr20"
	case spid.CodeTimeout:
		return "spidlogin.error.nr21"
	case spid.CodeConsentDenied:
		return "spidlogin.error.nr22"
	case spid.CodeIdentitySuspended:
		return "spidlogin.error.nr23"
	case spid.CodeUserCancelled:
		return "spidlogin.error.nr25"
	case spid.CodeWrongIdentityType:
		return "spidlogin.error.nr30"
	case spid.CodeUnknownRequest, spid.CodeBrowserMismatch, spid.CodeRelayState:
		return "spidlogin.error.request"
	case spid.CodeLevelTooLow:
		return "spidlogin.error.level"
	case spid.CodeUnknownIdP:
		return "spidlogin.error.unknown_idp"
	case spid.CodeStatus:
		return "spidlogin.error.status"
	case spid.CodeInternal:
		return "spidlogin.error.internal"
	}
	return "spidlogin.error.invalid"
}

// onError renders every failure as a plain-language page with a way back.
func (h *Handlers) onError(w http.ResponseWriter, r *http.Request, err error) {
	status := spid.HTTPStatus(err)
	var e *spid.Error
	if !errors.As(err, &e) || e.Code == spid.CodeInternal {
		if errors.Is(err, context.Canceled) {
			return
		}
		h.Log.ErrorContext(r.Context(), "spid", "err", err, "request_id", web.RequestIDFrom(r.Context()))
	} else {
		// Codes and fields never carry personal data.
		h.Log.InfoContext(r.Context(), "spid refused", "code", string(e.Code), "field", e.Field, "request_id", web.RequestIDFrom(r.Context()))
	}
	if status == http.StatusMethodNotAllowed {
		status = http.StatusBadRequest
	}
	if rerr := h.S.RenderStatus(w, r, status, "spidlogin/problem.html", problemView{MessageKey: ErrorKey(err), Retry: status < 500}); rerr != nil {
		spid.DefaultErrorPage(w, r, err)
	}
}

// onIdPLogout ends the local sessions an IdP-initiated logout names.
func (h *Handlers) onIdPLogout(ctx context.Context, n spid.LogoutNotice) error {
	_, err := endIdPSessions(ctx, h.Flow.DB, n)
	return err
}

func (h *Handlers) onLogoutComplete(w http.ResponseWriter, r *http.Request, res spid.LogoutResult) {
	if res.Success {
		h.S.SetFlash(w, "account.flash.logged_out")
	} else {
		h.S.SetFlash(w, "spidlogin.flash.partial_logout")
	}
	http.Redirect(w, r, web.SafeNext(res.ReturnTo, "/"), http.StatusSeeOther)
}

// logout ends the local session and, when it came from SPID, the IdP
// session too (SP-initiated single logout).
func (h *Handlers) logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	token := ""
	if c, err := r.Cookie(web.SessionCookie); err == nil {
		token = c.Value
	}
	var sess SAMLSession
	var ok bool
	if token != "" {
		var err error
		if sess, ok, err = samlSession(ctx, h.Flow.DB.R(), identity.HashToken(token)); err != nil {
			return err
		}
		// The local session ends first: the IdP may never answer.
		if err := h.Users.DeleteSession(ctx, token); err != nil {
			return err
		}
	}
	h.S.ClearCookie(w, web.SessionCookie)
	if ok {
		if idp, err := h.IdPs.IdP(sess.IdPEntityID); err == nil {
			var slo []string
			for _, ep := range idp.SLO {
				slo = append(slo, ep.Location)
			}
			AllowFormAction(w, slo...)
		}
		err := h.SP.StartLogout(w, r, spid.LogoutRequest{
			Session:   spid.LogoutSession{IdPEntityID: sess.IdPEntityID, NameID: sess.NameID, NameQualifier: sess.NameQualifier, SessionIndex: sess.SessionIndex},
			ReturnTo:  "/",
			ScriptURL: h.ScriptURL,
		})
		if err == nil {
			return nil
		}
		h.Log.WarnContext(ctx, "spid single logout not started", "err", err)
	}
	h.S.SetFlash(w, "account.flash.logged_out")
	return web.Redirect(w, r, "/")
}

// LogoutMiddleware sends the header's "Esci" (POST /logout) of a session
// opened with SPID through single logout; other sessions go on to the
// account module's logout.
func (h *Handlers) LogoutMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/logout" {
			if token := web.SessionTokenFrom(r.Context()); token != "" {
				if _, ok, err := samlSession(r.Context(), h.Flow.DB.R(), identity.HashToken(token)); err == nil && ok {
					h.S.Wrap(h.logout).ServeHTTP(w, r)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// AllowFormAction adds the origins of urls to the form-action directive of
// this response's Content-Security-Policy, so a page may post to (or be
// redirected by a post to) exactly the identity providers it names.
func AllowFormAction(w http.ResponseWriter, urls ...string) {
	csp := w.Header().Get("Content-Security-Policy")
	if csp == "" {
		return
	}
	seen := map[string]bool{}
	var add []string
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			continue
		}
		o := u.Scheme + "://" + u.Host
		if !seen[o] && !strings.ContainsAny(o, " ;,'\"") {
			seen[o] = true
			add = append(add, o)
		}
	}
	if len(add) == 0 {
		return
	}
	parts := strings.Split(csp, ";")
	found := false
	for i, p := range parts {
		if strings.HasPrefix(strings.TrimSpace(p), "form-action") {
			parts[i] = strings.TrimRight(p, " ") + " " + strings.Join(add, " ")
			found = true
		}
	}
	if !found {
		parts = append(parts, " form-action 'self' "+strings.Join(add, " "))
	}
	w.Header().Set("Content-Security-Policy", strings.Join(parts, ";"))
}
