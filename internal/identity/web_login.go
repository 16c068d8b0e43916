package identity

import (
	"errors"
	"net/http"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

type loginView struct {
	Next        string
	Unconfirmed bool   // the password was right but the email is not confirmed
	Email       string // for the "send the link again" button
	Options     LoginOptions
}

// LoginOptions are the strong logins the login page offers under the
// password form.
type LoginOptions struct {
	SPID   bool            // "Entra con SPID", a link to /login/spid
	Others []LoginProvider // e.g. the municipality's OpenID Connect login
}

// LoginProvider is a strong login started by a form posting to Action.
type LoginProvider struct {
	Name, Action string
}

// options asks the strong-login modules what to offer; they may widen the
// response's CSP form-action for their forms.
func (h *Handlers) options(w http.ResponseWriter) LoginOptions {
	if h.LoginOptions == nil {
		return LoginOptions{}
	}
	return h.LoginOptions(w)
}

func (h *Handlers) loginForm(w http.ResponseWriter, r *http.Request) error {
	next := web.SafeNext(r.URL.Query().Get("next"), "")
	if web.ViewerFrom(r.Context()) != nil {
		return web.Redirect(w, r, web.SafeNext(next, "/"))
	}
	return h.S.RenderForm(w, r, "account/login.html", loginView{Next: next, Options: h.options(w)}, web.NewForm(nil))
}

// login signs a participant in. Unknown address and wrong password get the
// same message; attempts are limited per client address and per account.
func (h *Handlers) login(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	email, password := f.Get("email"), f.Raw("password")
	view := loginView{Next: web.SafeNext(f.Get("next"), "")}
	if ok, err := h.allow(ctx, "login:ip:"+h.S.ClientIP(r), h.Limits.LoginPerIP); err != nil {
		return err
	} else if !ok {
		return h.tooMany(w, r, "account.rate_limited.login", h.Limits.LoginPerIP)
	}
	if email != "" {
		if ok, err := h.allow(ctx, emailBucket("login:email:", email), h.Limits.LoginPerEmail); err != nil {
			return err
		} else if !ok {
			return h.tooMany(w, r, "account.rate_limited.login", h.Limits.LoginPerEmail)
		}
	}
	var v kernel.Validator
	v.Check(email != "", "email", "account.error.email_required")
	v.Check(password != "", "password", "account.error.password_enter")
	err = v.Err()
	var u User
	if err == nil {
		u, err = h.Svc.CheckCredentials(ctx, email, password)
	}
	if errors.Is(err, ErrEmailUnconfirmed) {
		view.Unconfirmed, view.Email = true, u.Email
		err = kernel.Invalid("email", "account.error.unconfirmed")
	}
	if h.S.Fail(r, f, err) {
		view.Options = h.options(w)
		return h.S.RenderForm(w, r, "account/login.html", view, f)
	}
	if err != nil {
		return err
	}
	if err := h.startSession(w, r, u); err != nil {
		return err
	}
	h.S.SetFlash(w, "account.flash.logged_in")
	return web.Redirect(w, r, web.SafeNext(view.Next, "/"))
}

// startSession signs this browser in as u with a fresh token. Any session
// the browser already carried is deleted, so a token planted before sign-in
// (session fixation) is worthless after it.
func (h *Handlers) startSession(w http.ResponseWriter, r *http.Request, u User) error {
	if c, err := r.Cookie(web.SessionCookie); err == nil && c.Value != "" {
		if err := h.Svc.DeleteSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	token, err := h.Svc.CreateSession(r.Context(), u.ID, r.UserAgent())
	if err != nil {
		return err
	}
	h.S.SetCookie(w, web.SessionCookie, token, h.Svc.SessionMax())
	return nil
}

func (h *Handlers) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(web.SessionCookie); err == nil && c.Value != "" {
		if err := h.Svc.DeleteSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	h.S.ClearCookie(w, web.SessionCookie)
	h.S.SetFlash(w, "account.flash.logged_out")
	return web.Redirect(w, r, "/")
}
