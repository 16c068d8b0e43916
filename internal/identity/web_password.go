package identity

import (
	"net/http"

	"github.com/arengo/arengo/internal/web"
)

type forgotView struct {
	Sent bool
}

func (h *Handlers) forgotForm(w http.ResponseWriter, r *http.Request) error {
	return h.S.RenderForm(w, r, "account/forgot.html", forgotView{Sent: r.URL.Query().Get("sent") == "1"}, web.NewForm(nil))
}

// forgot sends a reset link. The answer is the same whether or not the
// address has an account.
func (h *Handlers) forgot(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	send, answered, err := h.mailLimits(w, r, f.Get("email"))
	if answered || err != nil {
		return err
	}
	if send {
		err = h.Svc.RequestPasswordReset(r.Context(), f.Get("email"), h.resetMail)
	}
	if h.S.Fail(r, f, err) {
		return h.S.RenderForm(w, r, "account/forgot.html", forgotView{}, f)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, "/password/forgot?sent=1")
}

type resetView struct {
	ReasonKey string // why the link cannot be used; empty when it can
}

// resetForm is the link in the reset email. Opening it changes nothing (mail
// scanners open links too); the new password is set by the POST.
func (h *Handlers) resetForm(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	err := h.Svc.CheckResetToken(r.Context(), token)
	if key, status, ok := linkProblem(err, "account.reset.problem"); ok {
		return h.S.RenderStatus(w, r, status, "account/reset.html", resetView{ReasonKey: key})
	}
	if err != nil {
		return err
	}
	return h.S.RenderForm(w, r, "account/reset.html", resetView{}, web.NewForm(map[string]string{"token": token}))
}

func (h *Handlers) reset(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	_, err = h.Svc.ResetPassword(r.Context(), f.Get("token"), f.Raw("password"), f.Raw("password_confirm"))
	if key, status, ok := linkProblem(err, "account.reset.problem"); ok {
		return h.S.RenderStatus(w, r, status, "account/reset.html", resetView{ReasonKey: key})
	}
	if h.S.Fail(r, f, err) {
		return h.S.RenderForm(w, r, "account/reset.html", resetView{}, f)
	}
	if err != nil {
		return err
	}
	// Every session of the account has ended, this browser's included: the
	// participant signs in with the new password.
	h.S.ClearCookie(w, web.SessionCookie)
	h.S.SetFlash(w, "account.flash.password_reset")
	return web.Redirect(w, r, "/login")
}
