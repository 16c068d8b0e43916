package spid

import (
	"net/http"
)

// ACSHandler is the assertion consumer service endpoint (POST /spid/acs).
// It validates the response and hands the outcome to the web layer, which
// owns sessions and pages.
type ACSHandler struct {
	SP *ServiceProvider
	// OnLogin is called once per successful login; it typically creates the
	// local session and redirects to a.ReturnTo. An error it returns is
	// passed to OnError.
	OnLogin func(w http.ResponseWriter, r *http.Request, a *Assertion) error
	// OnError renders a failure page. err is an *Error (use HTTPStatus(err)
	// and its Code to pick the plain-language page) or whatever OnLogin
	// returned. Nil renders a minimal plain-text page.
	OnError func(w http.ResponseWriter, r *http.Request, err error)
}

func (h ACSHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, err := h.SP.ValidateResponse(r.Context(), r)
	if err == nil {
		err = h.OnLogin(w, r, a)
		if err == nil {
			return
		}
	}
	h.renderError(w, r, err)
}

func (h ACSHandler) renderError(w http.ResponseWriter, r *http.Request, err error) {
	if h.OnError != nil {
		h.OnError(w, r, err)
		return
	}
	DefaultErrorPage(w, r, err)
}

// DefaultErrorPage writes a minimal page with the right status and the error
// code, without any detail an attacker could use.
func DefaultErrorPage(w http.ResponseWriter, _ *http.Request, err error) {
	status := HTTPStatus(err)
	code := string(CodeInternal)
	if e := errorAs(err); e != nil {
		code = string(e.Code)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "Accesso SPID non riuscito / SPID login failed ("+code+")", status)
}
