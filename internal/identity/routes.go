package identity

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/mail"
	"github.com/arengo/arengo/internal/ratelimit"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the account pages (namespace "account").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "account", FS: sub}
}

// Handlers are the pages through which a participant manages the account:
// sign-up, email confirmation, sign-in and out, password reset, profile,
// deletion, and the privacy and accessibility statements.
type Handlers struct {
	S       *web.Server
	Svc     *Service
	Limiter *ratelimit.Limiter
	Limits  Limits // zero fields take the defaults (see DefaultLimits)
	// LoginOptions, when set, tells the login page which strong logins
	// (SPID, OpenID Connect) to offer.
	LoginOptions func(w http.ResponseWriter) LoginOptions
}

// Limits are the rate limits of the account pages.
type Limits struct {
	RegisterPerIP   ratelimit.Rule // sign-up attempts from one address
	LoginPerIP      ratelimit.Rule // sign-in attempts from one address
	LoginPerEmail   ratelimit.Rule // sign-in attempts on one account
	MailPerIP       ratelimit.Rule // "send me a link" requests from one address
	MailPerEmail    ratelimit.Rule // links sent to one address (beyond: silently none)
	PasswordPerUser ratelimit.Rule // current-password checks of a signed-in participant
}

// DefaultLimits are generous enough for a library or a public assembly where
// many people share one address, and tight enough to make guessing
// passwords or flooding an inbox pointless.
func DefaultLimits() Limits {
	return Limits{
		RegisterPerIP:   ratelimit.Rule{Max: 20, Window: time.Hour},
		LoginPerIP:      ratelimit.Rule{Max: 30, Window: 15 * time.Minute},
		LoginPerEmail:   ratelimit.Rule{Max: 10, Window: 15 * time.Minute},
		MailPerIP:       ratelimit.Rule{Max: 10, Window: time.Hour},
		MailPerEmail:    ratelimit.Rule{Max: 3, Window: time.Hour},
		PasswordPerUser: ratelimit.Rule{Max: 10, Window: 15 * time.Minute},
	}
}

// Routes registers every account page.
func (h *Handlers) Routes() {
	h.fillLimits()
	s := h.S
	s.Handle("GET /register", h.registerForm)
	s.Handle("POST /register", h.register)
	s.Handle("GET /register/sent", h.registerSent)
	s.Handle("GET /confirm", h.confirm)
	s.Handle("GET /confirm/resend", h.resendForm)
	s.Handle("POST /confirm/resend", h.resend)
	s.Handle("GET /login", h.loginForm)
	s.Handle("POST /login", h.login)
	s.Handle("POST /logout", h.logout)
	s.Handle("GET /password/forgot", h.forgotForm)
	s.Handle("POST /password/forgot", h.forgot)
	s.Handle("GET /password/reset", h.resetForm)
	s.Handle("POST /password/reset", h.reset)
	s.Handle("GET /account", web.RequireUser(h.profile))
	s.Handle("POST /account/profile", web.RequireUser(h.updateProfile))
	s.Handle("POST /account/password", web.RequireUser(h.changePassword))
	s.Handle("POST /account/email", web.RequireUser(h.changeEmail))
	s.Handle("GET /account/email/confirm", h.confirmEmailChange)
	s.Handle("GET /account/delete", web.RequireUser(h.deleteForm))
	s.Handle("POST /account/delete", web.RequireUser(h.deleteAccount))
	s.Handle("GET /privacy", h.static("account/privacy.html"))
	s.Handle("GET /accessibility", h.static("account/accessibility.html"))
}

func (h *Handlers) fillLimits() {
	d := DefaultLimits()
	for _, p := range []struct{ dst, def *ratelimit.Rule }{
		{&h.Limits.RegisterPerIP, &d.RegisterPerIP}, {&h.Limits.LoginPerIP, &d.LoginPerIP},
		{&h.Limits.LoginPerEmail, &d.LoginPerEmail}, {&h.Limits.MailPerIP, &d.MailPerIP},
		{&h.Limits.MailPerEmail, &d.MailPerEmail}, {&h.Limits.PasswordPerUser, &d.PasswordPerUser},
	} {
		if p.dst.Max <= 0 || p.dst.Window <= 0 {
			*p.dst = *p.def
		}
	}
}

// allow records a hit in bucket and reports whether it is within rule.
func (h *Handlers) allow(ctx context.Context, bucket string, rule ratelimit.Rule) (bool, error) {
	err := h.Limiter.Allow(ctx, bucket, rule)
	if errors.Is(err, kernel.ErrRateLimited) {
		return false, nil
	}
	return err == nil, err
}

// emailBucket keys a limit on an address by its hash: the rate-limit table
// must not become a list of who tried to sign in.
func emailBucket(prefix, email string) string {
	return prefix + HashToken(NormalizeEmail(email))[:32]
}

// rateLimitedView is what rate_limited.html shows.
type rateLimitedView struct {
	MessageKey string
	Minutes    int
}

// tooMany answers 429 with a page that says what happened and what to do.
func (h *Handlers) tooMany(w http.ResponseWriter, r *http.Request, key string, rule ratelimit.Rule) error {
	w.Header().Set("Retry-After", strconv.Itoa(int(rule.Window.Seconds())))
	return h.S.RenderStatus(w, r, http.StatusTooManyRequests, "account/rate_limited.html",
		rateLimitedView{MessageKey: key, Minutes: int(rule.Window.Minutes())})
}

// languageOptions lists the interface languages, each named in itself.
func (h *Handlers) languageOptions(locale string) []web.Option {
	opts := make([]web.Option, 0, len(kernel.Locales))
	for _, l := range kernel.Locales {
		opts = append(opts, web.Option{Value: l, Label: h.S.Catalog().T(locale, "account.language."+l)})
	}
	return opts
}

// confirmMail and resetMail compose the emails with links, in the
// recipient's language.
func (h *Handlers) confirmMail(u User, token string) mail.Message {
	return h.linkMail(u, "confirm", "/confirm", token)
}

func (h *Handlers) resetMail(u User, token string) mail.Message {
	return h.linkMail(u, "reset", "/password/reset", token)
}

func (h *Handlers) linkMail(u User, kind, path, token string) mail.Message {
	cat, cfg := h.S.Catalog(), h.S.Config()
	args := []any{
		"org", cfg.OrgName,
		"nickname", u.Nickname,
		"link", cfg.BaseURL + path + "?token=" + url.QueryEscape(token),
		"base_url", cfg.BaseURL,
	}
	return mail.Message{
		To:      u.Email,
		Locale:  u.Locale,
		Subject: cat.T(u.Locale, "account.mail."+kind+".subject", args...),
		Body:    cat.T(u.Locale, "account.mail."+kind+".body", args...) + "\n\n" + cat.T(u.Locale, "mail.signature", "org", cfg.OrgName),
	}
}

func (h *Handlers) static(page string) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h.S.Render(w, r, page, nil)
	}
}
