package app

import (
	"context"
	"net/http"
	"time"

	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/notify"
	"github.com/arengo/arengo/internal/web"
)

// sessionAuth adapts the identity service to the web layer's Authenticator.
type sessionAuth struct {
	svc    *identity.Service
	notify *notify.Service
}

func (a sessionAuth) Authenticate(ctx context.Context, token string) (*web.Viewer, error) {
	u, err := a.svc.SessionUser(ctx, token)
	if err != nil {
		return nil, err
	}
	unread, err := a.notify.Unread(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &web.Viewer{ID: u.ID, Nickname: u.Nickname, Email: u.Email, Locale: u.Locale, IsAdmin: u.IsAdmin, Unread: unread}, nil
}

// withActor puts the audit actor (viewer, request ID, client address) into
// every request's context.
func withActor(s *web.Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := kernel.Actor{RequestID: web.RequestIDFrom(r.Context()), RemoteAddr: s.ClientIP(r)}
		if v := web.ViewerFrom(r.Context()); v != nil {
			a.UserID = v.ID
		}
		next.ServeHTTP(w, r.WithContext(kernel.WithActor(r.Context(), a)))
	})
}

// languageHandler switches the interface language: it sets the language
// cookie and, for a signed-in participant, saves the preference.
type languageHandler struct {
	s     *web.Server
	users *identity.Service
}

func (h languageHandler) switchLanguage(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	lang := f.Get("lang")
	if !kernel.ValidLocale(lang) {
		return kernel.Invalid("lang", "error.invalid")
	}
	h.s.SetCookie(w, web.LangCookie, lang, 365*24*time.Hour)
	if v := web.ViewerFrom(r.Context()); v != nil {
		if err := h.users.SetLocale(r.Context(), v.ID, lang); err != nil {
			return err
		}
	}
	return web.Redirect(w, r, f.Get("next"))
}
