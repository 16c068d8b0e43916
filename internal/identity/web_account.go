package identity

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/arengo/arengo/internal/mail"

	"github.com/arengo/arengo/internal/web"
)

type profileView struct {
	User        User
	Languages   []web.Option
	HasPassword bool // an account made through SPID has none: the email change asks for none
}

// viewerUser loads the signed-in participant (the routes are behind
// web.RequireUser).
func (h *Handlers) viewerUser(r *http.Request) (User, error) {
	return h.Svc.UserByID(r.Context(), web.ViewerFrom(r.Context()).ID)
}

func (h *Handlers) profile(w http.ResponseWriter, r *http.Request) error {
	u, err := h.viewerUser(r)
	if err != nil {
		return err
	}
	return h.renderProfile(w, r, u, web.NewForm(nil))
}

// renderProfile shows the profile page. The page holds two forms sharing one
// Form: the profile fields keep what was typed when the profile form was
// sent, and show the saved values otherwise.
func (h *Handlers) renderProfile(w http.ResponseWriter, r *http.Request, u User, f *web.Form) error {
	if !f.Values.Has("nickname") {
		f.Values.Set("nickname", u.Nickname)
	}
	if !f.Values.Has("locale") {
		f.Values.Set("locale", u.Locale)
	}
	return h.S.RenderForm(w, r, "account/profile.html", profileView{User: u, Languages: h.languageOptions(web.LocaleFrom(r.Context())), HasPassword: u.passwordHash != ""}, f)
}

func (h *Handlers) updateProfile(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	u, err := h.viewerUser(r)
	if err != nil {
		return err
	}
	f.Values.Set("nickname", f.Raw("nickname")) // keep the field present even when empty
	f.Values.Set("locale", f.Raw("locale"))
	err = h.Svc.UpdateProfile(r.Context(), u.ID, f.Get("nickname"), f.Get("locale"))
	if h.S.Fail(r, f, err) {
		return h.renderProfile(w, r, u, f)
	}
	if err != nil {
		return err
	}
	// The language also outlives the session: after signing out the
	// interface stays in the language the participant chose.
	h.S.SetCookie(w, web.LangCookie, f.Get("locale"), 365*24*time.Hour)
	h.S.SetFlash(w, "account.flash.profile_saved")
	return web.Redirect(w, r, "/account")
}

// passwordAllowed limits how often a signed-in browser may try the current
// password (a stolen session must not become a password oracle).
func (h *Handlers) passwordAllowed(w http.ResponseWriter, r *http.Request, userID int64) (bool, error) {
	ok, err := h.allow(r.Context(), "password:user:"+strconv.FormatInt(userID, 10), h.Limits.PasswordPerUser)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, h.tooMany(w, r, "account.rate_limited.password", h.Limits.PasswordPerUser)
	}
	return true, nil
}

func (h *Handlers) changePassword(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	u, err := h.viewerUser(r)
	if err != nil {
		return err
	}
	if ok, err := h.passwordAllowed(w, r, u.ID); !ok {
		return err
	}
	err = h.Svc.ChangePassword(r.Context(), u.ID, f.Raw("current_password"), f.Raw("new_password"), f.Raw("new_password_confirm"))
	if h.S.Fail(r, f, err) {
		f.Values.Del("nickname")
		f.Values.Del("locale")
		return h.renderProfile(w, r, u, f)
	}
	if err != nil {
		return err
	}
	// Every session ended with the old password; this browser continues
	// with a new one.
	if err := h.startSession(w, r, u); err != nil {
		return err
	}
	h.S.SetFlash(w, "account.flash.password_changed")
	return web.Redirect(w, r, "/account")
}

func (h *Handlers) deleteForm(w http.ResponseWriter, r *http.Request) error {
	return h.S.RenderForm(w, r, "account/delete.html", nil, web.NewForm(nil))
}

func (h *Handlers) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	v := web.ViewerFrom(r.Context())
	if ok, err := h.passwordAllowed(w, r, v.ID); !ok {
		return err
	}
	err = h.Svc.DeleteAccount(r.Context(), v.ID, f.Raw("password"))
	if h.S.Fail(r, f, err) {
		return h.S.RenderForm(w, r, "account/delete.html", nil, f)
	}
	if err != nil {
		return err
	}
	h.S.ClearCookie(w, web.SessionCookie)
	h.S.SetFlash(w, "account.flash.deleted")
	return web.Redirect(w, r, "/")
}

// changeEmail asks to move the account to a new address: a link goes to
// the new address, a notice to the current one, and nothing changes until
// the link is followed.
func (h *Handlers) changeEmail(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	u, err := h.viewerUser(r)
	if err != nil {
		return err
	}
	if ok, err := h.passwordAllowed(w, r, u.ID); !ok {
		return err
	}
	err = h.Svc.RequestEmailChange(r.Context(), u.ID, f.Raw("new_email"), f.Raw("email_password"), EmailChangeMails{Link: h.emailChangeMail, Notice: h.emailChangeNotice})
	if h.S.Fail(r, f, err) {
		f.Values.Del("nickname")
		f.Values.Del("locale")
		f.Values.Del("email_password")
		return h.renderProfile(w, r, u, f)
	}
	if err != nil {
		return err
	}
	h.S.SetFlash(w, "account.flash.email_change_sent")
	return web.Redirect(w, r, "/account")
}

type emailChangeView struct {
	Done      bool
	ReasonKey string
	Email     string
}

// confirmEmailChange is the link sent to the new address. Like the sign-up
// confirmation it works with one GET from any mail client; the token,
// which only the new inbox received, is the proof.
func (h *Handlers) confirmEmailChange(w http.ResponseWriter, r *http.Request) error {
	u, err := h.Svc.ConfirmEmailChange(r.Context(), r.URL.Query().Get("token"))
	if errors.Is(err, ErrEmailTaken) {
		return h.S.RenderStatus(w, r, http.StatusConflict, "account/email_change.html", emailChangeView{ReasonKey: "account.email_change.problem.taken"})
	}
	if key, status, ok := linkProblem(err, "account.email_change.problem"); ok {
		return h.S.RenderStatus(w, r, status, "account/email_change.html", emailChangeView{ReasonKey: key})
	}
	if err != nil {
		return err
	}
	return h.S.Render(w, r, "account/email_change.html", emailChangeView{Done: true, Email: u.Email})
}

func (h *Handlers) emailChangeMail(u User, newEmail, token string) mail.Message {
	cat, cfg := h.S.Catalog(), h.S.Config()
	args := []any{"org", cfg.OrgName, "nickname", u.Nickname, "email", newEmail,
		"link", cfg.BaseURL + "/account/email/confirm?token=" + url.QueryEscape(token)}
	return mail.Message{To: newEmail, Locale: u.Locale,
		Subject: cat.T(u.Locale, "account.mail.email_change.subject", args...),
		Body:    cat.T(u.Locale, "account.mail.email_change.body", args...) + "\n\n" + cat.T(u.Locale, "mail.signature", "org", cfg.OrgName)}
}

func (h *Handlers) emailChangeNotice(u User, newEmail string) mail.Message {
	cat, cfg := h.S.Catalog(), h.S.Config()
	args := []any{"org", cfg.OrgName, "nickname", u.Nickname, "email", newEmail, "base_url", cfg.BaseURL}
	return mail.Message{To: u.Email, Locale: u.Locale,
		Subject: cat.T(u.Locale, "account.mail.email_change_notice.subject", args...),
		Body:    cat.T(u.Locale, "account.mail.email_change_notice.body", args...) + "\n\n" + cat.T(u.Locale, "mail.signature", "org", cfg.OrgName)}
}
