package identity

import (
	"errors"
	"net/http"

	"github.com/arengo/arengo/internal/web"
)

type registerView struct {
	Languages []web.Option
}

func (h *Handlers) registerForm(w http.ResponseWriter, r *http.Request) error {
	if web.ViewerFrom(r.Context()) != nil {
		return web.Redirect(w, r, "/account")
	}
	locale := web.LocaleFrom(r.Context())
	f := web.NewForm(map[string]string{"locale": locale})
	return h.S.RenderForm(w, r, "account/register.html", registerView{Languages: h.languageOptions(locale)}, f)
}

func (h *Handlers) register(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if ok, err := h.allow(ctx, "register:ip:"+h.S.ClientIP(r), h.Limits.RegisterPerIP); err != nil {
		return err
	} else if !ok {
		return h.tooMany(w, r, "account.rate_limited.register", h.Limits.RegisterPerIP)
	}
	_, err = h.Svc.Register(ctx, Registration{
		Email:           f.Get("email"),
		Nickname:        f.Get("nickname"),
		Password:        f.Raw("password"),
		PasswordConfirm: f.Raw("password_confirm"),
		Locale:          f.Get("locale"),
		AcceptPrivacy:   f.Checked("privacy"),
	}, h.confirmMail)
	if h.S.Fail(r, f, err) {
		return h.S.RenderForm(w, r, "account/register.html", registerView{Languages: h.languageOptions(web.LocaleFrom(ctx))}, f)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, "/register/sent")
}

func (h *Handlers) registerSent(w http.ResponseWriter, r *http.Request) error {
	return h.S.Render(w, r, "account/register_sent.html", nil)
}

// linkProblemView explains why an emailed link cannot be used.
type linkProblemView struct {
	Confirmed bool
	ReasonKey string
	Nickname  string
}

// linkProblem maps a token error to its explanation and status: 404 for a
// link that never existed, 410 for one that is spent or stale.
func linkProblem(err error, prefix string) (key string, status int, ok bool) {
	switch {
	case errors.Is(err, ErrTokenUnknown):
		return prefix + ".unknown", http.StatusNotFound, true
	case errors.Is(err, ErrTokenExpired):
		return prefix + ".expired", http.StatusGone, true
	case errors.Is(err, ErrTokenUsed):
		return prefix + ".used", http.StatusGone, true
	}
	return "", 0, false
}

// confirm is the link in the confirmation email. A GET confirms (the link
// must work with one click from any mail client); confirming twice is
// harmless.
func (h *Handlers) confirm(w http.ResponseWriter, r *http.Request) error {
	u, err := h.Svc.ConfirmEmail(r.Context(), r.URL.Query().Get("token"))
	if key, status, ok := linkProblem(err, "account.confirm.problem"); ok {
		return h.S.RenderStatus(w, r, status, "account/confirm.html", linkProblemView{ReasonKey: key})
	}
	if err != nil {
		return err
	}
	return h.S.Render(w, r, "account/confirm.html", linkProblemView{Confirmed: true, Nickname: u.Nickname})
}

type resendView struct {
	Sent bool
}

func (h *Handlers) resendForm(w http.ResponseWriter, r *http.Request) error {
	return h.S.RenderForm(w, r, "account/resend.html", resendView{Sent: r.URL.Query().Get("sent") == "1"}, web.NewForm(nil))
}

// resend sends a new confirmation link. The answer is the same whether or
// not the address has an account.
func (h *Handlers) resend(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	send, answered, err := h.mailLimits(w, r, f.Get("email"))
	if answered || err != nil {
		return err
	}
	if send {
		err = h.Svc.ResendConfirmation(r.Context(), f.Get("email"), h.confirmMail)
	}
	if h.S.Fail(r, f, err) {
		return h.S.RenderForm(w, r, "account/resend.html", resendView{}, f)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, "/confirm/resend?sent=1")
}

// mailLimits applies the limits of the "send me a link" forms. When the
// request's address is over its limit it answers 429 itself (answered). When
// the email address is over its limit, send is false: nothing is sent, and
// the page says what it always says.
func (h *Handlers) mailLimits(w http.ResponseWriter, r *http.Request, email string) (send, answered bool, err error) {
	ctx := r.Context()
	ok, err := h.allow(ctx, "mail:ip:"+h.S.ClientIP(r), h.Limits.MailPerIP)
	if err != nil {
		return false, true, err
	}
	if !ok {
		return false, true, h.tooMany(w, r, "account.rate_limited.mail", h.Limits.MailPerIP)
	}
	if email == "" {
		return true, false, nil
	}
	ok, err = h.allow(ctx, emailBucket("mail:email:", email), h.Limits.MailPerEmail)
	return ok, err != nil, err
}
